// Applied before first paint so the projector (dark) theme never flashes light.
(function () {
  try {
    var t = localStorage.getItem("mos-theme");
    if (t) document.documentElement.setAttribute("data-theme", t);
  } catch (e) {}
})();
