// The national map: MapLibre GL JS draws the platform's vector tiles
// (/tiles/{layer}/{z}/{x}/{y}.mvt). Zoomed out, spaces come from the grid layer
// `spaces_grid` (one circle per cell, sized by its count); from zoom gridMaxZoom + 1
// every space, project, resource and organisation is a point. Text from the tiles
// is set with textContent, never as HTML.
//
// window.nationalMap exposes the map and what it shows, for tests and the console:
// renderedFeatureCount(layer), spacesInView(), and `idle` once the tiles in view are
// drawn.
(function () {
  "use strict";

  var element = document.getElementById("national-map");
  if (!element) return;
  var config = JSON.parse(document.getElementById("national-map-config").textContent);
  var status = document.getElementById("national-map-status");
  var pointZoom = config.gridMaxZoom + 1;
  var POINT_LAYERS = {
    spaces: "#b5452a",
    projects: "#2a6fb5",
    resources: "#3d8b3d",
    organizations: "#7a4bb0",
  };
  // The map's layers that belong to each checkbox of the layer list.
  var LAYER_GROUPS = {
    spaces: ["spaces-grid", "spaces"],
    projects: ["projects"],
    resources: ["resources"],
    organizations: ["organizations"],
  };

  function tiles(layer) {
    // Absolute: MapLibre fetches tiles from a worker, which has no base URL.
    return [window.location.origin + config.tileUrl.replace("{layer}", layer)];
  }

  var sources = {
    spaces: { type: "vector", tiles: tiles("spaces"), minzoom: 0, maxzoom: 16 },
  };
  ["projects", "resources", "organizations"].forEach(function (layer) {
    // Below a city's scale these layers would be raw points by the hundred
    // thousand; the page shows them only where they can be told apart.
    sources[layer] = {
      type: "vector",
      tiles: tiles(layer),
      minzoom: pointZoom,
      maxzoom: 16,
    };
  });
  var layers = [
    { id: "background", type: "background", paint: { "background-color": "#f4f1ea" } },
  ];
  if (element.dataset.tileUrl) {
    sources.base = {
      type: "raster",
      tiles: [element.dataset.tileUrl],
      tileSize: 256,
      attribution: element.dataset.tileAttribution,
    };
    layers.push({ id: "base", type: "raster", source: "base" });
  }
  layers.push({
    id: "spaces-grid",
    type: "circle",
    source: "spaces",
    "source-layer": "spaces_grid",
    maxzoom: pointZoom,
    paint: {
      "circle-color": POINT_LAYERS.spaces,
      "circle-opacity": 0.6,
      "circle-stroke-color": "#ffffff",
      "circle-stroke-width": 1,
      "circle-radius": [
        "interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 3, 100, 22,
      ],
    },
  });
  Object.keys(POINT_LAYERS).forEach(function (layer) {
    layers.push({
      id: layer,
      type: "circle",
      source: layer,
      "source-layer": layer,
      minzoom: pointZoom,
      paint: {
        "circle-color": POINT_LAYERS[layer],
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 11, 2.5, 16, 7],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1,
      },
    });
  });

  var map = new maplibregl.Map({
    container: element,
    style: { version: 8, sources: sources, layers: layers },
    center: config.center,
    zoom: config.zoom,
    maxZoom: 19,
    // The view is kept in the address (#zoom/lat/lon), so a view can be shared.
    hash: true,
    attributionControl: element.dataset.tileUrl ? {} : false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));

  var api = { map: map, idle: false };
  window.nationalMap = api;

  function interactiveLayers() {
    return ["spaces-grid"].concat(Object.keys(POINT_LAYERS)).filter(function (id) {
      return map.getLayoutProperty(id, "visibility") !== "none";
    });
  }

  function rendered(layerIds) {
    // A feature near a tile's edge is drawn by both tiles (their buffers overlap):
    // count it once.
    var seen = {};
    return map.queryRenderedFeatures({ layers: layerIds }).filter(function (f) {
      var key =
        f.layer.id + ":" +
        (f.id !== undefined ? f.id : JSON.stringify(f.geometry.coordinates));
      if (seen[key]) return false;
      seen[key] = true;
      return true;
    });
  }

  api.renderedFeatureCount = function (layer) {
    return rendered(layer ? [layer] : interactiveLayers()).length;
  };

  api.spacesInView = function () {
    if (map.getLayoutProperty("spaces", "visibility") === "none") return 0;
    return rendered(["spaces-grid", "spaces"]).reduce(function (total, f) {
      return total + (f.layer.id === "spaces-grid" ? f.properties.count : 1);
    }, 0);
  };

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) {
      return values[name];
    });
  }

  map.on("movestart", function () {
    api.idle = false;
  });
  map.on("idle", function () {
    status.textContent = format(config.labels.inView, {
      count: api.spacesInView().toLocaleString(document.documentElement.lang),
    });
    api.idle = true;
  });

  function append(parent, tag, text) {
    var child = document.createElement(tag);
    child.textContent = text;
    parent.appendChild(child);
    return child;
  }

  function popupContent(feature) {
    var layer = feature.layer.id;
    var p = feature.properties;
    var box = document.createElement("div");
    if (layer === "spaces-grid") {
      append(box, "p", format(config.labels.cell, { count: p.count }));
      return box;
    }
    append(box, "strong", p.title || p.name || config.labels[layer]);
    var values = config.values[layer] || {};
    Object.keys(values).forEach(function (property) {
      if (p[property]) append(box, "p", values[property][p[property]] || p[property]);
    });
    var detail = config.detailUrls[layer];
    if (detail && feature.id !== undefined) {
      var link = append(box, "a", config.labels.details);
      link.href = detail.replace("{id}", feature.id);
    }
    return box;
  }

  map.on("click", function (event) {
    var features = map.queryRenderedFeatures(event.point, {
      layers: interactiveLayers(),
    });
    if (!features.length) return;
    var feature = features[0];
    if (feature.layer.id === "spaces-grid" && map.getZoom() < config.gridMaxZoom) {
      // A count is an invitation to look closer.
      map.easeTo({ center: event.lngLat, zoom: map.getZoom() + 2 });
      return;
    }
    new maplibregl.Popup()
      .setLngLat(event.lngLat)
      .setDOMContent(popupContent(feature))
      .addTo(map);
  });
  // Every layer that can be hidden, not only the visible ones: the style is not
  // loaded yet here, and a hidden layer shown later needs its pointer too.
  ["spaces-grid"].concat(Object.keys(POINT_LAYERS)).forEach(function (id) {
    map.on("mouseenter", id, function () {
      map.getCanvas().style.cursor = "pointer";
    });
    map.on("mouseleave", id, function () {
      map.getCanvas().style.cursor = "";
    });
  });

  document.getElementById("national-map-layers").addEventListener("change", function (event) {
    var group = LAYER_GROUPS[event.target.value];
    if (!group) return;
    group.forEach(function (id) {
      map.setLayoutProperty(id, "visibility", event.target.checked ? "visible" : "none");
    });
  });

  // With the script running, choosing a city moves the map instead of reloading.
  var cityForm = document.getElementById("national-map-city");
  cityForm.addEventListener("submit", function (event) {
    var option = cityForm.elements.city.selectedOptions[0];
    if (!option || !option.dataset.lon) return;
    event.preventDefault();
    map.jumpTo({
      center: [Number(option.dataset.lon), Number(option.dataset.lat)],
      zoom: config.cityZoom,
    });
  });
})();
