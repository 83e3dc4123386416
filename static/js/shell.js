// The shell's own behaviour (templates/base.html), apart from the inbox's app.js.
// Filters sit in a <details class="filters-disclosure">: open on wide screens, collapsed on phones so the
// results come first. A person's own toggle is kept until the page is left.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 40rem)");

  function fit(root) {
    (root || document).querySelectorAll("details.filters-disclosure:not([data-touched])").forEach(function (el) {
      el.open = !narrow.matches;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    fit();
    document.addEventListener("click", function (event) {
      var summary = event.target.closest && event.target.closest("details.filters-disclosure > summary");
      if (summary) summary.parentElement.dataset.touched = "1";
    });
  });
  narrow.addEventListener("change", function () { fit(); });
  document.addEventListener("htmx:afterSwap", function (event) { fit(event.target); });
})();
