// The plan's timeline, drawn by frappe-gantt (static/vendor/frappe-gantt): phases, go-lives and change tasks with
// their dependencies, today's line, and a chosen baseline as a thin bar under each bar. Dragging a task's bar
// saves its new dates at once (POST .../tasks/<id>/dates with the version it was drawn at); the server checks
// the permission, the version and the dependencies, and a refused move goes back where it was. Phases, go-lives
// and tasks the reader may not change are drawn locked.
(function () {
  "use strict";
  const element = document.getElementById("timeline");
  if (!element || typeof Gantt === "undefined") return;
  const rows = JSON.parse(element.dataset.rows);
  if (!rows.length) return;
  const status = document.querySelector(".timeline-status");
  const DAY = 86400000;
  let gantt = null;

  function say(text, ok) {
    status.textContent = text;
    status.className = "timeline-status flash " + (ok ? "flash-success" : "flash-error");
  }

  function iso(date) {
    const pad = (n) => String(n).padStart(2, "0");
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate());
  }

  function local(text) {  // "2026-03-01" as local midnight, the way frappe-gantt reads it
    const [y, m, d] = text.split("-").map(Number);
    return new Date(y, m - 1, d);
  }

  function copies() {  // frappe-gantt writes into the objects it is given: it gets fresh ones each time
    // it writes a bar's name into its label as HTML: the names go in escaped
    return rows.map((row) => Object.assign({}, row, {name: escapeHtml(row.name)}));
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  // a date as the page writes them (crmproject.dates.browser_date_format); ISO where the page names no locale
  const dateFormat = element.dataset.dateLocale ?
    new Intl.DateTimeFormat(element.dataset.dateLocale, {dateStyle: element.dataset.dateStyle || "short"}) : null;
  function shown(text) {
    return dateFormat ? dateFormat.format(local(text)) : text;
  }

  function popup(context) {
    const task = context.task;
    const row = rows.find((r) => r.id === task.id) || task;
    let html = "<div class=\"tl-popup\" dir=\"" + (document.documentElement.dir || "ltr") + "\"><strong>" + escapeHtml(row.name) + "</strong><div>" + shown(row.start) +
      (row.end !== row.start ? " – " + shown(row.end) : "") + "</div>";
    if (row.status) html += "<div>" + escapeHtml(row.status) + "</div>";
    if (row.baseline) {
      html += "<div class=\"muted\">" + escapeHtml(element.dataset.baselineLabel) + ": " + shown(row.baseline.start) +
        (row.baseline.end !== row.baseline.start ? " – " + shown(row.baseline.end) : "") + "</div>";
    }
    if (row.task) {
      html += "<a href=\"" + element.dataset.taskUrl + row.task + "\">" + escapeHtml(element.dataset.open) + "</a>";
    }
    return html + "</div>";
  }

  function drawBaselines() {
    const svg = element.querySelector("svg.gantt");
    if (!svg || !gantt) return;
    svg.querySelectorAll("g.tl-baselines").forEach((g) => g.remove());
    const layer = document.createElementNS("http://www.w3.org/2000/svg", "g");
    layer.setAttribute("class", "tl-baselines");
    gantt.tasks.forEach(function (task) {
      const row = rows.find((r) => r.id === task.id);
      const bar = svg.querySelector('g.bar-wrapper[data-id="' + task.id + '"] rect.bar');
      if (!row || !row.baseline || !bar) return;
      const x = Number(bar.getAttribute("x")), width = Number(bar.getAttribute("width"));
      const perMs = width / Math.max(task._end - task._start, 1);
      const start = local(row.baseline.start), end = new Date(local(row.baseline.end).getTime() + DAY);
      const mark = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      mark.setAttribute("class", "tl-baseline");
      mark.setAttribute("x", String(x + (start - task._start) * perMs));
      mark.setAttribute("width", String(Math.max((end - start) * perMs, 2)));
      mark.setAttribute("y", String(Number(bar.getAttribute("y")) + Number(bar.getAttribute("height")) + 2));
      mark.setAttribute("height", "4");
      mark.setAttribute("data-id", task.id);
      layer.appendChild(mark);
    });
    svg.appendChild(layer);
  }

  function decorate() {  // the classes beyond frappe-gantt's one: locked, moved since the baseline, the status
    rows.forEach(function (row) {
      const group = element.querySelector('g.bar-wrapper[data-id="' + row.id + '"]');
      if (group) (row.classes || []).forEach((name) => group.classList.add(name));
    });
  }

  function locked(id) {
    const row = rows.find((r) => r.id === id);
    return !row || (row.classes || []).indexOf("locked") >= 0;
  }

  function translateButtons() {
    if (gantt && gantt.$today_button && element.dataset.todayLabel) gantt.$today_button.textContent = element.dataset.todayLabel;
  }

  function redraw() {
    gantt.refresh(copies());
  }

  function save(task, start, end) {
    const row = rows.find((r) => r.id === task.id);
    const body = new FormData();
    body.set("csrf_token", element.dataset.csrf);
    body.set("start", iso(start));
    body.set("due", iso(end));
    body.set("version", String(row.version));
    fetch(element.dataset.taskUrl + row.task + "/dates", {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": element.dataset.csrf},
    }).then(function (response) {
      return response.json().catch(function () { return {ok: false, messages: [response.statusText]}; });
    }).then(function (answer) {
      if (answer.version !== undefined) {  // saved, or refused: the bar takes the task as it is now
        row.start = answer.start || answer.due || row.start;
        row.end = answer.due || answer.start || row.end;
        row.version = answer.version;
      }
      redraw();  // the saved dates, or the task's dates now after a refusal
      say((answer.messages || [answer.message || answer.error || element.dataset.failed]).join(" "), Boolean(answer.ok));
    }).catch(function () {
      redraw();
      say(element.dataset.failed, false);
    });
  }

  // frappe-gantt reports a date change at every step of a drag: the last one is saved when the mouse is released.
  // Its dates are read as what the drag meant: a bar moved keeps its length (at the Months scale frappe-gantt
  // snaps the start to the 1st and gives an end before it for a bar shorter than a month), a handle dragged moves
  // only its own end, and an end never falls before the start.
  const pending = new Map();
  function remember(task, start, end) {
    const row = rows.find((r) => r.id === task.id);
    if (row) {
      start = local(iso(start));
      end = local(iso(end));
      const moved = iso(start) !== row.start, stretched = iso(end) !== row.end;
      if (moved && stretched) {  // whole days, so a change of summer time between them shifts nothing
        const length = Math.round((local(row.end) - local(row.start)) / DAY);
        end = new Date(start.getFullYear(), start.getMonth(), start.getDate() + length);
      } else if (end < start) {
        end = start;
      }
    }
    pending.set(task.id, [task, start, end]);
  }
  document.addEventListener("mouseup", function () {
    setTimeout(function () {
      const moves = Array.from(pending.values());
      pending.clear();
      moves.forEach((move) => save.apply(null, move));
    }, 0);
  });

  // Locked bars (phases, go-lives, tasks the reader may not change) are not dragged: their mousedown stops here,
  // before frappe-gantt's own handler on the chart sees it.
  element.addEventListener("mousedown", function (event) {
    const group = event.target.closest(".bar-wrapper");
    if (group && locked(group.getAttribute("data-id"))) event.stopPropagation();
  }, true);

  gantt = new Gantt(element, copies(), {
    view_mode: "Month",
    // Time runs left to right on a right-to-left page too (the element is dir=ltr, as the charts are), over the
    // Gregorian months it draws: their names in the page's language on that calendar (Persian's own is Solar Hijri)
    language: (document.documentElement.lang || "en") + "-u-ca-gregory",
    readonly_progress: true,
    move_dependencies: false,
    bar_height: 22,
    padding: 16,
    today_button: true,
    scroll_to: "today",
    infinite_padding: false,
    popup_on: "click",
    popup: popup,
    on_date_change: remember,
    on_view_change: function () { translateButtons(); decorate(); requestAnimationFrame(drawBaselines); },
  });
  decorate();
  requestAnimationFrame(drawBaselines);
  translateButtons();

  const scale = document.getElementById("timeline-scale");
  if (scale) {
    scale.addEventListener("change", function () {
      gantt.change_view_mode(scale.value, true);
    });
  }
})();
