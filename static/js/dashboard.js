// Period picker: show only the inputs of the chosen period kind.
(function () {
  var kind = document.querySelector("[data-period-kind]");
  if (!kind) return;
  function sync() {
    document.querySelectorAll(".period-picker [data-for]").forEach(function (el) {
      var on = el.getAttribute("data-for") === kind.value;
      el.hidden = !on;
      el.querySelectorAll("input, select").forEach(function (i) { i.disabled = !on; });
    });
  }
  kind.addEventListener("change", sync);
  sync();
})();
