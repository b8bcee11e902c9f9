// Charts of the /reports/ page, drawn from the json_script data the server rendered
// (no inline script: the CSP forbids it).
(function () {
  "use strict";

  function number(value) {
    return Number.parseFloat(value) || 0;
  }

  function draw() {
    var source = document.getElementById("report-chart-data");
    if (!source || typeof Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var common = { responsive: true, maintainAspectRatio: false, animation: false };

    var daily = document.getElementById("chart-daily");
    if (daily) {
      new Chart(daily, {
        type: "bar",
        data: {
          labels: data.days,
          datasets: data.projects.map(function (project) {
            return { label: project.label, backgroundColor: project.color, data: project.data.map(number) };
          }),
        },
        options: Object.assign({}, common, {
          scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: "hours" } } },
        }),
      });
    }

    var share = document.getElementById("chart-share");
    if (share) {
      new Chart(share, {
        type: "doughnut",
        data: {
          labels: data.share.map(function (row) { return row.label; }),
          datasets: [{
            data: data.share.map(function (row) { return number(row.hours); }),
            backgroundColor: data.share.map(function (row) { return row.color; }),
          }],
        },
        options: common,
      });
    }

    var weekly = document.getElementById("chart-weekly");
    if (weekly && data.weeks) {
      new Chart(weekly, {
        type: "bar",
        data: {
          labels: data.weeks.map(function (row) { return row.week; }),
          datasets: [
            { label: "Expected", backgroundColor: "#9ca3af", data: data.weeks.map(function (row) { return number(row.expected); }) },
            { label: "Actual", backgroundColor: "#2563eb", data: data.weeks.map(function (row) { return number(row.actual); }) },
          ],
        },
        options: Object.assign({}, common, { scales: { y: { title: { display: true, text: "hours" } } } }),
      });
    }

    var balance = document.getElementById("chart-balance");
    if (balance && data.weeks) {
      new Chart(balance, {
        type: "line",
        data: {
          labels: data.weeks.map(function (row) { return row.week; }),
          datasets: [{
            label: "Overtime balance (h)",
            borderColor: "#ea580c",
            backgroundColor: "#ea580c",
            data: data.weeks.map(function (row) { return number(row.balance); }),
          }],
        },
        options: common,
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
