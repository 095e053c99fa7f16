// Drawing a district on the downtown map: each click adds a corner, the polygon is
// written as GeoJSON into the boundary field (which can also be typed or pasted,
// and a file can be uploaded instead, so the map is never the only way).
(function () {
  "use strict";

  var element = document.getElementById("bid-draw-map");
  var field = document.getElementById("id_polygon");
  if (!element || !field) {
    return;
  }
  var downtown = JSON.parse(document.getElementById("bid-downtown").textContent);
  var centre = JSON.parse(document.getElementById("bid-centre").textContent);
  var map = MapBase.baseMap(element);
  MapBase.showDowntown(map, downtown, centre);
  var corners = [];
  var shape = null;
  var count = document.getElementById("bid-draw-count");
  var template = count ? count.dataset.template : "";

  function redraw() {
    if (shape) {
      map.removeLayer(shape);
      shape = null;
    }
    if (corners.length >= 2) {
      shape = L.polygon(corners, { color: "#4a6b8a", weight: 2 }).addTo(map);
    }
    if (corners.length >= 3) {
      var ring = corners.map(function (c) { return [c.lng, c.lat]; });
      ring.push(ring[0]);
      field.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    } else {
      field.value = "";
    }
    if (count) {
      count.textContent = corners.length
        ? template.replace("%s", String(corners.length))
        : "";
    }
  }

  map.on("click", function (event) {
    corners.push(event.latlng);
    redraw();
  });
  document.getElementById("bid-draw-undo").addEventListener("click", function () {
    corners.pop();
    redraw();
  });
  document.getElementById("bid-draw-clear").addEventListener("click", function () {
    corners = [];
    redraw();
  });
  element.dataset.ready = "true";
})();
