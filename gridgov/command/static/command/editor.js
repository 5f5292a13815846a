/* Redraw a grid's or estate's outline: click the corners in order (each a draggable marker),
   save; the server converts to WGS-84, saves through the places service (audited) and answers
   with the buildings that now fall outside every grid or inside two. */
(function () {
  "use strict";
  var el = document.getElementById("grid-map");
  var choice = document.getElementById("area-choice");
  if (!el || !choice || !window.L) { return; }
  var L = window.L;
  var status = document.getElementById("edit-status");
  var list = document.getElementById("warning-list");
  var map = null;
  var markers = [];
  var outline = null;
  var drawing = false;

  function mapReady(callback) {
    var timer = window.setInterval(function () {
      if (el._leaflet_id && el.getAttribute("data-ready") === "1") {
        window.clearInterval(timer);
        callback();
      }
    }, 100);
  }
  function redraw() {
    var points = markers.map(function (m) { return m.getLatLng(); });
    if (outline) { outline.setLatLngs(points); } else { outline = L.polygon(points, { color: "#dc2626", weight: 2 }).addTo(map); }
  }
  function add(latlng) {
    var marker = L.marker(latlng, { draggable: true }).addTo(map);
    marker.on("drag", redraw);
    markers.push(marker);
    redraw();
  }
  function reset() {
    markers.forEach(function (m) { map.removeLayer(m); });
    markers = [];
    if (outline) { map.removeLayer(outline); outline = null; }
  }

  mapReady(function () {
    map = window.gridgovMap;
    if (!map) { return; }
    map.on("click", function (event) { if (drawing) { add(event.latlng); } });
  });
  document.getElementById("edit-start").addEventListener("click", function () {
    if (!map) { return; }
    reset();
    drawing = true;
    status.textContent = "请在地图上依次点击拐点，完成后点“保存边界”";
  });
  document.getElementById("edit-undo").addEventListener("click", function () {
    var last = markers.pop();
    if (last) { map.removeLayer(last); redraw(); }
  });
  document.getElementById("edit-save").addEventListener("click", function () {
    var option = choice.options[choice.selectedIndex];
    if (!option || !option.value) { return; }
    var ring = markers.map(function (m) { var p = m.getLatLng(); return [p.lng, p.lat]; });
    fetch(option.getAttribute("data-url"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": el.getAttribute("data-csrf") },
      body: JSON.stringify({ ring: ring })
    }).then(function (r) { return r.json().then(function (a) { return { ok: r.ok, a: a }; }); })
      .then(function (result) {
        if (!result.ok) { status.textContent = result.a.detail || "保存失败"; status.className = "badge-bad"; return; }
        drawing = false;
        status.textContent = "已保存" + result.a.name + "的边界";
        status.className = "badge-ok";
        list.textContent = "";
        (result.a.warnings.length ? result.a.warnings : ["每栋楼都恰好落在一个网格内"]).forEach(function (text) {
          var li = document.createElement("li");
          li.textContent = text;
          li.className = result.a.warnings.length ? "badge-warn" : "muted";
          list.appendChild(li);
        });
      });
  });
})();
