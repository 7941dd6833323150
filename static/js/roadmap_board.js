// The roadmap board for people who may move cards: drag and drop with a mouse, and the same
// moves from the keyboard — focus a card, Space picks it up, the arrow keys move it, Space drops
// it, Escape puts it back — or with each card's arrow buttons. Every move is posted to the
// server, which renumbers the columns and answers with their order; the board follows that
// answer (the server is the truth) and says what happened in a live region. Without this
// script each card's "Move" form does the same with a page load.
(function () {
  "use strict";

  var board;
  var live;
  var lifted = null; // {card, origin} while a card is picked up from the keyboard
  var dragged = null; // {card, origin, dropped} while a card is dragged
  var quiet = false; // our own DOM moves blur the card; don't take that as leaving it

  function $all(root, selector) {
    return Array.prototype.slice.call(root.querySelectorAll(selector));
  }

  function announce(text) {
    if (!live) return;
    // Emptied first so that the same sentence twice is read twice.
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 30);
  }

  function columns() { return $all(board, "[data-column]"); }
  function columnOf(card) { return card.closest("[data-column]"); }
  function listOf(column) { return column.querySelector("[data-column-items]"); }
  function cardsIn(column) { return $all(listOf(column), ".board-card"); }

  function title(card) { return "“" + card.getAttribute("data-title") + "”"; }

  function place(card) {
    var column = columnOf(card);
    var cards = cardsIn(column);
    return column.getAttribute("data-label") + ", position " + (cards.indexOf(card) + 1) +
      " of " + cards.length;
  }

  // A card dropped into a column keeps its stage there (In progress stays in Now); from
  // elsewhere it takes the column's own status.
  function statusFor(card, column) {
    var statuses = column.getAttribute("data-statuses").split(" ");
    var current = card.getAttribute("data-status");
    return statuses.indexOf(current) >= 0 ? current : column.getAttribute("data-column");
  }

  function originOf(card) {
    return { parent: card.parentNode, next: card.nextSibling };
  }

  function samePlace(card, origin) {
    return card.parentNode === origin.parent && card.nextSibling === origin.next;
  }

  function restore(card, origin) {
    quiet = true;
    origin.parent.insertBefore(card, origin.next);
    quiet = false;
    refresh();
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function refresh() {
    var all = columns();
    all.forEach(function (column, columnIndex) {
      var cards = cardsIn(column);
      var count = column.querySelector("[data-count]");
      if (count) count.textContent = String(cards.length);
      var empty = column.querySelector("[data-empty]");
      if (empty) empty.hidden = cards.length > 0;
      cards.forEach(function (card, index) {
        var tools = card.querySelector(".board-card__tools");
        if (!tools) return;
        tools.querySelector("[data-move=left]").disabled = columnIndex === 0;
        tools.querySelector("[data-move=right]").disabled = columnIndex === all.length - 1;
        tools.querySelector("[data-move=up]").disabled = index === 0;
        tools.querySelector("[data-move=down]").disabled = index === cards.length - 1;
      });
    });
  }

  // The server's answer: the columns it touched, in its order. Cards this page does not show
  // (filtered out) are simply not there.
  function apply(body) {
    Object.keys(body.columns || {}).forEach(function (key) {
      var column = board.querySelector('[data-column="' + key + '"]');
      if (!column) return;
      var list = listOf(column);
      body.columns[key].forEach(function (id, index) {
        var card = board.querySelector('[data-item="' + id + '"]');
        if (!card) return;
        list.appendChild(card);
        card.setAttribute("data-position", String(index + 1));
        var position = card.querySelector("input[name=position]");
        if (position) position.value = String(index + 1);
      });
    });
    var item = body.item;
    var moved = item && board.querySelector('[data-item="' + item.id + '"]');
    if (moved) {
      moved.setAttribute("data-status", item.status);
      var stage = moved.querySelector("[data-stage]");
      if (stage) {
        stage.hidden = item.status === item.column;
        stage.textContent = item.status === item.column ? "" : item.status_label;
      }
      var select = moved.querySelector("select[name=status]");
      if (select) select.value = item.status;
    }
    refresh();
  }

  function send(card, origin, focusTarget) {
    var column = columnOf(card);
    var cards = cardsIn(column);
    var index = cards.indexOf(card);
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrfToken());
    data.append("status", statusFor(card, column));
    if (index > 0) {
      data.append("after", cards[index - 1].getAttribute("data-item"));
    } else if (cards.length > 1) {
      data.append("before", cards[1].getAttribute("data-item"));
    }
    card.classList.add("is-busy");
    card.setAttribute("aria-busy", "true");
    function done() {
      card.classList.remove("is-busy");
      card.removeAttribute("aria-busy");
      if (focusTarget && document.body.contains(focusTarget)) {
        quiet = true;
        focusTarget.focus();
        quiet = false;
      }
    }
    fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return response.json().then(
          function (body) { return { ok: response.ok && body.ok, body: body }; },
          function () { return { ok: false, body: { message: "Not moved (" + response.status + ")." } }; }
        );
      })
      .then(function (result) {
        if (result.ok) {
          apply(result.body);
        } else {
          restore(card, origin);
        }
        announce(result.body.message || "Not moved.");
        done();
      })
      .catch(function () {
        restore(card, origin);
        announce("Not moved: the server could not be reached. Try again.");
        done();
      });
  }

  // Moves the card in the page only; `send` asks the server to make it so.
  function shift(card, direction) {
    var column = columnOf(card);
    var cards = cardsIn(column);
    var index = cards.indexOf(card);
    var all = columns();
    var columnIndex = all.indexOf(column);
    quiet = true;
    if (direction === "up" && index > 0) {
      listOf(column).insertBefore(card, cards[index - 1]);
    } else if (direction === "down" && index < cards.length - 1) {
      listOf(column).insertBefore(card, cards[index + 1].nextSibling);
    } else if ((direction === "left" && columnIndex > 0) ||
               (direction === "right" && columnIndex < all.length - 1)) {
      var target = all[columnIndex + (direction === "left" ? -1 : 1)];
      var others = cardsIn(target);
      var at = Math.min(index, others.length);
      listOf(target).insertBefore(card, others[at] || null);
    } else {
      quiet = false;
      return false;
    }
    quiet = false;
    refresh();
    return true;
  }

  // --- keyboard: pick up, move, drop -------------------------------------------------------

  function lift(card) {
    lifted = { card: card, origin: originOf(card) };
    card.classList.add("is-lifted");
    announce("Picked up " + title(card) + ": " + place(card) +
      ". Arrow keys move it, Space drops it, Escape cancels.");
  }

  function settle() {
    var state = lifted;
    lifted = null;
    state.card.classList.remove("is-lifted");
    return state;
  }

  function drop() {
    var state = settle();
    if (samePlace(state.card, state.origin)) {
      announce(title(state.card) + " dropped where it was.");
      return;
    }
    send(state.card, state.origin, state.card);
  }

  function cancel() {
    var state = settle();
    restore(state.card, state.origin);
    state.card.focus();
    announce("Move cancelled: " + title(state.card) + " is back at " + place(state.card) + ".");
  }

  var KEYS = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };

  function onKeydown(event) {
    var card = event.target;
    if (!card.classList || !card.classList.contains("board-card")) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (!lifted) {
      if (event.key === " " || event.key === "Enter") {
        event.preventDefault();
        lift(card);
      }
      return;
    }
    if (lifted.card !== card) return;
    if (KEYS[event.key]) {
      event.preventDefault();
      if (shift(card, KEYS[event.key])) {
        card.focus();
        announce(title(card) + ": " + place(card) + ".");
      }
    } else if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      drop();
    } else if (event.key === "Escape") {
      event.preventDefault();
      cancel();
    }
  }

  function onFocusout(event) {
    if (quiet || !lifted || event.target !== lifted.card) return;
    if (lifted.card.contains(event.relatedTarget)) return;
    cancel();
  }

  // --- buttons ------------------------------------------------------------------------------

  var BUTTONS = [
    ["left", "←", "Move to the previous column"],
    ["up", "↑", "Move up"],
    ["down", "↓", "Move down"],
    ["right", "→", "Move to the next column"]
  ];

  function addTools(card) {
    var tools = document.createElement("div");
    tools.className = "board-card__tools";
    tools.setAttribute("role", "group");
    tools.setAttribute("aria-label", "Move " + title(card));
    BUTTONS.forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.setAttribute("data-move", spec[0]);
      button.setAttribute("aria-label", spec[2]);
      button.title = spec[2];
      button.textContent = spec[1];
      tools.appendChild(button);
    });
    var meta = card.querySelector(".board-card__score") || card.lastElementChild;
    meta.insertAdjacentElement("afterend", tools);
  }

  function onClick(event) {
    var button = event.target.closest && event.target.closest("[data-move]");
    if (!button || !board.contains(button)) return;
    var card = button.closest(".board-card");
    var origin = originOf(card);
    if (shift(card, button.getAttribute("data-move"))) {
      button.focus();
      send(card, origin, button);
    }
  }

  // --- mouse: drag and drop -------------------------------------------------------------------

  function onDragstart(event) {
    var card = event.target.closest && event.target.closest(".board-card");
    if (!card || !board.contains(card) || lifted) return;
    dragged = { card: card, origin: originOf(card), dropped: false };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-item"));
    window.setTimeout(function () { card.classList.add("is-dragging"); }, 0);
  }

  function clearTargets() {
    columns().forEach(function (column) { column.classList.remove("is-target"); });
  }

  function onDragover(event) {
    if (!dragged) return;
    var column = event.target.closest && event.target.closest("[data-column]");
    if (!column || !board.contains(column)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearTargets();
    column.classList.add("is-target");
    var list = listOf(column);
    var before = null;
    cardsIn(column).some(function (card) {
      if (card === dragged.card) return false;
      var box = card.getBoundingClientRect();
      if (event.clientY < box.top + box.height / 2) {
        before = card;
        return true;
      }
      return false;
    });
    if (dragged.card.nextSibling !== before || dragged.card.parentNode !== list) {
      list.insertBefore(dragged.card, before);
    }
  }

  function onDrop(event) {
    if (!dragged) return;
    event.preventDefault();
    dragged.dropped = true;
  }

  function onDragend() {
    if (!dragged) return;
    var state = dragged;
    dragged = null;
    state.card.classList.remove("is-dragging");
    clearTargets();
    if (!state.dropped) {
      restore(state.card, state.origin);
      return;
    }
    if (samePlace(state.card, state.origin)) return;
    refresh();
    send(state.card, state.origin, null);
  }

  function setUp() {
    board = document.querySelector("[data-board]");
    if (!board || !window.fetch || !window.FormData) return;
    live = document.querySelector("[data-board-status]");
    $all(board, ".board-card").forEach(function (card) {
      card.setAttribute("draggable", "true");
      $all(card, "a").forEach(function (link) { link.setAttribute("draggable", "false"); });
      addTools(card);
    });
    board.classList.add("board-enhanced");
    board.addEventListener("keydown", onKeydown);
    board.addEventListener("focusout", onFocusout);
    board.addEventListener("click", onClick);
    board.addEventListener("dragstart", onDragstart);
    board.addEventListener("dragover", onDragover);
    board.addEventListener("drop", onDrop);
    board.addEventListener("dragend", onDragend);
    refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
