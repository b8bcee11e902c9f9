// Factory page: Chart.js line chart of goal vs actual production. The first chart comes from
// the page's json_script data; the bucket and range controls refetch from the chart API.
// Loaded as a file (no inline script) so the strict CSP holds.
(() => {
  "use strict";

  const pad = (number) => String(number).padStart(2, "0");
  // The reader's language (the JavaScript catalog, /jsi18n/, loaded by base.html); English without it.
  const gettext = window.gettext || ((text) => text);
  const interpolate = window.interpolate || ((format, values) => format.replace(/%\((\w+)\)s/g, (_, name) => values[name]));
  const PER_BUCKET = {
    hour: [gettext("Goal (per hour)"), gettext("Produced (per hour)")],
    day: [gettext("Goal (per day)"), gettext("Produced (per day)")],
    week: [gettext("Goal (per week)"), gettext("Produced (per week)")],
  };

  function label(isoTime, bucket) {
    const moment = new Date(isoTime);
    const day = `${moment.getUTCFullYear()}-${pad(moment.getUTCMonth() + 1)}-${pad(moment.getUTCDate())}`;
    if (bucket === "hour") return `${day} ${pad(moment.getUTCHours())}:00`;
    if (bucket === "week") return interpolate(gettext("Week of %(day)s"), { day }, true);
    return day;
  }

  function toDatasets(data) {
    const number = (value) => (value === null || value === undefined ? null : Number(value));
    return {
      labels: data.time.map((time) => label(time, data.bucket)),
      datasets: [
        {
          label: (PER_BUCKET[data.bucket] || PER_BUCKET.day)[0],
          data: data.sprocket_production_goal.map(number),
          borderColor: "#8e24aa",
          backgroundColor: "#8e24aa",
          borderDash: [6, 4],
          pointRadius: 0,
          stepped: true,
        },
        {
          label: (PER_BUCKET[data.bucket] || PER_BUCKET.day)[1],
          data: data.sprocket_production_actual.map(number),
          borderColor: "#1e88e5",
          backgroundColor: "rgba(30, 136, 229, 0.15)",
          fill: true,
          pointRadius: 2,
          tension: 0.2,
        },
      ],
    };
  }

  function draw(canvas, data) {
    return new window.Chart(canvas, {
      type: "line",
      data: toDatasets(data),
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, grace: "5%", title: { display: true, text: gettext("Sprockets") } } },
      },
    });
  }

  // Keep the table under the chart in step with it (screen readers read the table).
  function fillTable(tbody, data) {
    if (!tbody) return;
    const rows = data.time.map((time, index) => {
      const row = document.createElement("tr");
      const moment = new Date(time);
      const cells = [
        `${label(time, "day")} ${pad(moment.getUTCHours())}:${pad(moment.getUTCMinutes())}`,
        data.sprocket_production_goal[index] === null ? "–" : Number(data.sprocket_production_goal[index]).toFixed(2),
        data.sprocket_production_actual[index],
      ];
      cells.forEach((value, column) => {
        const cell = document.createElement("td");
        cell.textContent = String(value);
        if (column > 0) cell.className = "numeric";
        row.appendChild(cell);
      });
      return row;
    });
    tbody.replaceChildren(...rows);
  }

  function nextDay(dateText) {
    const date = new Date(`${dateText}T00:00:00Z`);
    date.setUTCDate(date.getUTCDate() + 1);
    return date.toISOString();
  }

  function firstError(body) {
    if (!body || typeof body !== "object") return gettext("The chart could not be loaded.");
    if (body.detail) return body.detail;
    const messages = Object.values(body).find((value) => Array.isArray(value));
    return messages ? messages.join(" ") : gettext("The chart could not be loaded.");
  }

  document.addEventListener("DOMContentLoaded", () => {
    const canvas = document.getElementById("production-chart");
    const initial = document.getElementById("production-chart-data");
    if (!canvas || !initial || !window.Chart) return;
    let chart = draw(canvas, JSON.parse(initial.textContent));

    const form = document.getElementById("chart-controls");
    const error = document.getElementById("chart-error");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      const params = new URLSearchParams({
        bucket: form.elements.bucket.value,
        from: `${form.elements.from.value}T00:00:00Z`,
        to: nextDay(form.elements.to.value), // the "to" day is inclusive
      });
      try {
        const response = await fetch(`${form.dataset.chartUrl}?${params}`, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        const body = await response.json();
        if (!response.ok) throw new Error(firstError(body));
        chart.destroy();
        chart = draw(canvas, body);
        fillTable(document.getElementById("production-chart-table"), body);
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
      }
    });
  });
})();
