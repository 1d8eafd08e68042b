// Boards (tasks of a mission, opportunities of a collective): drag and drop on native drag events, and
// one menu per board that the cards' "Actions" buttons open, for the keyboard and for touch screens.
// Without JavaScript, each card's "Actions" link opens a page of plain forms, and every move posts.
(() => {
  const boardElement = () => document.getElementById("board");
  const statusLine = () => document.querySelector("[data-board-status]");

  const say = (text) => {
    const status = statusLine();
    if (status && text) {
      const line = document.createElement("p");
      line.className = "message message--info";
      line.textContent = text;
      status.replaceChildren(line);
    }
  };

  // The card that keeps (or gets back) the focus once the board is swapped.
  let focusAfterSwap = null;

  const post = (url, values, cardId) => {
    const form = document.getElementById("board-actions");
    const data = {};
    if (form) {
      new FormData(form).forEach((value, name) => { data[name] = value; });
    }
    Object.assign(data, values);
    const status = statusLine();
    say(status ? status.getAttribute("data-working") : "");
    focusAfterSwap = cardId;
    return window.htmx.ajax("POST", url, { target: "#board", swap: "outerHTML", values: data });
  };

  // A card's column is its list's; its assignee, when it has one, is on the card.
  const currentValue = (card, name) => {
    const board = card.closest("[data-board]");
    const list = card.closest("[data-drop]");
    if (board && list && board.getAttribute("data-drop-field") === name) {
      return list.getAttribute("data-drop");
    }
    if (name === "assignee") {
      return card.getAttribute("data-assignee") || "";
    }
    return null;
  };

  const cardOf = (element) => (element && element.closest ? element.closest("[data-id]") : null);
  const allows = (card, needs) => {
    const actions = (card.getAttribute("data-actions") || "").split(" ");
    return needs.split(" ").some((need) => actions.includes(need));
  };

  // --- The menu -------------------------------------------------------------------------------------

  const menu = () => document.querySelector("[data-board-menu]");
  let menuCard = null;
  let menuButton = null;

  const items = () => Array.from(menu().querySelectorAll("[role=menuitem]")).filter((item) => !item.hidden);

  const closeMenu = (returnFocus) => {
    const element = menu();
    if (!element || element.hidden) {
      return;
    }
    element.hidden = true;
    if (menuButton) {
      menuButton.setAttribute("aria-expanded", "false");
      if (returnFocus) {
        menuButton.focus();
      }
    }
    menuCard = null;
    menuButton = null;
  };

  const openMenu = (button) => {
    const element = menu();
    const card = cardOf(button);
    if (!element || !card) {
      return false;
    }
    closeMenu(false);
    menuCard = card;
    menuButton = button;
    element.querySelectorAll("[data-needs]").forEach((part) => {
      part.hidden = !allows(card, part.getAttribute("data-needs"));
    });
    element.querySelectorAll("[data-name]").forEach((item) => {
      // No "move to" the card's own column, no "assign to" its own assignee.
      const current = currentValue(card, item.getAttribute("data-name"));
      if (current !== null && current === item.getAttribute("data-value")) {
        item.hidden = true;
      }
    });
    element.querySelectorAll("[data-link]").forEach((link) => {
      link.href = link.getAttribute("data-link").replace("{id}", card.getAttribute("data-id"));
    });
    const title = card.querySelector("[data-title], .task-card__title, .board__card-title");
    element.setAttribute("aria-label", `${element.getAttribute("data-title-prefix")}: ${title ? title.textContent.trim() : ""}`);
    element.hidden = false;
    const box = button.getBoundingClientRect();
    const width = element.offsetWidth;
    const left = Math.max(8, Math.min(box.right - width, document.documentElement.clientWidth - width - 8));
    element.style.left = `${left + window.scrollX}px`;
    element.style.top = `${box.bottom + window.scrollY + 4}px`;
    button.setAttribute("aria-expanded", "true");
    const first = items()[0];
    if (first) {
      first.focus();
    }
    return true;
  };

  const activate = (item) => {
    const card = menuCard;
    if (!card) {
      return;
    }
    if (item.hasAttribute("data-link")) {
      return; // a plain link: the browser follows it
    }
    const url = item.getAttribute("data-url").replace("{id}", card.getAttribute("data-id"));
    const values = {};
    if (item.getAttribute("data-name")) {
      values[item.getAttribute("data-name")] = item.getAttribute("data-value");
    }
    closeMenu(false);
    post(url, values, card.id);
  };

  const enhanceButtons = (root) => {
    root.querySelectorAll("[data-menu-button]").forEach((button) => {
      button.setAttribute("role", "button");
      button.setAttribute("aria-haspopup", "menu");
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", "board-menu");
    });
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest ? event.target.closest("[data-menu-button]") : null;
    if (button && menu()) {
      event.preventDefault();
      if (menuButton === button) {
        closeMenu(true);
      } else {
        openMenu(button);
      }
      return;
    }
    const item = event.target.closest ? event.target.closest("[data-board-menu] [role=menuitem]") : null;
    if (item) {
      if (!item.hasAttribute("data-link")) {
        event.preventDefault();
      }
      activate(item);
      return;
    }
    if (menu() && !menu().hidden && !event.target.closest("[data-board-menu]")) {
      closeMenu(false);
    }
  });

  document.addEventListener("keydown", (event) => {
    const button = event.target.closest ? event.target.closest("[data-menu-button]") : null;
    if (button && (event.key === " " || event.key === "ArrowDown") && menu()) {
      // A link acting as a menu button opens on Space and the down arrow too (Enter clicks it).
      event.preventDefault();
      openMenu(button);
      return;
    }
    const element = menu();
    if (!element || element.hidden || !element.contains(event.target)) {
      return;
    }
    const list = items();
    const index = list.indexOf(event.target);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      list[(index + step + list.length) % list.length].focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      list[event.key === "Home" ? 0 : list.length - 1].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeMenu(true);
    } else if (event.key === "Tab") {
      closeMenu(true);
    } else if (event.key === " ") {
      event.preventDefault();
      event.target.click();
    }
  });

  // --- Drag and drop --------------------------------------------------------------------------------

  let dragged = null;
  let origin = null;
  let dropped = false;

  const cardAfter = (list, y) => {
    const cards = Array.from(list.querySelectorAll(":scope > [data-id]")).filter((card) => card !== dragged);
    return cards.find((card) => {
      const box = card.getBoundingClientRect();
      return y < box.top + box.height / 2;
    }) || null;
  };

  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest ? event.target.closest("[data-id][draggable=true]") : null;
    if (!card) {
      return;
    }
    closeMenu(false);
    dragged = card;
    dropped = false;
    origin = { parent: card.parentElement, next: card.nextElementSibling };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-id"));
    window.requestAnimationFrame(() => card.classList.add("is-dragging"));
  });

  document.addEventListener("dragover", (event) => {
    const list = event.target.closest ? event.target.closest("[data-drop]") : null;
    if (!dragged || !list) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".is-drop-target").forEach((other) => other !== list && other.classList.remove("is-drop-target"));
    list.classList.add("is-drop-target");
    const board = list.closest("[data-board]");
    if (board && board.hasAttribute("data-drop-order")) {
      const after = cardAfter(list, event.clientY);
      if (after !== dragged.nextElementSibling || dragged.parentElement !== list) {
        list.insertBefore(dragged, after);
      }
    } else if (dragged.parentElement !== list) {
      list.prepend(dragged);
    }
  });

  document.addEventListener("drop", (event) => {
    const list = event.target.closest ? event.target.closest("[data-drop]") : null;
    if (!dragged || !list) {
      return;
    }
    event.preventDefault();
    const board = list.closest("[data-board]");
    const card = dragged;
    const field = board.getAttribute("data-drop-field");
    const target = list.getAttribute("data-drop");
    const values = { [field]: target };
    if (board.hasAttribute("data-drop-order")) {
      let next = card.nextElementSibling;
      while (next && !next.hasAttribute("data-id")) {
        next = next.nextElementSibling;
      }
      values.before = next ? next.getAttribute("data-id") : "";
    } else if (origin && origin.parent === list) {
      return; // same column of a board without order: nothing to do
    }
    dropped = true;
    post(board.getAttribute("data-drop-url").replace("{id}", card.getAttribute("data-id")), values, card.id);
  });

  document.addEventListener("dragend", () => {
    if (dragged) {
      dragged.classList.remove("is-dragging");
      if (!dropped && origin) {
        origin.parent.insertBefore(dragged, origin.next);
      }
    }
    document.querySelectorAll(".is-drop-target").forEach((list) => list.classList.remove("is-drop-target"));
    dragged = null;
    origin = null;
  });

  // --- After each swap ------------------------------------------------------------------------------

  document.addEventListener("htmx:beforeRequest", (event) => {
    const more = event.target.closest ? event.target.closest("[data-more]") : null;
    if (more) {
      // "Show more": the focus goes to the first card shown by it.
      focusAfterSwap = { column: more.getAttribute("data-more"), index: Number(more.getAttribute("data-shown")) };
    }
  });

  document.addEventListener("htmx:afterSettle", () => {
    const board = boardElement();
    if (!board) {
      return;
    }
    enhanceButtons(board);
    const target = focusAfterSwap;
    focusAfterSwap = null;
    let card = null;
    if (typeof target === "string") {
      card = document.getElementById(target);
    } else if (target && target.column) {
      const list = board.querySelector(`[data-drop="${target.column}"]`);
      card = list ? list.querySelectorAll(":scope > [data-id]")[target.index] : null;
    }
    if (card) {
      const focusable = card.querySelector("[data-menu-button]") || card.querySelector("a, button");
      (focusable || card).focus();
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    const board = boardElement();
    if (board) {
      enhanceButtons(board);
    }
  });
})();
