/* Draws the dashboard's charts from the JSON the page carries (the same rows the Excel
   download writes). A chart with place links drills down on click. */
(function () {
  "use strict";
  var data = document.getElementById("charts-data");
  if (!data || !window.echarts) { return; }
  var charts = JSON.parse(data.textContent);
  var root = document.querySelector("[data-place-url]");
  var placeUrl = root ? root.getAttribute("data-place-url") : "";
  var keep = root ? (root.getAttribute("data-keep-query") || "") : "";
  var dark = document.body.classList.contains("wall");
  // On the wall, type grows with the screen: 16px at 1920 wide, 32px on a 4K panel.
  var size = dark ? Math.max(14, Math.round(window.innerWidth / 120)) : 12;
  var palette = ["#3b82f6", "#22c55e", "#ef4444", "#f59e0b", "#a855f7", "#14b8a6", "#64748b", "#ec4899", "#84cc16", "#0ea5e9"];
  var made = [];

  function option(chart) {
    var text = dark ? "#e5edf7" : "#334155";
    var base = {
      color: palette,
      backgroundColor: "transparent",
      textStyle: { color: text, fontSize: size },
      tooltip: { trigger: chart.kind === "pie" ? "item" : "axis" },
      animation: false
    };
    if (chart.kind === "pie") {
      base.legend = { type: "scroll", bottom: 0, itemWidth: size * 1.6, itemHeight: size, textStyle: { color: text, fontSize: size } };
      base.series = [{
        type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
        label: { color: text, fontSize: size },
        // Empty slices only clutter the labels; the download keeps every row.
        data: chart.rows.filter(function (r) { return r[1]; }).map(function (r) { return { name: r[0], value: r[1] }; })
      }];
      return base;
    }
    var names = chart.columns.slice(1).filter(function (c) { return c.indexOf("(%)") < 0; });
    base.legend = { top: 0, itemWidth: size * 1.6, itemHeight: size, textStyle: { color: text, fontSize: size } };
    base.grid = { left: size * 4, right: size, top: size * 2.6, bottom: size * 3 };
    base.xAxis = {
      type: "category", data: chart.rows.map(function (r) { return r[0]; }),
      axisLabel: { color: text, hideOverlap: true, fontSize: size }
    };
    base.yAxis = { type: "value", minInterval: 1, axisLabel: { color: text, fontSize: size },
      splitLine: { lineStyle: { color: dark ? "#24324a" : "#e2e8f0" } } };
    base.series = names.map(function (name) {
      var index = chart.columns.indexOf(name);
      return {
        name: name, type: chart.kind === "line" ? "line" : "bar", smooth: false,
        showSymbol: false, lineStyle: { width: dark ? size / 6 : 2 }, data: chart.rows.map(function (r) { return r[index]; })
      };
    });
    return base;
  }

  charts.forEach(function (chart) {
    var el = document.querySelector('[data-chart="' + chart.name + '"]');
    if (!el) { return; }
    var instance = window.echarts.init(el, null, { renderer: "canvas" });
    instance.setOption(option(chart));
    if (chart.links && placeUrl) {
      el.classList.add("drill");
      instance.on("click", function (params) {
        var id = chart.links[params.dataIndex];
        if (id) { window.location.href = placeUrl.replace("/0/", "/" + String(id) + "/") + keep; }
      });
    }
    made.push(instance);
  });
  window.addEventListener("resize", function () { made.forEach(function (c) { c.resize(); }); });

  // Wall cards holding several charts show them in turn (each keeps its size while hidden, so
  // it was drawn at the right size); the dots say which one is up and how many there are.
  Array.prototype.forEach.call(document.querySelectorAll(".wall-rotate"), function (card) {
    var items = card.querySelectorAll(".rot-item");
    if (!items.length) { return; }
    var seconds = Math.max(3, parseInt(card.getAttribute("data-rotate-seconds"), 10) || 12);
    var dots = document.createElement("div");
    dots.className = "rot-dots";
    var shown = 0;
    Array.prototype.forEach.call(items, function () { dots.appendChild(document.createElement("i")); });
    card.appendChild(dots);
    function show(index) {
      Array.prototype.forEach.call(items, function (item, i) { item.classList.toggle("active", i === index); });
      Array.prototype.forEach.call(dots.children, function (dot, i) { dot.classList.toggle("on", i === index); });
      card.setAttribute("data-showing", items[index].querySelector("[data-chart]").getAttribute("data-chart"));
    }
    show(0);
    if (items.length > 1) {
      window.setInterval(function () { shown = (shown + 1) % items.length; show(shown); }, seconds * 1000);
    }
  });
})();
