// The place of a proposal: click once for a point, or switch to "area" and click the
// corners of a polygon, then finish it. A point also stays two ordinary number
// inputs (keyboard, screen readers); an area travels as GeoJSON in a hidden input.
// A few lines of our own instead of a drawing plug-in: one tool, no editing handles.
// A point can also be found by the place search or "use my location", and moved
// with the arrow keys and confirmed with Enter (PlacePicker in map-base.js).
(function () {
  "use strict";
  var element = document.getElementById("project-place-map");
  if (!element) return;
  var config = JSON.parse(document.getElementById("project-picker-config").textContent);
  var longitude = document.getElementById("id_longitude");
  var latitude = document.getElementById("id_latitude");
  var area = document.getElementById("id_area");
  var hint = document.getElementById("place-hint");
  var finish = document.getElementById("area-finish");
  var clear = document.getElementById("place-clear");
  document.getElementById("place-tools").hidden = false;

  // Double clicks are corners of an area here, not a zoom.
  // The arrow keys move the place, not the map (Leaflet's own keyboard panning off).
  var map = MapBase.baseMap(element, { maxZoom: 19, doubleClickZoom: false, keyboard: false });
  MapBase.showDowntown(map, config.downtown, config.center, "#4a6b8a");

  var mode = "point";
  var marker = null;
  var corners = [];
  var outline = null;

  function round(value) {
    // Six decimals are about 10 cm: more would pretend to a precision we lack.
    return Math.round(value * 1e6) / 1e6;
  }

  function removeShapes() {
    if (marker) { map.removeLayer(marker); marker = null; }
    if (outline) { map.removeLayer(outline); outline = null; }
  }

  function placePoint(latlng) {
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.circleMarker(latlng, {
        // 24 px across: a target a finger can hit.
        radius: 12, color: "#b5452a", fillOpacity: 0.8, className: "picked-location",
      }).addTo(map);
    }
  }

  function drawOutline(closed) {
    if (outline) map.removeLayer(outline);
    var options = { color: "#b5452a", weight: 2, className: "picked-area" };
    outline = (closed ? L.polygon(corners, options) : L.polyline(corners, options))
      .addTo(map);
  }

  function setMode(next) {
    mode = next;
    finish.hidden = mode !== "area";
    hint.textContent = mode === "area" ? config.text.area : config.text.point;
  }

  function reset() {
    removeShapes();
    corners = [];
    area.value = "";
    longitude.value = "";
    latitude.value = "";
  }

  function showPoint(latlng) {
    if (mode !== "point") return;
    if (outline) { map.removeLayer(outline); outline = null; }
    placePoint(latlng);
  }

  var picker = PlacePicker.attach(map, element, config, {
    active: function () { return mode === "point"; },
    current: function () { return marker ? marker.getLatLng() : null; },
    show: showPoint,
    set: function (latlng) {
      area.value = "";
      corners = [];
      showPoint(latlng);
      longitude.value = round(latlng.lng).toFixed(6);
      latitude.value = round(latlng.lat).toFixed(6);
    },
  });

  map.on("click", function (event) {
    if (mode === "point") {
      picker.set(event.latlng);
      return;
    }
    if (marker) { map.removeLayer(marker); marker = null; }
    longitude.value = "";
    latitude.value = "";
    if (area.value) { corners = []; area.value = ""; }
    corners.push(event.latlng);
    drawOutline(false);
  });

  finish.addEventListener("click", function () {
    if (corners.length < 3) {
      hint.textContent = config.text.tooFew;
      return;
    }
    drawOutline(true);
    var ring = corners.map(function (c) { return [round(c.lng), round(c.lat)]; });
    ring.push(ring[0]);
    area.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    corners = [];
    picker.say(config.text.set, true);
  });

  clear.addEventListener("click", function () {
    reset();
    setMode(mode);
  });
  Array.prototype.forEach.call(
    document.querySelectorAll("input[name='place_mode']"),
    function (radio) {
      radio.addEventListener("change", function () { if (radio.checked) setMode(radio.value); });
    }
  );

  function fromInputs() {
    var lon = parseFloat(longitude.value);
    var lat = parseFloat(latitude.value);
    if (isFinite(lon) && isFinite(lat)) {
      area.value = "";
      if (outline) { map.removeLayer(outline); outline = null; }
      placePoint([lat, lon]);
      return true;
    }
    return false;
  }
  longitude.addEventListener("input", fromInputs);
  latitude.addEventListener("input", fromInputs);

  // After a refused submission, show what was sent.
  if (area.value) {
    try {
      outline = L.geoJSON(JSON.parse(area.value), {
        style: { color: "#b5452a", weight: 2 },
      }).addTo(map);
      document.querySelector("input[name='place_mode'][value='area']").checked = true;
      mode = "area";
    } catch (error) {
      area.value = "";
    }
  } else if (fromInputs()) {
    map.setView(marker.getLatLng(), Math.max(map.getZoom(), 16));
  }
  setMode(mode);
  if (area.value || marker) picker.say(config.text.set, true);
  element.dataset.ready = "true";
})();
