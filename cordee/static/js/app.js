// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Buttons that ask for confirmation before a destructive post.
  document.body.addEventListener("submit", (event) => {
    const message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Send the CSRF token with htmx requests.
  document.body.addEventListener("htmx:configRequest", (event) => {
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) {
      event.detail.headers["X-CSRFToken"] = token.value;
    }
  });
});
