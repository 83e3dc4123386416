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
    // Errors stay until dismissed, so nobody misses what went wrong; so does a message with something to do.
    if (!toast.classList.contains("toast-error") && !toast.querySelector("[data-show-tasks]")) {
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

  // htmx 2 swaps no 4xx answer. A form that shows its refusals where the person acted says so with
  // data-swap-refusals: its 400 (refused as typed), 403 (not theirs to sign) and 409 (overtaken) answers, which
  // carry the server's words and the fresh state, are swapped like a 200.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    // detail.elt is the target here; the element that asked is the request's.
    var elt = (event.detail.requestConfig && event.detail.requestConfig.elt) || event.detail.elt;
    if ((status === 400 || status === 403 || status === 409) && elt && elt.closest && elt.closest("[data-swap-refusals]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Focus follows the swap: when the element that held the focus is replaced (a row after Claim, the decision
  // panel after a refusal), the focus goes to what the answer marks with data-autofocus, else to its first control,
  // never to <body>. Only a focus the swap took away is moved: one the person put elsewhere while the answer was on
  // its way (Tab, a link) stays there, or their next Enter would press a button they never chose.
  var FIELDS = "input:not([type=hidden]), select, textarea";
  var FOCUSABLE = FIELDS + ", button, a[href]";
  var heldFocus = null;

  function usable(element) { return element && !element.disabled && element.offsetParent !== null; }

  function firstFocusable(root) {
    var marked = root.querySelector("[data-autofocus], [autofocus]");
    if (marked) return marked;
    var chosen = root.querySelector("input[type=radio]:checked");
    if (usable(chosen)) return chosen;
    var fields = root.querySelectorAll(FIELDS);
    for (var i = 0; i < fields.length; i++) {
      if (usable(fields[i])) return fields[i];
    }
    var candidates = root.querySelectorAll(FOCUSABLE);
    for (var j = 0; j < candidates.length; j++) {
      if (usable(candidates[j])) return candidates[j];
    }
    return null;
  }

  function focusWasLost() {
    var active = document.activeElement;
    return !active || active === document.body || !document.contains(active);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    heldFocus = target && target.id && target.contains(document.activeElement) ? target.id : null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!heldFocus) return;
    var swapped = document.getElementById(heldFocus);
    heldFocus = null;
    if (!swapped || swapped.contains(document.activeElement) || !focusWasLost()) return;
    var next = firstFocusable(swapped);
    if (next) next.focus();
  });

  // The inbox's tabs go through the filter form: its hidden "tab" is set and the form sent, so a search stays on the
  // tab, and a tab clicked while the search's own answer is on its way is queued after it (hx-sync on the form),
  // not lost with the links that answer replaces.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("#inbox-tabs a[data-tab]");
    var form = document.getElementById("inbox-filters");
    if (!link || !form || !form.requestSubmit || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    form.elements.tab.value = link.dataset.tab;
    form.requestSubmit();
  });

  // "Select all on this page" in the inbox: checks every row's box (and shows "some" when only some are).
  function rowBoxes() { return document.querySelectorAll("#inbox input[type=checkbox][name=task]"); }

  document.addEventListener("change", function (event) {
    var all = document.querySelector("#inbox [data-select-all]");
    if (!all) return;
    var boxes = rowBoxes();
    if (event.target === all) {
      boxes.forEach(function (box) { box.checked = all.checked; });
    } else if (event.target.matches("#inbox input[name=task]")) {
      var checked = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
      all.checked = checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
  });

  // The decision panel opens as a modal <dialog>: in view wherever the row is, focus inside it (its first field),
  // Tab kept in it; Escape or "Cancel" closes it and gives the focus back to the "Decide" that opened it.
  var opener = null;

  function decisionDialog() { return document.getElementById("decision-dialog"); }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.id === "decision-panel") opener = event.detail.elt;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var dialog = decisionDialog();
    if (!dialog || !dialog.contains(event.detail.target)) return;
    if (!dialog.open) dialog.showModal();  // the browser focuses the first control it finds: we mean the field
    var first = firstFocusable(dialog.querySelector("#decision") || dialog);
    if (first) first.focus();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-dialog]")) {
      var dialog = event.target.closest("dialog");
      if (dialog) dialog.close();
    }
  });

  document.addEventListener("close", function (event) {
    if (event.target.id !== "decision-dialog") return;
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  }, true);

  // The inbox's keyboard shortcuts (listed in its "Keyboard shortcuts" dialog, "?"): j/k move between rows, x
  // selects, a/r/c open the decision panel with approve/reject/request changes chosen, "/" searches. Never while
  // typing in a field, with a modifier held or with a dialog open.
  var OUTCOMES = { a: "approved", r: "rejected", c: "changes_requested" };

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#inbox tr.task-row")); }

  function currentRow() {
    var active = document.activeElement;
    return active && active.closest ? active.closest("#inbox tr.task-row") : null;
  }

  function moveTo(row) {
    if (!row) return;
    row.focus();
    row.scrollIntoView({ block: "nearest" });
  }

  function openDialog(id) {
    var dialog = document.getElementById(id);
    if (dialog && !dialog.open) dialog.showModal();
  }

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-open-dialog]");
    if (trigger) openDialog(trigger.dataset.openDialog);
  });

  document.addEventListener("keydown", function (event) {
    if (!document.getElementById("inbox") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    var all = rows();
    var row = currentRow();
    var index = row ? all.indexOf(row) : -1;
    var key = event.key;
    if (key === "j") {
      moveTo(all[Math.min(index + 1, all.length - 1)]);
    } else if (key === "k") {
      moveTo(all[Math.max(index - 1, 0)]);
    } else if (key === "x" && row) {
      var box = row.querySelector("input[name=task]");
      if (!box) return;
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (OUTCOMES[key] && row) {
      var decide = row.querySelector("a[data-decide]");
      if (!decide || !window.htmx) return;
      var url = decide.getAttribute("href");
      window.htmx.ajax("GET", url + (url.indexOf("?") < 0 ? "?" : "&") + "outcome=" + OUTCOMES[key], {
        source: decide, target: "#decision-panel", swap: "innerHTML"
      });
    } else if (key === "/") {
      var search = document.querySelector("#inbox-filters input[type=search]");
      if (search) search.focus();
    } else if (key === "?") {
      openDialog("shortcuts-dialog");
    } else {
      return;
    }
    event.preventDefault();
  });

  // A bulk approval's summary names the tasks left for a reason; its "Show them" selects those rows (and only
  // them), brings the selection into view and puts the keyboard in the reason field, which now says what is
  // selected. Straight after the bulk approval, the keyboard is on "Show them" (the answer to what was done).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-show-tasks]");
    if (!button) return;
    var wanted = button.dataset.showTasks.split(",");
    var boxes = rowBoxes();
    var found = [];
    boxes.forEach(function (box) {
      box.checked = wanted.indexOf(box.value) !== -1;
      box.closest("tr").classList.toggle("is-pointed", box.checked);
      if (box.checked) found.push(box);
    });
    var all = document.querySelector("#inbox [data-select-all]");
    if (all) {
      all.checked = found.length > 0 && found.length === boxes.length;
      all.indeterminate = found.length > 0 && found.length < boxes.length;
    }
    var status = document.getElementById("bulk-status");
    if (status) {
      status.textContent = found.length
        ? found.length + (found.length === 1 ? " task needing a reason is" : " tasks needing a reason are") +
          " selected: give the reason and approve again."
        : "Those tasks are not in this list any more (another tab, page or filter).";
    }
    var form = document.getElementById("bulk-form");
    if (!found.length || !form) return;
    form.scrollIntoView({ block: "start" });
    document.getElementById("bulk-reason").focus({ preventScroll: true });
  });

  function focusSummaryAction() {
    var action = document.querySelector(".toast [data-show-tasks]");
    if (action && !document.querySelector("[autofocus]")) action.focus({ preventScroll: true });
  }

  // A page answered with a refused form (fields marked aria-invalid) puts the keyboard at the first of them,
  // unless the page chose a field itself (autofocus).
  function focusFirstInvalid() {
    if (document.querySelector("[autofocus]")) return;
    var invalid = document.querySelector("form [aria-invalid=true]");
    if (invalid && usable(invalid)) invalid.focus();
  }

  // A region that refreshes itself (data-poll-visible, e.g. a campaign's matrix every 15 s) asks only while the
  // page is seen: a hidden tab polls nothing, and the next tick after it is shown again brings it up to date.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    if (document.hidden && source && source.hasAttribute && source.hasAttribute("data-poll-visible")) {
      event.preventDefault();
    }
  });

  // A list whose filter form answers as the person types (hx-trigger "change ...") may have been edited before the
  // page's scripts ran: typed into while a slow page was still loading, or filled in again by the browser on "back".
  // Its list would not match what the fields say and no further keystroke may come, so it is asked for once now.
  // (htmx listens from its own DOMContentLoaded handler, which runs before this one: nothing typed falls between.)
  function edited(field) {
    if (field.disabled || field.type === "hidden") return false;
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.type === "select-one") {
      var chosen = 0;
      for (var i = 0; i < field.options.length; i++) if (field.options[i].defaultSelected) chosen = i;
      return field.options.length > 0 && field.selectedIndex !== chosen;
    }
    if (field.type === "select-multiple") {
      return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return "defaultValue" in field && field.value !== field.defaultValue;
  }

  function catchUpEditedFilters() {
    if (!window.htmx) return;
    document.querySelectorAll("form[hx-get][hx-trigger*=change]").forEach(function (form) {
      if (Array.prototype.some.call(form.elements, edited)) window.htmx.trigger(form, "submit");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    armAll(document); focusFirstInvalid(); focusSummaryAction(); catchUpEditedFilters();
  });
  document.addEventListener("htmx:afterSettle", function () { armAll(document); });
  document.addEventListener("htmx:oobAfterSwap", function () { armAll(document); });
})();
