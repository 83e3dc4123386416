/* The analytics page's charts (Chart.js, vendored). The figures come from the page's json_script element
   (#analytics-charts): no inline executable script, so the CSP holds. Every chart has a table with the same
   figures next to it; the canvas is a picture of that table. */
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("analytics-charts");
    if (!source || typeof window.Chart === "undefined") return;
    var charts = JSON.parse(source.textContent);
    var styles = getComputedStyle(document.documentElement);
    var palette = [styles.getPropertyValue("--brand").trim() || "#137a4a", "#1d4ed8", "#8a5a00"];
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var figure = charts[canvas.dataset.chart];
      if (!figure) return;
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: figure.labels,
          datasets: figure.series.map(function (series, index) {
            return { label: series.label, data: series.data, backgroundColor: palette[index % palette.length] };
          })
        },
        options: {
          indexAxis: figure.horizontal ? "y" : "x",
          responsive: true,
          maintainAspectRatio: false,
          animation: reduced ? false : undefined,
          plugins: { legend: { display: figure.series.length > 1 } },
          scales: { x: { beginAtZero: true }, y: { beginAtZero: true } }
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
