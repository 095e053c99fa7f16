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
    map.fitBounds(outline.getBounds(), { padding: [20, 20] });
    return outline;
  }

  return { baseMap: baseMap, showDowntown: showDowntown };
})();
