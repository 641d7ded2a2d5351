/* drift-retrain reports: draw the charts described in #report-data with the inlined Chart.js, and make
   tables with class "sortable" sort on a header click. No network access of any kind. */
(function () {
  "use strict";
  function specs() {
    var node = document.getElementById("report-data");
    return node ? JSON.parse(node.textContent).charts || [] : [];
  }
  /* a point's link: its dataset's own (datasetLinks: a promotion's star opens its evaluation), else the chart's */
  function linkAt(spec, elements) {
    if (!elements.length) { return null; }
    var own = spec.datasetLinks && spec.datasetLinks[elements[0].datasetIndex];
    return (own || spec.links || [])[elements[0].index] || null;
  }
  function linkOnClick(spec) {
    var config = spec.config;
    config.options = config.options || {};
    config.options.onClick = function (event, elements) {
      var link = linkAt(spec, elements);
      if (link) { window.location.href = link; }
    };
    config.options.onHover = function (event, elements) {
      event.native.target.style.cursor = linkAt(spec, elements) ? "pointer" : "default";
    };
  }
  function draw(spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas || typeof Chart === "undefined") { return; }
    if (spec.links || spec.datasetLinks) { linkOnClick(spec); }
    var options = spec.config.options = spec.config.options || {};
    var plugins = options.plugins = options.plugins || {};
    var tooltip = plugins.tooltip = plugins.tooltip || {};
    tooltip.callbacks = {
      /* multi-line axis labels ([file, outcome]) read as "file · outcome", not "file,outcome" */
      title: function (items) {
        return items.length ? [].concat(items[0].chart.data.labels[items[0].dataIndex]).join(" \u00b7 ") : "";
      }
    };
    if (spec.percent) {
      var axis = options.scales[spec.percent];
      axis.ticks = axis.ticks || {};
      axis.ticks.callback = function (value) { return value + "%"; };
      tooltip.callbacks.label = function (item) {
        var raw = item.raw;
        var text = Array.isArray(raw) ? raw[0] + "% to " + raw[1] + "%" : item.formattedValue + "%";
        return (item.dataset.label ? item.dataset.label + ": " : "") + text;
      };
    }
    canvas.chart = new Chart(canvas, spec.config);
  }
  function cellValue(row, index) {
    var cell = row.cells[index];
    var raw = cell.getAttribute("data-v");
    if (raw === null) { raw = cell.textContent.trim(); }
    var number = parseFloat(raw);
    return raw !== "" && !isNaN(number) && isFinite(raw) ? number : raw.toLowerCase();
  }
  function sortBy(table, index, header) {
    var body = table.tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  function sortable(table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      if (header.classList.contains("nosort")) { return; }
      header.tabIndex = 0;
      header.addEventListener("click", function () { sortBy(table, index, header); });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, index, header); }
      });
    });
  }
  if (typeof Chart !== "undefined") {
    Chart.defaults.animation = false;
    Chart.defaults.responsive = false;
    Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    Chart.defaults.color = "#495057";
  }
  specs().forEach(draw);
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), sortable);
})();
