// The report pages' print support: a Print button, and plotly charts redrawn to fit the A4 page
// while printing (plotly draws at a fixed pixel size, so the print stylesheet alone would crop
// them), then back to the screen's size.
(function () {
  "use strict";

  // 186 mm of usable A4 width at 96 px per inch; charts in a two-column grid get half.
  var PAGE_WIDTH_PX = 700;

  function charts() {
    return Array.prototype.filter.call(
      document.querySelectorAll("[data-chart-spec]"),
      function (element) { return element.classList.contains("js-plotly-plot"); }
    );
  }

  function fitForPrint() {
    if (typeof window.Plotly === "undefined") return;
    charts().forEach(function (element) {
      var inGrid = element.closest(".grid--2, .grid--3");
      var width = inGrid ? PAGE_WIDTH_PX / 2 - 12 : PAGE_WIDTH_PX;
      var height = (element.layout && element.layout.height) || 320;
      element.setAttribute("data-screen-height", height);
      window.Plotly.relayout(element, { width: width, height: Math.min(height, inGrid ? 220 : 300) });
    });
  }

  function fitForScreen() {
    if (typeof window.Plotly === "undefined") return;
    charts().forEach(function (element) {
      var height = Number(element.getAttribute("data-screen-height")) || null;
      window.Plotly.relayout(element, { width: null, height: height });
      window.Plotly.Plots.resize(element);
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    window.addEventListener("beforeprint", fitForPrint);
    window.addEventListener("afterprint", fitForScreen);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
