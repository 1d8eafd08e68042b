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

// Create a collective: propose the page address from the name while the address field is untouched.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-slug-source]").forEach((source) => {
    const target = document.getElementById(source.getAttribute("data-slug-source"));
    const preview = document.querySelector("[data-slug-preview]");
    if (!target) {
      return;
    }
    let edited = target.value !== "";
    // The same rules as the server (Django's slugify, underscores turned into hyphens).
    const slugify = (text) => text.normalize("NFKD").replace(/[^\x00-\x7F]/g, "").toLowerCase()
      .replace(/[^\w\s-]/g, "").replace(/[-\s_]+/g, "-").slice(0, 60).replace(/^-+|-+$/g, "");
    const showPreview = () => { if (preview) { preview.textContent = target.value || "…"; } };
    target.addEventListener("input", () => { edited = target.value !== ""; showPreview(); });
    source.addEventListener("input", () => {
      if (!edited) {
        target.value = slugify(source.value);
        showPreview();
      }
    });
  });
});

// Task board: a refused move (403) or an invalid one (400) comes back with the fresh board and the
// reason; htmx leaves error answers alone unless told to swap them. Without an answer (network down),
// the status line says so.
document.addEventListener("DOMContentLoaded", () => {
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("X-Board-Refresh")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  const showFailure = () => {
    const status = document.querySelector("[data-board-status]");
    if (status) {
      const message = document.createElement("p");
      message.className = "message message--error";
      message.textContent = status.getAttribute("data-error-fallback");
      status.replaceChildren(message);
    }
  };
  // Keyboard users keep their place: the card they acted on gets the focus back once the board is swapped.
  let lastCard = null;
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const card = event.target.closest ? event.target.closest(".task-card") : null;
    lastCard = card ? card.id : null;
  });
  document.body.addEventListener("htmx:afterSettle", () => {
    const card = lastCard ? document.getElementById(lastCard) : null;
    lastCard = null;
    if (card) {
      card.setAttribute("tabindex", "-1");
      card.focus();
    }
  });
  document.body.addEventListener("htmx:sendError", showFailure);
  document.body.addEventListener("htmx:responseError", (event) => {
    if (!event.detail.xhr.getResponseHeader("X-Board-Refresh")) {
      showFailure();
    }
  });
});

// Weekly timesheet: the up and down arrows move to the same day of the previous or next mission.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".week-grid").forEach((grid) => {
    grid.addEventListener("keydown", (event) => {
      const input = event.target;
      if (!input.matches(".week-grid__input") || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) {
        return;
      }
      const cell = input.closest("td");
      let row = cell.parentElement;
      do {
        row = event.key === "ArrowUp" ? row.previousElementSibling : row.nextElementSibling;
        const next = row && row.children[cell.cellIndex] && row.children[cell.cellIndex].querySelector(".week-grid__input");
        if (next) {
          event.preventDefault();
          next.focus();
          next.select();
          return;
        }
      } while (row);
    });
  });
});

// My work: copy the private calendar address (the button shows only where the clipboard is available).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-select-on-focus]").forEach((input) => {
    input.addEventListener("focus", () => input.select());
  });
  document.querySelectorAll("[data-copy]").forEach((button) => {
    const source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(source.value).then(() => {
        const status = document.getElementById(button.getAttribute("data-copy-status"));
        if (status) {
          status.textContent = button.getAttribute("data-copied");
        }
      });
    });
  });
});

// Phones: the menu button opens and closes the main menu (the link falls back to #site-menu without script).
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector("[data-menu-toggle]");
  const menu = toggle ? document.getElementById(toggle.getAttribute("aria-controls")) : null;
  if (!menu) {
    return;
  }
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("is-open", open);
  };
  toggle.addEventListener("click", (event) => {
    event.preventDefault();
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  toggle.addEventListener("keydown", (event) => {
    if (event.key === " ") {
      event.preventDefault();
      toggle.click();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
});

// Tab bars that scroll sideways keep the current tab in view (centred when it can be).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".subnav__inner, .tabs, .account-tabs").forEach((bar) => {
    const current = bar.querySelector("[aria-current]");
    if (!current || bar.scrollWidth <= bar.clientWidth) {
      return;
    }
    const offset = current.getBoundingClientRect().left - bar.getBoundingClientRect().left;
    bar.scrollLeft = Math.max(0, bar.scrollLeft + offset - (bar.clientWidth - current.offsetWidth) / 2);
  });
});

// Weekly timesheet on a phone: the day picker shows another day without reloading (what was typed stays).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".week-form").forEach((form) => {
    const grid = form.querySelector("[data-shown-day]");
    const input = form.querySelector("[data-day-input]");
    form.querySelectorAll("[data-day-pick]").forEach((link) => {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        const day = link.getAttribute("data-day-pick");
        grid.setAttribute("data-shown-day", day);
        input.value = day;
        form.querySelectorAll("[data-day-pick]").forEach((other) => other.removeAttribute("aria-current"));
        link.setAttribute("aria-current", "true");
      });
    });
  });
});

// Recap editor: the preview follows the text as it is typed, with the server's rules (blank lines between
// paragraphs, "- " starts a list item, an indented line continues it). Text only: nothing typed is HTML.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-recap-preview]").forEach((preview) => {
    const source = document.getElementById(preview.getAttribute("data-recap-preview"));
    if (!source) {
      return;
    }
    const render = () => {
      const nodes = [];
      source.value.replace(/\r\n/g, "\n").split("\n\n").forEach((chunk) => {
        let list = null;
        chunk.split("\n").forEach((raw) => {
          const line = raw.trim();
          if (!line) {
            return;
          }
          if (line.startsWith("- ") || line === "-") {
            if (!list) {
              list = document.createElement("ul");
              nodes.push(list);
            }
            const item = document.createElement("li");
            item.textContent = line.slice(2).trim();
            list.appendChild(item);
          } else if (list && /^\s/.test(raw)) {
            list.lastElementChild.append(document.createElement("br"), line);
          } else {
            list = null;
            const paragraph = document.createElement("p");
            paragraph.textContent = line;
            nodes.push(paragraph);
          }
        });
      });
      preview.replaceChildren(...nodes);
    };
    source.addEventListener("input", render);
  });
});
