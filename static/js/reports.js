// The /reports/ page: draws the charts from the data attributes the server rendered (no inline
// script: the CSP forbids it) and draws them again whenever htmx swaps the results in (a control
// changed, or back/forward restored an earlier report), so chart and table always show the same.
(function () {
  "use strict";

  // Distinct, readable on light and dark backgrounds; used when a group has no colour of its own.
  var PALETTE = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];
  var charts = [];
  // The reader's language (the JavaScript catalog, /jsi18n/, loaded by base.html); English without it.
  var gettext = window.gettext || function (text) { return text; };

  function readJson(id) {
    var source = document.getElementById(id);
    return source && source.dataset.json ? JSON.parse(source.dataset.json) : null;
  }

  // Hours as the table spells them: the server renders 1.5 h with the same filter (`hm`) as the
  // table (data.sample: "1:30" or "1.50 h"), and the axis follows that spelling.
  function hoursFormatter(sample) {
    var clock = /^\d+:\d\d$/.test(sample || "1:30");
    var decimal = /^1([.,])50(.*)$/.exec(sample || "");
    return function (hours) {
      var value = Number(hours) || 0;
      var sign = value < 0 ? "−" : "";
      value = Math.abs(value);
      if (clock || !decimal) {
        var minutes = Math.round(value * 60);
        return sign + Math.floor(minutes / 60) + ":" + String(minutes % 60).padStart(2, "0");
      }
      return sign + value.toFixed(2).replace(".", decimal[1]) + decimal[2];
    };
  }

  function colour(dataset, index) {
    return dataset.color || PALETTE[index % PALETTE.length];
  }

  function destroyCharts() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
  }

  function tooltip(texts) {
    // texts[datasetIndex][pointIndex]: the server's spelling of that value.
    return {
      callbacks: {
        label: function (context) {
          var text = texts[context.datasetIndex] ? texts[context.datasetIndex][context.dataIndex] : context.formattedValue;
          return context.dataset.label + ": " + text;
        },
      },
    };
  }

  function draw() {
    destroyCharts();
    var data = readJson("report-chart-data");
    if (!data || typeof Chart === "undefined") {
      return;
    }
    var format = hoursFormatter(data.sample);
    var common = { responsive: true, maintainAspectRatio: false, animation: false };
    var hoursAxis = { ticks: { callback: function (value) { return format(value); } }, title: { display: true, text: "hours" } };

    var main = document.getElementById("chart-main");
    if (main) {
      var box = document.getElementById("chart-main-box");
      if (box && data.horizontal) {
        // One bar per row: room for every name (CSSOM, which the CSP allows, not a style attribute).
        box.style.height = Math.max(16, data.labels.length * 2 + 5) + "rem";
      }
      var valueAxis = Object.assign({ stacked: true, beginAtZero: true }, hoursAxis);
      var groupAxis = { stacked: true };
      charts.push(new Chart(main, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: data.datasets.map(function (dataset, index) {
            return { label: dataset.label, backgroundColor: colour(dataset, index), data: dataset.values, maxBarThickness: 56 };
          }),
        },
        options: Object.assign({}, common, {
          indexAxis: data.horizontal ? "y" : "x",
          scales: data.horizontal ? { x: valueAxis, y: groupAxis } : { x: groupAxis, y: valueAxis },
          plugins: {
            legend: { display: data.datasets.length > 1 },
            tooltip: tooltip(data.datasets.map(function (dataset) { return dataset.texts; })),
          },
        }),
      }));
    }

    var revenue = document.getElementById("chart-revenue");
    if (revenue && data.revenue) {
      var money = data.revenue;
      var revenueBox = document.getElementById("chart-revenue-box");
      if (revenueBox && data.horizontal) {
        revenueBox.style.height = Math.max(16, data.labels.length * (money.costs ? 3 : 2) + 5) + "rem";
      }
      var moneyDatasets = [{ label: gettext("Amount"), backgroundColor: "#16a34a", data: money.amounts, maxBarThickness: 56 }];
      var moneyTexts = [money.amount_texts];
      if (money.costs) {
        moneyDatasets.push({ label: gettext("Cost"), backgroundColor: "#9ca3af", data: money.costs, maxBarThickness: 56 });
        moneyTexts.push(money.cost_texts);
      }
      var moneyAxis = { beginAtZero: true, title: { display: true, text: money.currency } };
      charts.push(new Chart(revenue, {
        type: "bar",
        data: { labels: data.labels, datasets: moneyDatasets },
        options: Object.assign({}, common, {
          indexAxis: data.horizontal ? "y" : "x",
          scales: data.horizontal ? { x: moneyAxis } : { y: moneyAxis },
          plugins: { legend: { display: moneyDatasets.length > 1 }, tooltip: tooltip(moneyTexts) },
        }),
      }));
    }

    var periods = data.periods;
    var expected = document.getElementById("chart-expected");
    if (expected && periods) {
      charts.push(new Chart(expected, {
        type: "bar",
        data: {
          labels: periods.labels,
          datasets: [
            { label: gettext("Expected"), backgroundColor: "#9ca3af", data: periods.expected, maxBarThickness: 40 },
            { label: gettext("Worked"), backgroundColor: "#2563eb", data: periods.actual, maxBarThickness: 40 },
          ],
        },
        options: Object.assign({}, common, {
          scales: { y: Object.assign({ beginAtZero: true }, hoursAxis) },
          plugins: { tooltip: tooltip([periods.expected_texts, periods.actual_texts]) },
        }),
      }));
    }

    var balance = document.getElementById("chart-balance");
    if (balance && periods && periods.balance.length) {
      charts.push(new Chart(balance, {
        type: "line",
        data: {
          labels: periods.labels,
          datasets: [{ label: gettext("Overtime balance"), borderColor: "#ea580c", backgroundColor: "#ea580c", data: periods.balance }],
        },
        options: Object.assign({}, common, {
          scales: { y: hoursAxis },
          plugins: { tooltip: tooltip([periods.balance_texts]) },
        }),
      }));
    }
  }

  function showCustomDates() {
    var preset = document.getElementById("report-preset");
    var box = document.getElementById("report-custom-dates");
    if (!preset || !box) {
      return;
    }
    var custom = preset.value === "custom";
    box.hidden = !custom;
    box.querySelectorAll("input").forEach(function (input) { input.disabled = !custom; });
  }

  // The results carry the state they were made of: after a change, a preset's resolved dates go into
  // the (hidden) date fields, so "Custom dates" starts from them; after back/forward, every control.
  function syncControls(all) {
    var state = readJson("report-state");
    var form = document.getElementById("report-form");
    if (!state || !form) {
      return;
    }
    Object.keys(state).forEach(function (name) {
      var control = form.elements.namedItem(name);
      if (!control || (!all && name !== "from" && name !== "to") || (!all && state.preset === "custom")) {
        return;
      }
      if (state[name] !== "" || all) {
        control.value = state[name];
      }
    });
    form.querySelectorAll("[data-error-for]").forEach(function (error) {
      var control = document.getElementById(error.getAttribute("data-error-for"));
      if (!control) {
        return;
      }
      if (error.textContent.trim()) {
        control.setAttribute("aria-invalid", "true");
        control.closest(".field").classList.add("has-error");
      } else {
        control.removeAttribute("aria-invalid");
        control.closest(".field").classList.remove("has-error");
      }
    });
    showCustomDates();
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "report-preset") {
      showCustomDates();
    }
    if (target.id === "report-group_by") {
      var sub = document.getElementById("report-sub_group");
      if (sub && sub.value === target.value) {
        sub.value = "none";  // a grouping cannot be its own sub-group
      }
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "report-results") {
      syncControls(false);
      draw();
    }
  });

  // htmx snapshots the page for back/forward by cloning it, and Chrome reports each cloned style
  // attribute (Chart.js sizes its canvases with them) as a CSP violation: the charts go first (the
  // new results replace them at once, and a restored page draws its own).
  document.addEventListener("htmx:beforeHistorySave", function () {
    destroyCharts();
    document.querySelectorAll("#reports-page [style]").forEach(function (element) { element.removeAttribute("style"); });
  });

  document.addEventListener("htmx:historyRestore", function () {
    syncControls(true);
    draw();
  });

  function start() {
    showCustomDates();
    draw();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
