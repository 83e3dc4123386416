// Greenlight's only script of its own: toasts and small conveniences. No inline script anywhere (see the CSP).
(function () {
  "use strict";

  var AUTO_DISMISS_MS = 7000;

  function dismiss(toast) {
    toast.classList.add("is-leaving");
    window.setTimeout(function () { toast.remove(); }, 300);
  }

  function arm(toast) {
    if (toast.dataset.armed) return;
    toast.dataset.armed = "1";
    // Errors stay until dismissed, so nobody misses what went wrong.
    if (!toast.classList.contains("toast-error")) {
      var timer = window.setTimeout(function () { dismiss(toast); }, AUTO_DISMISS_MS);
      toast.addEventListener("mouseenter", function () { window.clearTimeout(timer); });
      toast.addEventListener("focusin", function () { window.clearTimeout(timer); });
    }
  }

  function armAll(root) {
    (root || document).querySelectorAll(".toast").forEach(arm);
  }

  document.addEventListener("click", function (event) {
    var close = event.target.closest(".toast-close");
    if (close) dismiss(close.closest(".toast"));
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") document.querySelectorAll(".toast").forEach(dismiss);
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches("[data-select-on-focus]")) event.target.select();
  });

  // htmx 2 swaps no 4xx answer. A form that shows its refusals where they were typed says so with
  // data-swap-refusals: its 400 (refused as typed) and 409 (overtaken) answers are swapped like a 200.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var elt = event.detail.elt;
    if ((status === 400 || status === 409) && elt && elt.closest && elt.closest("[data-swap-refusals]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("DOMContentLoaded", function () { armAll(document); });
  document.addEventListener("htmx:afterSettle", function () { armAll(document); });
  document.addEventListener("htmx:oobAfterSwap", function () { armAll(document); });
})();
