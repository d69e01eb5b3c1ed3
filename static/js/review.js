// The weekly review: one screen at a time. → / PageDown / Space: next (a presentation clicker
// sends PageDown/PageUp); ← / PageUp: previous. In Arabic (RTL) the arrows follow the reading
// direction: ← is next. f: full screen; Esc: leave full screen, else back to the dashboard.
(function () {
  "use strict";
  var screens = Array.prototype.slice.call(document.querySelectorAll("[data-screen]"));
  var pos = document.querySelector("[data-pos]");
  var rtl = document.documentElement.dir === "rtl";
  var current = 0;

  function show(i) {
    if (!screens.length) return;
    current = Math.max(0, Math.min(screens.length - 1, i));
    screens.forEach(function (s, k) { s.hidden = k !== current; });
    if (pos) pos.textContent = String(current + 1);
    if (history.replaceState) history.replaceState(null, "", "#" + screens[current].id);
  }
  function next() { show(current + 1); }
  function prev() { show(current - 1); }

  var start = screens.findIndex(function (s) { return "#" + s.id === location.hash; });
  show(start >= 0 ? start : 0);

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) ||
                  (el.closest && el.closest("dialog[open]")));
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
    var k = e.key;
    if (k === "PageDown" || k === " " || k === (rtl ? "ArrowLeft" : "ArrowRight")) { e.preventDefault(); next(); }
    else if (k === "PageUp" || k === (rtl ? "ArrowRight" : "ArrowLeft")) { e.preventDefault(); prev(); }
    else if (k === "Home") { show(0); }
    else if (k === "End") { show(screens.length - 1); }
    else if (k === "f" || k === "F") {
      if (document.fullscreenElement) document.exitFullscreen();
      else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(function () {});
    } else if (k === "Escape") {
      if (document.fullscreenElement) return;  // the browser leaves full screen itself
      location.href = document.body.dataset.back || "/";
    }
  });
  var n = document.querySelector("[data-next]"), p = document.querySelector("[data-prev]");
  if (n) n.addEventListener("click", next);
  if (p) p.addEventListener("click", prev);

  var t = document.querySelector("[data-theme-toggle]");
  if (t) t.addEventListener("click", function () {
    var dark = document.documentElement.getAttribute("data-theme") === "dark";
    document.documentElement.setAttribute("data-theme", dark ? "light" : "dark");
    try { localStorage.setItem("mos-theme", dark ? "light" : "dark"); } catch (err) {}
  });

  // recording a decision: the dialog posts to the screen's own decision list
  var dialog = document.getElementById("decision-dialog");
  if (dialog) {
    var form = dialog.querySelector("[data-decision-form]");
    document.querySelectorAll("[data-open-decision]").forEach(function (b) {
      b.addEventListener("click", function () {
        var engine = b.dataset.engine || "";
        form.elements.engine.value = engine;
        form.setAttribute("hx-target", engine ? "#decisions-" + engine : "#decisions-all");
        dialog.showModal();
        form.elements.subject.focus();
      });
    });
    dialog.querySelector("[data-close]").addEventListener("click", function () { dialog.close(); });
    form.addEventListener("htmx:afterRequest", function (e) {
      if (e.detail.successful && !e.detail.target.querySelector(".rv-error")) { form.reset(); dialog.close(); }
    });
  }

  // the week's check-in of an engine: posted to that engine, answered in place
  var cdialog = document.getElementById("checkin-dialog");
  if (cdialog) {
    var cform = cdialog.querySelector("[data-checkin-form]");
    document.addEventListener("click", function (e) {
      var b = e.target.closest && e.target.closest("[data-open-checkin]");
      if (!b) return;
      cform.dataset.url = b.dataset.url;
      cform.dataset.target = "#checkin-" + b.dataset.engine;
      cdialog.showModal();
      cform.elements.what_changed.focus();
    });
    cdialog.querySelector("[data-close]").addEventListener("click", function () { cdialog.close(); });
    cform.addEventListener("submit", function (e) {
      e.preventDefault();
      htmx.ajax("POST", cform.dataset.url, {source: cform, target: cform.dataset.target,
                                            swap: "outerHTML"}).then(function () {
        cform.reset(); cdialog.close();
      });
    });
  }
})();
