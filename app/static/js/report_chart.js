// Draws a progress report's two charts (rates by unit against the target, and the trend across years)
// from the page's JSON block: the Content-Security-Policy allows no inline script. The same numbers are in
// the tables next to the charts, so a reader without the chart (or without script) misses nothing.
(function () {
  "use strict";

  const block = document.getElementById("report-chart-data");
  if (!block || typeof Chart === "undefined") return;
  const data = JSON.parse(block.textContent);
  const words = data.words;
  const percentAxis = {
    y: { beginAtZero: true, suggestedMax: 100, ticks: { callback: (value) => `${value}%` } },
  };
  const common = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    scales: percentAxis,
    plugins: { legend: { position: "bottom" } },
  };

  const units = document.getElementById("chart-units");
  if (units) {
    new Chart(units, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "bar", label: words.rate_base, data: data.rate_base, backgroundColor: "#0d6efd" },
          { type: "bar", label: words.rate_registered, data: data.rate_registered, backgroundColor: "#9ec5fe" },
          {
            type: "line",
            label: words.target,
            data: data.target,
            borderColor: "#dc3545",
            backgroundColor: "#dc3545",
            pointStyle: "line",
            borderDash: [6, 4],
          },
        ],
      },
      options: common,
    });
  }

  const trend = document.getElementById("chart-trend");
  if (trend) {
    new Chart(trend, {
      type: "line",
      data: {
        labels: data.trend.labels,
        datasets: [
          { label: words.rate_base, data: data.trend.rate_base, borderColor: "#0d6efd", backgroundColor: "#0d6efd" },
          {
            label: words.rate_registered,
            data: data.trend.rate_registered,
            borderColor: "#6ea8fe",
            backgroundColor: "#6ea8fe",
          },
          {
            label: words.target,
            data: data.trend.target,
            borderColor: "#dc3545",
            backgroundColor: "#dc3545",
            borderDash: [6, 4],
            stepped: true,
          },
        ],
      },
      options: common,
    });
  }
})();
