// The downtown page's map: every 읍면동 of the city, the ticked ones filled. A click
// on one ticks or unticks its checkbox in the list, and ticking in the list (the
// keyboard's way) fills it on the map: the list is the form, the map a view of it.
(function () {
  "use strict";
  var element = document.getElementById("downtown-picker-map");
  if (!element) {
    return;
  }
  var boxes = {};
  document.querySelectorAll(
    "#downtown-list-form input[type=checkbox][name='list-submunicipalities']"
  ).forEach(function (box) {
    boxes[box.value] = box;
  });
  var map = MapBase.baseMap(element);
  var polygons = [];

  function styleFor(box) {
    var chosen = box && box.checked;
    return {
      color: chosen ? "#b5452a" : "#555",
      weight: chosen ? 2 : 1,
      fillColor: chosen ? "#b5452a" : "#8aa1b4",
      fillOpacity: chosen ? 0.5 : 0.15,
    };
  }

  function restyle() {
    polygons.forEach(function (entry) { entry.layer.setStyle(styleFor(entry.box)); });
    element.dataset.chosen = Object.keys(boxes).filter(function (code) {
      return boxes[code].checked;
    }).sort().join(",");
  }

  fetch(element.dataset.url, { headers: { Accept: "application/geo+json" } })
    .then(function (response) { return response.json(); })
    .then(function (collection) {
      var layer = L.geoJSON(collection, {
        attribution: element.dataset.boundaryAttribution,
        style: function (feature) {
          return Object.assign(styleFor(boxes[feature.properties.sgis_code]), {
            className: "submunicipality-" + feature.properties.sgis_code,
          });
        },
        onEachFeature: function (feature, polygon) {
          var box = boxes[feature.properties.sgis_code];
          polygons.push({ layer: polygon, box: box });
          var text = document.createElement("span");
          text.textContent = feature.properties.name;
          polygon.bindTooltip(text, { sticky: true });
          polygon.on("click", function () {
            if (!box) { return; }
            box.checked = !box.checked;
            restyle();
          });
        },
      }).addTo(map);
      if (layer.getLayers().length) {
        map.fitBounds(layer.getBounds(), { padding: [10, 10] });
      }
      Object.keys(boxes).forEach(function (name) {
        boxes[name].addEventListener("change", restyle);
      });
      restyle();
      element.dataset.ready = "true";
    });
})();
