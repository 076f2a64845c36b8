// Draws every <div class="chart" data-figure="..."> with the app's own plotly.js.
(function () {
  function draw(el) {
    var figure = JSON.parse(el.getAttribute("data-figure"));
    var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
    window.Plotly.newPlot(el, figure.data, figure.layout, config).then(function () {
      el.setAttribute("data-drawn", "true");
    });
  }
  function drawAll() {
    document.querySelectorAll(".chart[data-figure]").forEach(draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
