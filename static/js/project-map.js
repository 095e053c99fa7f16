// Renewal projects on Leaflet maps: a city's projects (points and areas, drawn from
// the GeoJSON the page carries) and one project's place on its own page. Text is set
// with textContent, never as HTML.
(function () {
  "use strict";

  var STATUS_COLOURS = {
    proposed: "#b5452a",
    under_review: "#c78a00",
    changes_requested: "#c78a00",
    approved: "#2e7d32",
    in_progress: "#1f6fb2",
    completed: "#6a4c93",
    rejected: "#8a8f95",
    withdrawn: "#8a8f95",
  };

  function style(feature) {
    var colour = STATUS_COLOURS[feature.properties.status] || "#4a6b8a";
    return { color: colour, weight: 2, fillOpacity: 0.25 };
  }

  function popupContent(config, feature) {
    var p = feature.properties;
    var box = document.createElement("div");
    box.className = "project-popup";
    var title = document.createElement("strong");
    title.textContent = p.title;
    box.appendChild(title);
    var facts = document.createElement("p");
    facts.textContent =
      (config.labels.category[p.category] || p.category) + " · " +
      (config.labels.status[p.status] || p.status) + " · " +
      config.text.supports + ": " + p.supports;
    box.appendChild(facts);
    var link = document.createElement("a");
    link.href = config.detailUrl.replace("{id}", p.id);
    link.textContent = config.text.details;
    box.appendChild(link);
    return box;
  }

  function cityMap(element) {
    var config = JSON.parse(document.getElementById("project-map-config").textContent);
    var map = MapBase.baseMap(element);
    var layer = L.geoJSON(config.features, {
      style: style,
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, Object.assign(style(feature), {
          radius: 12,
          fillOpacity: 0.8,
          className: "project-marker status-" + feature.properties.status,
        }));
      },
      onEachFeature: function (feature, shape) {
        shape.bindPopup(function () { return popupContent(config, feature); });
      },
    }).addTo(map);
    if (config.features.features.length) {
      map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 16 });
    } else if (config.downtown) {
      map.fitBounds(L.geoJSON(config.downtown).getBounds(), { padding: [20, 20] });
    } else {
      map.setView(config.center, 14);
    }
    element.dataset.count = String(config.features.features.length);
    element.dataset.ready = "true";
  }

  function detailMap(element) {
    var place = JSON.parse(document.getElementById("project-place").textContent);
    var map = MapBase.baseMap(element);
    var layer = L.geoJSON(place, {
      style: function () { return { color: "#b5452a", weight: 2, fillOpacity: 0.25 }; },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 12, color: "#b5452a", fillOpacity: 0.8 });
      },
    }).addTo(map);
    if (place.type === "Point") {
      map.setView(layer.getBounds().getCenter(), 16);
    } else {
      map.fitBounds(layer.getBounds(), { padding: [20, 20] });
    }
    element.dataset.ready = "true";
  }

  var city = document.getElementById("project-map");
  if (city) cityMap(city);
  var detail = document.getElementById("project-detail-map");
  if (detail) detailMap(detail);
})();
