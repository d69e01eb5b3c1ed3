// Renders every <div data-fig="id"> from the JSON in <script id="id"> with plotly.min.js
// (served from static), coloured from the page's CSS variables, re-coloured on theme change.
(function () {
  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }
  function themed(layout) {
    var text = css("--text"), muted = css("--muted"), grid = css("--border");
    var big = document.body.classList.contains("projector");
    var l = Object.assign({}, layout || {});
    l.font = { family: css("--font") || "system-ui", color: text, size: big ? 18 : 13 };
    l.paper_bgcolor = "rgba(0,0,0,0)";
    l.plot_bgcolor = "rgba(0,0,0,0)";
    ["xaxis", "yaxis", "yaxis2"].forEach(function (ax) {
      if (ax === "yaxis2" && !l.yaxis2) return;
      l[ax] = Object.assign({}, l[ax] || {}, { gridcolor: grid, zerolinecolor: grid,
                                                linecolor: grid, tickfont: { color: muted } });
    });
    return l;
  }
  function accent(fig) {
    var c = css("--accent");
    (fig.data || []).forEach(function (t, i) {
      if (t.type === "funnel") t.marker = Object.assign({}, t.marker, { color: c });
      if (t.type === "scatter" && i === 0) t.line = Object.assign({}, t.line, { color: c });
    });
    return fig;
  }
  function render(root) {
    if (!window.Plotly) return;
    (root || document).querySelectorAll("[data-fig]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-fig"));
      if (!src) return;
      var fig = accent(JSON.parse(src.textContent));
      window.Plotly.react(el, fig.data, themed(fig.layout),
                          { displayModeBar: false, responsive: true });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("mos:theme", function () { render(document); });
  document.addEventListener("htmx:afterSwap", function (e) { render(e.target); });
})();
