/* Bulk selection on the contacts list: row checkboxes (outside the form, via form=), "select
   every contact on this page", "select all N matching" (all=1: the server re-reads the
   filters), and the fields of the chosen action. Delegated, so it survives htmx swaps. */
(function () {
  "use strict";
  function bar() { return document.querySelector("[data-bulk-bar]"); }
  function rows() { return Array.from(document.querySelectorAll("[data-bulk-row]")); }
  function setAll(on) {
    var b = bar(); if (!b) return;
    b.querySelector("[data-bulk-all-input]").value = on ? "1" : "0";
    b.querySelector("[data-bulk-some]").hidden = on;
    b.querySelector("[data-bulk-select-all]").hidden = on;
    b.querySelector("[data-bulk-everything]").hidden = !on;
  }
  function refresh() {
    var b = bar(); if (!b) return;
    var n = rows().filter(function (r) { return r.checked; }).length;
    var all = b.querySelector("[data-bulk-all-input]").value === "1";
    b.querySelector("[data-bulk-count]").textContent = n.toLocaleString(document.documentElement.lang || undefined);
    b.hidden = !(n || all);
    var page = document.querySelector("[data-bulk-page]");
    if (page) page.checked = n > 0 && n === rows().length;
  }
  function showOp() {
    var b = bar(); if (!b) return;
    var op = b.querySelector("select[name=op]").value;
    b.querySelectorAll("[data-bulk-op]").forEach(function (el) {
      el.hidden = el.getAttribute("data-bulk-op").split(" ").indexOf(op) < 0;
    });
  }
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches("[data-bulk-page]")) {
      rows().forEach(function (r) { r.checked = t.checked; });
      if (!t.checked) setAll(false);
      refresh();
    } else if (t.matches("[data-bulk-row]")) {
      if (!t.checked) setAll(false);
      refresh();
    } else if (t.matches("[data-bulk-bar] select[name=op]")) {
      showOp();
    }
  });
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t.matches("[data-bulk-select-all]")) {
      rows().forEach(function (r) { r.checked = true; });
      setAll(true); refresh();
    } else if (t.matches("[data-bulk-clear]")) {
      rows().forEach(function (r) { r.checked = false; });
      setAll(false); refresh();
    }
  });
  document.addEventListener("htmx:afterSwap", function () { showOp(); refresh(); });
  document.addEventListener("DOMContentLoaded", function () { showOp(); refresh(); });
})();
