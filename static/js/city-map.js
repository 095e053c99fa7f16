// Municipalities on a Leaflet map; data comes embedded in the page, so the map needs no
// extra request and the table below carries the same information without JavaScript.
(function () {
  "use strict";
  var element = document.getElementById("city-map");
  var data = JSON.parse(document.getElementById("municipalities-data").textContent);
  // The whole country: no zoom limit of the map's own, tiles up to 18.
  var map = MapBase.baseMap(element, { preferCanvas: false }, 18);
  map.setView([36.3, 127.8], 7);
  var layer = L.geoJSON(data, {
    pointToLayer: function (feature, latlng) {
      var study = feature.properties.groups.indexOf("krihs2017-study") !== -1;
      return L.circleMarker(latlng, {
        radius: study ? 7 : 5,
        color: study ? "#b5452a" : "#4a6b8a",
        fillOpacity: 0.8,
        className: "city-marker",
      });
    },
    onEachFeature: function (feature, marker) {
      // The administrative code is the feature id.
      var code = feature.id;
      var label = document.createElement("span");
      label.textContent = feature.properties.name + " (" + code + ")";
      marker.bindTooltip(label);
      marker.on("click", function () {
        var row = document.querySelector('#city-list [data-code="' + code + '"]');
        if (row) {
          row.scrollIntoView({ behavior: "smooth", block: "center" });
          row.classList.add("highlight");
          setTimeout(function () { row.classList.remove("highlight"); }, 2000);
        }
      });
    },
  }).addTo(map);
  if (data.features.length) {
    map.fitBounds(layer.getBounds(), { padding: [20, 20] });
  }
  element.dataset.ready = "true";
})();
