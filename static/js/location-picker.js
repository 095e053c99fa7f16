// Place a space by clicking on the map. The longitude and latitude stay ordinary
// number inputs, so the location can also be typed (keyboard, screen readers, or
// coordinates from a survey sheet); typing moves the marker and clicking fills them.
(function () {
  "use strict";
  var element = document.getElementById("location-map");
  if (!element) return;
  var config = JSON.parse(document.getElementById("location-picker-config").textContent);
  var longitude = document.getElementById("id_longitude");
  var latitude = document.getElementById("id_latitude");

  var map = MapBase.baseMap(element);
  MapBase.showDowntown(map, config.downtown, config.center);

  var marker = null;
  function place(latlng) {
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.circleMarker(latlng, {
        radius: 9,
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

  if (fromInputs()) map.setView(marker.getLatLng(), Math.max(map.getZoom(), 16));

  map.on("click", function (event) {
    // Six decimals are about 10 cm: more would pretend to a precision we lack.
    longitude.value = event.latlng.lng.toFixed(6);
    latitude.value = event.latlng.lat.toFixed(6);
    place(event.latlng);
    longitude.dispatchEvent(new Event("change", { bubbles: true }));
  });
  longitude.addEventListener("input", fromInputs);
  latitude.addEventListener("input", fromInputs);
  element.dataset.ready = "true";
})();
