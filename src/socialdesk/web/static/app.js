// socialdesk page behaviour. Loaded as a file because the Content-Security-Policy forbids inline script.
(function () {
  "use strict";

  // Rows editors (office hours, demographics): add a row from the <template>, remove a row.
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      var editor = add.closest(".rows-editor");
      var template = editor.querySelector("template");
      var body = editor.querySelector("tbody");
      body.appendChild(template.content.cloneNode(true));
      var rows = body.querySelectorAll("tr:not(.row-error)");
      var first = rows[rows.length - 1].querySelector("input, select");
      if (first) first.focus();
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      var row = remove.closest("tr");
      var next = row.nextElementSibling;
      if (next && next.classList.contains("row-error")) next.remove();
      row.remove();
    }
  });

  // Plain (non-HTMX) forms that delete something ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // One-time secrets: select the whole value on focus so it is easy to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });
})();
