// Draws each chart from the figure in its data-figure attribute (no inline scripts: CSP).
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  document.querySelectorAll(".chart[data-figure]").forEach(function (div) {
    var figure = JSON.parse(div.dataset.figure);
    window.Plotly.newPlot(div, figure.data, figure.layout, {displayModeBar: false, responsive: true, staticPlot: true});
  });
})();
