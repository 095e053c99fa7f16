// The 읍면동 outlines of a city's projects map, and "Notify me about new projects
// within … of here" under it:
// "here" is the centre of the map, drawn as a dashed circle of the chosen radius,
// and kept in the form's hidden inputs as the map moves. Without JavaScript the form
// sends the place the page was opened on (the city's seat, or the place searched).
(function () {
  "use strict";
  var element = document.getElementById("project-map");
  if (!element || !element.leafletMap) return;
  var map = element.leafletMap;
  var config = JSON.parse(document.getElementById("area-follow-text").textContent);
  // The 읍면동 outlines for everyone; the map opens on the place asked for.
  PlacePicker.outlines(map, config);
  if (config.focus) map.setView(config.focus, 15);

  var form = document.getElementById("area-follow-form");
  if (!form) return;
  var longitude = document.getElementById("follow-longitude");
  var latitude = document.getElementById("follow-latitude");
  var how = document.getElementById("follow-how");

  function radius() {
    var checked = form.querySelector("input[name='radius_m']:checked");
    return checked ? parseInt(checked.value, 10) : 1000;
  }

  var circle = L.circle(map.getCenter(), {
    radius: radius(), color: "#1f6fb2", weight: 2, dashArray: "6 4", fillOpacity: 0.05,
    interactive: false, className: "follow-circle",
  }).addTo(map);

  function follow() {
    var centre = map.getCenter();
    circle.setLatLng(centre);
    longitude.value = centre.lng.toFixed(6);
    latitude.value = centre.lat.toFixed(6);
  }

  map.on("moveend", follow);
  // A map still gliding to the chosen 읍면동 has not ended its move yet: the form
  // sends the centre as it is when sent.
  form.addEventListener("submit", follow);
  Array.prototype.forEach.call(form.querySelectorAll("input[name='radius_m']"), function (radio) {
    radio.addEventListener("change", function () { circle.setRadius(radius()); });
  });
  how.textContent = config.where;
  follow();
  form.dataset.ready = "true";
})();
