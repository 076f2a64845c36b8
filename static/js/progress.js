// Follows a running import: polls its status and updates the progress bar; reloads when it ends.
(function () {
  var box = document.getElementById("import-status");
  if (!box || box.getAttribute("data-state") !== "running") { return; }
  var url = box.getAttribute("data-status-url");
  function set(id, value) { var el = document.getElementById(id); if (el && value !== undefined) { el.textContent = value; } }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        document.getElementById("import-progress").value = status.progress;
        set("import-percent", status.progress);
        set("import-state", status.state_label);
        set("import-message", status.message);
        set("rows-read", status.rows_read);
        set("events-added", status.events_added);
        set("duplicates", status.duplicates);
        set("unknown-events", status.unknown_events);
        if (status.state === "running") { window.setTimeout(poll, 700); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  poll();
})();
