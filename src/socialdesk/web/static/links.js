// Links page: copy a short link (or a one-time secret) to the clipboard.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      var text = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = text; }, 1500);
    });
  });
})();
