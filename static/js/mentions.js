// Suggestions while typing a mention in a comment: after "@", the people who may see the object (the page lists
// them in a JSON script beside the field), by name or e-mail address; Enter, Tab or a click puts "@address " in.
// The form works without this: a mention is "@" and the person's e-mail address, typed.
(function () {
  "use strict";
  var BEFORE = /(^|[\s(\[{«“"'])@([^\s@]*)$/;

  function setUp(field) {
    if (field.dataset.mentionsReady) return;
    field.dataset.mentionsReady = "1";
    var source = document.getElementById(field.getAttribute("data-mentionable"));
    var people = [];
    try { people = JSON.parse(source ? source.textContent : "[]"); } catch (e) { people = []; }
    if (!people.length) return;
    var list = document.createElement("ul");
    list.className = "mention-list";
    list.id = field.id + "-suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    field.insertAdjacentElement("afterend", list);
    field.setAttribute("aria-controls", list.id);
    field.setAttribute("aria-autocomplete", "list");
    var shown = [], chosen = 0, start = -1;

    function query() {
      var text = field.value.slice(0, field.selectionStart);
      var found = BEFORE.exec(text);
      if (!found) return null;
      start = text.length - found[2].length - 1;
      return found[2].toLocaleLowerCase();
    }
    function close() { list.hidden = true; shown = []; field.setAttribute("aria-expanded", "false"); }
    function draw() {
      list.textContent = "";
      shown.forEach(function (person, index) {
        var item = document.createElement("li");
        item.setAttribute("role", "option");
        item.id = list.id + "-" + index;
        item.setAttribute("aria-selected", index === chosen ? "true" : "false");
        item.textContent = person.name + " — " + person.email;
        item.addEventListener("mousedown", function (event) { event.preventDefault(); insert(person); });
        list.appendChild(item);
      });
      list.hidden = !shown.length;
      field.setAttribute("aria-expanded", shown.length ? "true" : "false");
      if (shown.length) field.setAttribute("aria-activedescendant", list.id + "-" + chosen);
    }
    function insert(person) {
      var end = field.selectionStart;
      var text = "@" + person.email + " ";
      field.value = field.value.slice(0, start) + text + field.value.slice(end);
      var caret = start + text.length;
      field.setSelectionRange(caret, caret);
      close();
      field.focus();
    }
    field.addEventListener("input", function () {
      var typed = query();
      if (typed === null) { close(); return; }
      shown = people.filter(function (person) {
        return person.name.toLocaleLowerCase().indexOf(typed) !== -1 || person.email.toLowerCase().indexOf(typed) !== -1;
      }).slice(0, 8);
      chosen = 0;
      draw();
    });
    field.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        chosen = (chosen + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
        draw();
        event.preventDefault();
      } else if (event.key === "Enter" || event.key === "Tab") {
        insert(shown[chosen]);
        event.preventDefault();
      } else if (event.key === "Escape") {
        close();
      }
    });
    field.addEventListener("blur", close);
  }

  function all() { document.querySelectorAll("textarea[data-mentionable]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
})();
