// Small behaviours for the shell. Everything else is htmx.
(function () {
  document.addEventListener("click", function (ev) {
    var toggle = ev.target.closest("[data-theme-toggle]");
    if (toggle) {
      var root = document.documentElement;
      var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("mos-theme", next); } catch (e) {}
      document.dispatchEvent(new CustomEvent("mos:theme", { detail: next }));
      return;
    }
    var navToggle = ev.target.closest("[data-nav-toggle]");
    if (navToggle) {
      var open = document.body.classList.toggle("nav-open");
      navToggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    // close open menus when clicking elsewhere
    document.querySelectorAll("details.switcher[open]").forEach(function (d) {
      if (!d.contains(ev.target)) d.removeAttribute("open");
    });
  });
  // Copy-to-clipboard buttons (API key secret)
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.getElementById(btn.getAttribute("data-copy"));
    if (el && navigator.clipboard) {
      navigator.clipboard.writeText(el.textContent.trim());
      btn.textContent = btn.getAttribute("data-copied") || "✓";
    }
  });
})();
