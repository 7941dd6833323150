// Draws the plotly figures that the server built. A chart is an element with
// data-chart-spec="ID", where ID names a <script type="application/json"> (Django's json_script)
// holding the figure ({data, layout}). Without JavaScript the table of figures stays the source.
(function () {
  "use strict";

  function draw() {
    if (typeof window.Plotly === "undefined") return;
    var charts = document.querySelectorAll("[data-chart-spec]");
    Array.prototype.forEach.call(charts, function (target) {
      var spec = document.getElementById(target.getAttribute("data-chart-spec"));
      if (!spec) return;
      var figure = JSON.parse(spec.textContent);
      target.textContent = "";
      window.Plotly.newPlot(target, figure.data, figure.layout, {
        responsive: true,
        displaylogo: false,
        displayModeBar: false,
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
