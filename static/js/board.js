// The task board: drag a card to another column to change its status (SortableJS), or choose the column in
// its "Move to" menu, which saves at once with JavaScript and with its button without. Either way the server
// checks the permission and the version the card was drawn at; a refused move goes back where it was.
(function () {
  "use strict";
  const board = document.querySelector(".board[data-move-url]");
  if (!board) return;
  const status = document.querySelector(".board-status");
  document.documentElement.classList.add("js");

  function say(text, ok) {
    status.textContent = text;
    status.className = "board-status flash " + (ok ? "flash-success" : "flash-error");
  }

  function recount() {
    board.querySelectorAll(".board-column").forEach(function (column) {
      const count = column.querySelector(".count");
      const before = Number(count.dataset.total || count.textContent);
      const shown = Number(count.dataset.shown || column.querySelectorAll(".task-card").length);
      const now = column.querySelectorAll(".task-card").length;
      count.dataset.total = String(before + now - shown);
      count.dataset.shown = String(now);
      count.textContent = count.dataset.total;
    });
  }

  function save(card, target, undo) {
    const form = card.querySelector(".move-form");
    const body = new FormData(form);
    body.set("status", target);
    card.classList.add("saving");
    fetch(board.dataset.moveUrl + card.dataset.task + "/move", {
      method: "POST", body: body, headers: {"Accept": "application/json", "X-CSRFToken": board.dataset.csrf},
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().catch(function () { return {ok: false, messages: [response.statusText]}; });
    }).then(function (answer) {
      card.classList.remove("saving");
      if (answer.ok) {
        card.dataset.version = answer.version;
        form.querySelector("input[name=version]").value = answer.version;
        form.querySelector("select[name=status]").value = answer.status;
      } else {
        undo();
      }
      recount();
      say(answer.messages.join(" "), answer.ok);
    }).catch(function () {
      card.classList.remove("saving");
      undo();
      recount();
      say(board.dataset.failed, false);
    });
  }

  board.querySelectorAll(".board-column .column-cards").forEach(function (list) {
    new Sortable(list, {
      group: "board", draggable: ".task-card.movable", filter: "select, button, a", preventOnFilter: false,
      animation: 120,
      onEnd: function (event) {
        if (event.from === event.to) return;
        const card = event.item;
        const from = event.from, index = event.oldIndex;
        const select = card.querySelector(".move-form select");
        const original = select.value;
        save(card, event.to.closest(".board-column").dataset.status, function () {
          from.insertBefore(card, from.children[index] || null);
          select.value = original;
        });
      },
    });
  });

  board.addEventListener("change", function (event) {
    const select = event.target.closest(".move-form select");
    if (!select) return;
    const card = select.closest(".task-card");
    const from = card.parentElement, next = card.nextElementSibling;
    const column = board.querySelector('.board-column[data-status="' + select.value + '"] .column-cards');
    column.prepend(card);
    const original = from.closest(".board-column").dataset.status;
    save(card, select.value, function () { from.insertBefore(card, next); select.value = original; });
    select.focus();
  });
})();
