// Draws every <div class="chart" data-figure="..."> with the app's own plotly.js.
// A trace may name the page behind it in its meta: {"link": url} for the whole trace, or
// {"links": [...]} per point (per row of a heat map); a click on the chart opens that page.
(function () {
  var script = document.currentScript;
  var locale = script && script.getAttribute("data-locale");
  function linkOf(point) {
    var meta = point.data && point.data.meta;
    if (!meta) return null;
    if (meta.link) return meta.link;
    if (meta.links) {
      var index = point.data.type === "heatmap" ? point.pointIndex && point.pointIndex[0] : point.pointIndex;
      if (point.data.type === "heatmap" && point.pointNumber && point.pointNumber.length) index = point.pointNumber[0];
      return meta.links[index] || null;
    }
    return null;
  }
  function draw(el) {
    var figure = JSON.parse(el.getAttribute("data-figure"));
    var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
    if (locale) config.locale = locale;
    window.Plotly.newPlot(el, figure.data, figure.layout, config).then(function () {
      el.setAttribute("data-drawn", "true");
      el.on("plotly_click", function (event) {
        var link = event && event.points && event.points.length ? linkOf(event.points[0]) : null;
        // only the app's own pages: a path, never another site ("//host/...")
        if (link && link.charAt(0) === "/" && link.charAt(1) !== "/") window.location.assign(link);
      });
    });
  }
  function drawAll() {
    document.querySelectorAll(".chart[data-figure]").forEach(draw);
  }
  // Printing: charts are drawn for the screen's width; redraw them for the page, and back afterwards.
  function resizeAll() {
    document.querySelectorAll(".chart[data-drawn]").forEach(function (el) { window.Plotly.Plots.resize(el); });
  }
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
