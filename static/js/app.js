// Small progressive enhancements; every page works without them.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A button with data-print prints the page (the dashboard's print view).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) {
    window.print();
  }
});

// A page that answers a form's POST with something shown once (a new API token's secret) carries data-shown-once:
// its history entry becomes a plain visit, so reloading it shows the page again instead of posting the form twice.
if (document.querySelector("[data-shown-once]") && window.history && window.history.replaceState) {
  window.history.replaceState(null, "", window.location.href);
}

// A form sent back with errors: the first of them is brought into view, and its field focused, so a reader on a
// phone sees what to put right instead of the top of a long page (the form may sit far below, as a gate's does).
(function () {
  var first = document.querySelector(".form-errors, .field.has-error");
  if (!first) return;
  first.scrollIntoView({block: "center"});
  var input = first.matches(".field") ? first.querySelector("input, select, textarea") : null;
  if (input) input.focus({preventScroll: true});
})();
