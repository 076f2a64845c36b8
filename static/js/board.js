// The task board: drag a card to another column to change its status (SortableJS), or choose the column in
// its "Move to" menu, which saves at once with JavaScript and with its button without. Either way the server
// checks the permission and the version the card was drawn at; a refused move goes back where the task is now.
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

  function recount() {  // each column's count: the tasks matching the filter, shown or not
    board.querySelectorAll(".board-column").forEach(function (column) {
      const count = column.querySelector(".count");
      const now = column.querySelectorAll(".task-card").length;
      count.dataset.total = String(Number(count.dataset.total) + now - Number(count.dataset.shown));
      count.dataset.shown = String(now);
      count.textContent = count.dataset.total;
    });
  }

  function column(value) {
    return board.querySelector('.board-column[data-status="' + value + '"] .column-cards');
  }

  function messages(answer) {  // a move's answer, or an error page's JSON ({error, message})
    return answer.messages || [answer.message || answer.error || board.dataset.failed];
  }

  // One save at a time per card: a second move waits for the first (stepping through the menu with the arrow
  // keys changes it several times) and is sent with the version the first one gave.
  const queues = new WeakMap();

  function save(card, target) {
    const previous = queues.get(card) || Promise.resolve();
    const next = previous.then(() => send(card, target));
    queues.set(card, next);
  }

  function send(card, target) {
    const form = card.querySelector(".move-form");
    const select = form.querySelector("select[name=status]");
    const body = new FormData(form);
    body.set("status", target);
    card.classList.add("saving");
    return fetch(board.dataset.moveUrl + card.dataset.task + "/move", {
      method: "POST", body: body, headers: {"Accept": "application/json", "X-CSRFToken": board.dataset.csrf},
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().catch(function () { return {ok: false, message: response.statusText}; });
    }).then(function (answer) {
      card.classList.remove("saving");
      if (answer.version !== undefined) {  // saved, or refused as stale: the card takes the task as it is now
        card.dataset.version = answer.version;
        form.querySelector("input[name=version]").value = answer.version;
      }
      const place = answer.ok ? target : (answer.status || form.dataset.drawn);
      if (card.closest(".board-column").dataset.status !== place) column(place).prepend(card);
      select.value = place;
      form.dataset.drawn = place;
      recount();
      say(messages(answer).join(" "), Boolean(answer.ok));
    }).catch(function () {
      card.classList.remove("saving");
      column(form.dataset.drawn).prepend(card);
      select.value = form.dataset.drawn;
      recount();
      say(board.dataset.failed, false);
    });
  }

  board.querySelectorAll(".task-card .move-form").forEach(function (form) {
    form.dataset.drawn = form.closest(".board-column").dataset.status;  // where the server has the task
  });

  board.querySelectorAll(".board-column .column-cards").forEach(function (list) {
    new Sortable(list, {
      group: "board", draggable: ".task-card.movable", filter: "select, button, a", preventOnFilter: false,
      animation: 120,
      onEnd: function (event) {
        if (event.from === event.to) return;
        recount();
        save(event.item, event.to.closest(".board-column").dataset.status);
      },
    });
  });

  board.addEventListener("change", function (event) {
    const select = event.target.closest(".move-form select");
    if (!select) return;
    const card = select.closest(".task-card");
    column(select.value).prepend(card);
    recount();
    save(card, select.value);
    select.focus();
  });
})();
