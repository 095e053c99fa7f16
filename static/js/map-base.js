// What the Leaflet maps of the pages share: the map with its base layer, and the
// dashed outline of a city's downtown. Loaded after leaflet.js and before the page's
// own script, which finds these as MapBase.baseMap and MapBase.showDowntown.
var MapBase = (function () {
  "use strict";

  var MAX_ZOOM = 19;

  // The base layer comes from the element's data-tile-url (the tile server set up
  // for the site); offline there is none. The map's own maxZoom keeps a zoom limit
  // even then, which clustering needs. `options` replace the default map options.
  function baseMap(element, options, tileMaxZoom) {
    var map = L.map(element, options || { maxZoom: MAX_ZOOM });
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, {
        maxZoom: tileMaxZoom || MAX_ZOOM,
        attribution: element.dataset.tileAttribution,
      }).addTo(map);
    }
    // For the page's other scripts (following an area under the map).
    element.leafletMap = map;
    return map;
  }

  // The downtown as a dashed outline, the map framed on it; without a downtown the
  // map opens on `center` (the city's seat).
  function showDowntown(map, downtown, center, colour) {
    if (!downtown) {
      map.setView(center, 15);
      return null;
    }
    var outline = L.geoJSON(downtown, {
      style: {
        color: colour || "#b5452a", weight: 2, fillOpacity: 0.05, dashArray: "4 4",
      },
      interactive: false,
    }).addTo(map);
    // The downtown is made of census 읍면동, whose licence asks to be named.
    var attribution = document.body.dataset.boundaryAttribution;
    if (attribution && map.attributionControl) {
      map.attributionControl.addAttribution(attribution);
    }
    map.fitBounds(outline.getBounds(), { padding: [20, 20] });
    return outline;
  }

  return { baseMap: baseMap, showDowntown: showDowntown };
})();

// Choosing a place on a form's map, shared by the proposal and the space forms.
// The city's boundary and its 읍면동 are drawn as outlines, so the map shows where one
// is even without base-map tiles. A place is chosen by a click, or from the place
// search or "use my location" (the map jumps there and waits), then moved with the
// arrow keys and confirmed with Enter or the confirm button. `options.show(latlng)`
// draws the page's marker; `options.set(latlng)` fills the page's inputs.
var PlacePicker = (function () {
  "use strict";

  var STEP_PX = 8;
  var BIG_STEP_PX = 40;
  var ZOOM_BY_KIND = { city: 14, area: 15, project: 17, space: 18 };
  var MOVES = {
    ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0],
  };

  function outlines(map, config) {
    var layers = L.featureGroup().addTo(map);
    if (config.boundary) {
      L.geoJSON(config.boundary, {
        style: { color: "#1f2933", weight: 2, fill: false, className: "city-outline" },
        interactive: false,
      }).addTo(layers);
    }
    if (config.areasUrl) {
      fetch(config.areasUrl, {
        headers: {
          Accept: "application/geo+json, application/json",
          "Accept-Language": document.documentElement.lang || "ko",
        },
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) return;
          // The census boundaries' licence asks for their source on the map.
          if (body.attribution && map.attributionControl) {
            map.attributionControl.addAttribution(body.attribution);
          }
          L.geoJSON(body, {
            style: {
              color: "#4a6b8a", weight: 1.5, dashArray: "5 4", fillOpacity: 0.02,
              className: "area-outline",
            },
            interactive: false,
            onEachFeature: function (feature, layer) {
              var props = feature.properties || {};
              var label = document.createElement("span");
              label.textContent = props.name || props.name_ko || "";
              if (label.textContent) {
                layer.bindTooltip(label, {
                  permanent: true, direction: "center", className: "area-label",
                  interactive: false,
                });
              }
              if (config.area && String(props.sgis_code || feature.id) === String(config.area)) {
                map.fitBounds(layer.getBounds(), { padding: [10, 10] });
              }
            },
          }).addTo(layers);
          map.getContainer().dataset.areas = "loaded";
        })
        .catch(function () { /* the city's outline still shows */ });
    }
    return layers;
  }

  function attach(map, element, config, options) {
    var hint = document.getElementById("place-hint");
    var confirm = document.getElementById("place-confirm");
    var search = document.getElementById("place-search");
    var locate = document.getElementById("place-search-locate");
    var pending = null;

    outlines(map, config);
    if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "0");

    function say(text, set) {
      hint.textContent = text;
      hint.classList.toggle("set", !!set);
    }

    function wait(latlng) {
      pending = L.latLng(latlng);
      options.show(pending);
      if (confirm) confirm.hidden = false;
      say(config.text.pending, false);
    }

    function set(latlng) {
      pending = null;
      if (confirm) confirm.hidden = true;
      options.set(L.latLng(latlng));
      say(config.text.set, true);
      element.dataset.placeSet = "true";
    }

    element.addEventListener("keydown", function (event) {
      if (options.active && !options.active()) return;
      var move = MOVES[event.key];
      if (move) {
        event.preventDefault();
        var from = pending || options.current() || map.getCenter();
        var step = event.shiftKey ? BIG_STEP_PX : STEP_PX;
        var point = map.latLngToContainerPoint(from).add([move[0] * step, move[1] * step]);
        var to = map.containerPointToLatLng(point);
        wait(to);
        map.panInside(to, { padding: [30, 30] });
      } else if (event.key === "Enter") {
        var here = pending || options.current() || map.getCenter();
        event.preventDefault();
        set(here);
      } else if (event.key === "+" || event.key === "=") {
        event.preventDefault();
        map.zoomIn();
      } else if (event.key === "-") {
        event.preventDefault();
        map.zoomOut();
      }
    });

    if (confirm) {
      confirm.addEventListener("click", function () {
        if (pending) set(pending);
      });
    }

    if (search) {
      search.addEventListener("place-chosen", function (event) {
        var result = event.detail;
        if (result.latitude === null || result.longitude === null) return;
        var latlng = L.latLng(result.latitude, result.longitude);
        map.setView(latlng, ZOOM_BY_KIND[result.kind] || 16);
        if (result.kind === "area" && config.areasUrl) {
          config.area = result.code;
        }
        wait(latlng);
        // The place is chosen on the map: the keyboard goes there next.
        element.focus({ preventScroll: false });
      });
    }

    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        say(config.text.locating, false);
        navigator.geolocation.getCurrentPosition(
          function (position) {
            var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
            map.setView(latlng, 17);
            wait(latlng);
            element.focus();
          },
          function () { say(config.text.locateFailed, false); },
          { enableHighAccuracy: true, maximumAge: 60000 }
        );
      });
    }

    return { set: set, wait: wait, say: say };
  }

  return { attach: attach, outlines: outlines };
})();
