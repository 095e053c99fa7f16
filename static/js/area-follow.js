// "Notify me about new projects within … of here" under a city's projects map:
// "here" is the centre of the map, drawn as a dashed circle of the chosen radius,
// and kept in the form's hidden inputs as the map moves. Without JavaScript the form
// sends the place the page was opened on (the city's seat, or the place searched).
(function () {
  "use strict";
  var form = document.getElementById("area-follow-form");
  var element = document.getElementById("project-map");
  if (!form || !element || !element.leafletMap) return;
  var map = element.leafletMap;
  var config = JSON.parse(document.getElementById("area-follow-text").textContent);
  var longitude = document.getElementById("follow-longitude");
  var latitude = document.getElementById("follow-latitude");
  var where = document.getElementById("follow-where");

  PlacePicker.outlines(map, config);
  if (config.focus) map.setView(config.focus, 15);

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
  Array.prototype.forEach.call(form.querySelectorAll("input[name='radius_m']"), function (radio) {
    radio.addEventListener("change", function () { circle.setRadius(radius()); });
  });
  where.textContent = config.where;
  follow();
  form.dataset.ready = "true";
})();
