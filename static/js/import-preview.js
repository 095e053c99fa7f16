// The preview's points on a map, coloured by where they fall. The map is hidden
// from assistive technology: the table beside it lists the same points.
(function () {
  "use strict";

  var element = document.getElementById("import-preview-map");
  var source = document.getElementById("import-preview-config");
  if (!element || !source || typeof L === "undefined") {
    return;
  }
  var config = JSON.parse(source.textContent);
  var map = MapBase.baseMap(element, { maxZoom: 19, keyboard: false });
  var colours = { inside: "#2e7d32", outside_city: "#b5452a", outside_korea: "#a61b1b" };
  var outline = config.boundary
    ? L.geoJSON(config.boundary, {
        style: { color: "#4a6b8a", weight: 2, fillOpacity: 0.05 },
        interactive: false,
      })
    : null;
  // Coordinates read in the wrong system may not be on the globe at all.
  var points = config.points.filter(function (point) {
    return Math.abs(point.lat) <= 85 && Math.abs(point.lon) <= 180;
  });
  var bounds = L.latLngBounds(points.map(function (point) {
    return [point.lat, point.lon];
  }));
  if (outline) {
    bounds.extend(outline.getBounds());
  }
  // The view first: vector layers cannot be drawn on a map without one.
  if (bounds.isValid()) {
    map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
  } else if (config.center) {
    map.setView(config.center, 13);
  } else {
    map.setView([36.5, 127.8], 7);
  }
  if (outline) {
    outline.addTo(map);
  }
  points.forEach(function (point) {
    L.circleMarker([point.lat, point.lon], {
      radius: 6,
      color: "#fff",
      weight: 1,
      fillColor: colours[point.place] || "#4a6b8a",
      fillOpacity: 0.9,
      interactive: false,
      className: "preview-point place-" + point.place,
    }).addTo(map);
  });
  element.dataset.ready = "true";
})();
