// The city page's map of the decline test: each 읍면동 coloured by whether it is in
// decline (at least two of the decree's three criteria hold). The data comes from
// the API (outlines simplified by PostgreSQL); the list below the map carries the
// same verdicts and their reasons for people without a map. Text is set with
// textContent only.
(function () {
  "use strict";
  var element = document.getElementById("decline-map");
  if (!element) {
    return;
  }
  var map = MapBase.baseMap(element);
  fetch(element.dataset.url, { headers: { Accept: "application/geo+json" } })
    .then(function (response) { return response.json(); })
    .then(function (collection) {
      var layer = L.geoJSON(collection, {
        attribution: element.dataset.boundaryAttribution,
        style: function (feature) {
          var inDecline = feature.properties.qualifies;
          return {
            color: "#555",
            weight: 1,
            fillColor: inDecline ? "#b5452a" : "#8aa1b4",
            fillOpacity: inDecline ? 0.55 : 0.2,
            className: inDecline ? "decline-area in-decline" : "decline-area",
          };
        },
        onEachFeature: function (feature, polygon) {
          var text = document.createElement("span");
          text.textContent = feature.properties.name + " (" +
            feature.properties.criteria_holding + "/3)";
          polygon.bindTooltip(text, { sticky: true });
        },
      }).addTo(map);
      if (layer.getLayers().length) {
        map.fitBounds(layer.getBounds(), { padding: [10, 10] });
      }
      element.dataset.ready = "true";
    });
})();
