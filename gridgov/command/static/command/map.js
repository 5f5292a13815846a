/* The grid map: boundaries, buildings, cases by state and as heat, special-group households
   (only when the server sent them). Clicking a grid or community opens its dashboard. */
(function () {
  "use strict";
  var el = document.getElementById("grid-map");
  if (!el || !window.L) { return; }
  var L = window.L;
  var dark = document.body.classList.contains("wall");
  // Points and lines grow with a wall screen (×2 on a 4K panel), like its type.
  var k = dark ? Math.max(1, window.innerWidth / 1920) : 1;
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
  // Areas stay SVG (clickable elements); the many points go on one canvas.
  var dots = L.canvas({ padding: 0.2 });
  window.gridgovMap = map;  // the boundary editor draws on this map
  var tiles = el.getAttribute("data-tiles");
  if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
  var placeUrl = el.getAttribute("data-place-url");
  var keep = el.getAttribute("data-keep-query") || "";
  var layers = [];
  var control = null;
  map.setView([28.2, 112.98], 14);

  function clear() {
    layers.forEach(function (layer) { map.removeLayer(layer); });
    layers = [];
    if (control) { map.removeControl(control); control = null; }
  }

  function draw(geo) {
    clear();
    var areas = L.geoJSON(geo.areas, {
      style: function (f) {
        var grid = f.properties.kind === "grid";
        return { color: grid ? (dark ? "#60a5fa" : "#1d4ed8") : (dark ? "#94a3b8" : "#64748b"),
          weight: (grid ? 3 : 1) * k, dashArray: grid ? null : "4 3",
          fillOpacity: grid ? 0.08 : 0.02, fillColor: grid ? "#3b82f6" : "#94a3b8",
          // Only places with a dashboard take clicks: an estate inside a grid lets them through.
          interactive: Boolean(f.properties.dashboard) };
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(f.properties.name, { sticky: true });
        if (f.properties.dashboard && placeUrl) {
          layer.on("click", function () {
            window.location.href = placeUrl.replace("/0/", "/" + String(f.properties.id) + "/") + keep;
          });
        }
      }
    }).addTo(map);
    areas.eachLayer(function (layer) {
      if (layer.feature.properties.kind === "grid" && layer.getElement) {
        var path = layer.getElement();
        if (path) { path.setAttribute("data-grid", layer.feature.properties.name); }
      }
    });
    var buildings = L.geoJSON(geo.buildings, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { renderer: dots, radius: 3 * k, color: dark ? "#cbd5e1" : "#475569", weight: 1, fillOpacity: 0.6 })
          .bindTooltip(f.properties.name);
      }
    }).addTo(map);
    var cases = L.geoJSON(geo.cases, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { renderer: dots, radius: 5 * k, color: f.properties.colour, weight: 1, fillOpacity: 0.8 })
          .bindTooltip(f.properties.category + " · " + f.properties.state);
      }
    }).addTo(map);
    var overlays = { "楼栋": buildings, "事件": cases };
    layers.push(areas, buildings, cases);
    if (L.heatLayer) {
      var heat = L.heatLayer(geo.cases.features.map(function (f) {
        return [f.geometry.coordinates[1], f.geometry.coordinates[0], f.properties.open ? 1 : 0.4];
      }), { radius: 22, blur: 18 });
      overlays["事件热力"] = heat;
      layers.push(heat);
    }
    if (geo.special.features.length) {
      var special = L.geoJSON(geo.special, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { renderer: dots, radius: 4 + Math.min(f.properties.households, 8), color: "#d97706", weight: 2, fillOpacity: 0.3 })
            .bindTooltip("重点人群 " + f.properties.households + " 户");
        }
      });
      overlays["重点人群户"] = special;
      layers.push(special);
    }
    control = L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    var bounds = areas.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12] }); }
    else if (buildings.getBounds().isValid()) { map.fitBounds(buildings.getBounds(), { padding: [12, 12] }); }
    el.setAttribute("data-ready", "1");
  }

  function load(query) {
    var url = el.getAttribute("data-geo-url");
    var sep = url.indexOf("?") < 0 ? "?" : "&";
    fetch(url + (query ? sep + query : ""), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(draw);
  }

  var filter = document.getElementById("map-filter");
  if (filter) {
    filter.addEventListener("submit", function (event) {
      event.preventDefault();
      load(new URLSearchParams(new FormData(filter)).toString());
    });
  }
  load("");
})();
