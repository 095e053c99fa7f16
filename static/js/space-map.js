// Vacant spaces on Leaflet maps. The inventory map fetches only the points in view
// (a city holds thousands) and a popup's details only when it is opened; the detail
// page shows its one point. Text from the API is set with textContent, never as HTML.
(function () {
  "use strict";

  function append(parent, tag, text, className) {
    var child = document.createElement(tag);
    if (text !== undefined && text !== null) child.textContent = text;
    if (className) child.className = className;
    parent.appendChild(child);
    return child;
  }

  function inventoryMap(element) {
    var config = JSON.parse(document.getElementById("space-map-config").textContent);
    var form = document.getElementById("space-filter");
    var count = document.getElementById("space-count");
    var listLink = document.getElementById("space-list-link");
    var map = MapBase.baseMap(element);
    var clusters = L.markerClusterGroup({ showCoverageOnHover: false });
    map.addLayer(clusters);

    MapBase.showDowntown(map, config.downtown, config.center);

    function filterParams() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (value !== "") params.append(name, value);
      });
      return params;
    }

    function label(group, value) {
      return (config.labels[group] && config.labels[group][value]) || value;
    }

    function popupContent(feature) {
      var p = feature.properties;
      var box = document.createElement("div");
      box.className = "space-popup";
      append(box, "strong", label("kind", p.kind) + " #" + feature.id);
      if (p.address) append(box, "div", p.address);
      append(box, "div", label("status", p.status) + " · " + label("availability", p.availability));
      if (p.floor_area_m2) append(box, "div", config.text.floorArea + ": " + p.floor_area_m2 + " m²");
      if (p.owner && p.owner.name) {
        append(box, "div", config.text.owner + ": " + p.owner.name, "owner");
      }
      var link = append(box, "a", config.text.details);
      link.href = config.detailUrl.replace("{id}", feature.id);
      return box;
    }

    function marker(feature) {
      var coordinates = feature.geometry.coordinates;
      var status = feature.properties.status;
      var point = L.marker([coordinates[1], coordinates[0]], {
        icon: L.divIcon({
          className: "space-marker status-" + status,
          iconSize: [14, 14],
        }),
        title: label("kind", feature.properties.kind) + " #" + feature.id,
        keyboard: true,
      });
      point.bindPopup(config.text.loading);
      point.on("popupopen", function () {
        if (point.detailLoaded) return;
        fetch(config.detailApiUrl.replace("{id}", feature.id), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        })
          .then(function (response) {
            if (!response.ok) throw new Error(response.status);
            return response.json();
          })
          .then(function (detail) {
            point.detailLoaded = true;
            point.setPopupContent(popupContent(detail));
          })
          .catch(function () {
            point.setPopupContent(config.text.failed);
          });
      });
      return point;
    }

    var pending = null;
    function load() {
      if (pending) pending.abort();
      pending = new AbortController();
      var bounds = map.getBounds();
      var params = filterParams();
      params.set("city", config.city);
      params.set("bbox", [
        bounds.getWest().toFixed(6),
        bounds.getSouth().toFixed(6),
        bounds.getEast().toFixed(6),
        bounds.getNorth().toFixed(6),
      ].join(","));
      params.set("page_size", "1000");
      element.dataset.ready = "loading";
      fetch(config.apiUrl + "?" + params.toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: pending.signal,
      })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (collection) {
          clusters.clearLayers();
          clusters.addLayers(collection.features.map(marker));
          // Past the API's count limit `count` is a lower bound.
          var template =
            collection.count_exact === false ? config.text.shownMore : config.text.shown;
          var text = template
            .replace("%(shown)s", collection.features.length)
            .replace("%(count)s", collection.count);
          if (collection.count > collection.features.length) {
            text += " " + config.text.zoomIn;
          }
          count.textContent = text;
          element.dataset.count = String(collection.features.length);
          element.dataset.ready = "true";
        })
        .catch(function (error) {
          if (error.name === "AbortError") return;
          count.textContent = config.text.failed;
          element.dataset.ready = "error";
        });
    }

    // Filters apply at once; the address keeps them, for sharing and for the list.
    function applyFilters(event) {
      if (event) event.preventDefault();
      var query = filterParams().toString();
      history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
      listLink.href = listLink.dataset.base + (query ? "?" + query : "");
      load();
    }
    form.addEventListener("submit", function (event) {
      // "Show as a list" leaves the page with the same filters.
      if (event.submitter && event.submitter.hasAttribute("formaction")) return;
      applyFilters(event);
    });
    form.addEventListener("change", function () { applyFilters(); });
    map.on("moveend", load);
    load();
  }

  function detailMap(element) {
    var point = JSON.parse(document.getElementById("space-location").textContent);
    var map = MapBase.baseMap(element);
    var latlng = [point.coordinates[1], point.coordinates[0]];
    map.setView(latlng, 16);
    L.circleMarker(latlng, { radius: 8, color: "#b5452a", fillOpacity: 0.8 }).addTo(map);
    element.dataset.ready = "true";
  }

  var inventory = document.getElementById("space-map");
  if (inventory) inventoryMap(inventory);
  var detail = document.getElementById("space-detail-map");
  if (detail) detailMap(detail);
})();
