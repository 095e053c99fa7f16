// Place a space by clicking on the map, or by the place search or "use my location"
// then the arrow keys and Enter (PlacePicker in map-base.js). The longitude and
// latitude stay ordinary number inputs, so the location can also be typed (keyboard,
// screen readers, or coordinates from a survey sheet); typing moves the marker and
// choosing on the map fills them.
(function () {
  "use strict";
  var element = document.getElementById("location-map");
  if (!element) return;
  var config = JSON.parse(document.getElementById("location-picker-config").textContent);
  var longitude = document.getElementById("id_longitude");
  var latitude = document.getElementById("id_latitude");

  // The arrow keys move the place, not the map (Leaflet's own keyboard panning off).
  var map = MapBase.baseMap(element, { maxZoom: 19, keyboard: false });
  MapBase.showDowntown(map, config.downtown, config.center);

  var marker = null;
  function place(latlng) {
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.circleMarker(latlng, {
        // 24 px across: a target a finger can hit.
        radius: 12,
        color: "#b5452a",
        fillOpacity: 0.8,
        className: "picked-location",
      }).addTo(map);
    }
  }

  function fromInputs() {
    var lon = parseFloat(longitude.value);
    var lat = parseFloat(latitude.value);
    if (isFinite(lon) && isFinite(lat)) {
      place([lat, lon]);
      return true;
    }
    return false;
  }

  var picker = PlacePicker.attach(map, element, config, {
    current: function () { return marker ? marker.getLatLng() : null; },
    show: place,
    set: function (latlng) {
      // Six decimals are about 10 cm: more would pretend to a precision we lack.
      longitude.value = latlng.lng.toFixed(6);
      latitude.value = latlng.lat.toFixed(6);
      place(latlng);
      longitude.dispatchEvent(new Event("change", { bubbles: true }));
    },
  });

  if (fromInputs()) {
    map.setView(marker.getLatLng(), Math.max(map.getZoom(), 16));
    picker.say(config.text.set, true);
  } else {
    picker.say(config.text.point, false);
  }

  map.on("click", function (event) { picker.set(event.latlng); });
  longitude.addEventListener("input", fromInputs);
  latitude.addEventListener("input", fromInputs);
  element.dataset.ready = "true";
})();
