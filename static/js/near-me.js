// "Show what is near me": the browser asks for the location only after this tap, and
// the page reloads with ?near=longitude,latitude for the server to find the nearest
// city and the projects around.
(function () {
  "use strict";
  var button = document.getElementById("near-me");
  if (!button || !navigator.geolocation) return;
  var status = document.getElementById("near-me-status");
  var text = JSON.parse(document.getElementById("near-me-text").textContent);
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = text.asking;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var near = position.coords.longitude.toFixed(5) + "," + position.coords.latitude.toFixed(5);
        window.location.assign(button.dataset.url + "?near=" + near + "#chosen-city");
      },
      function () { status.textContent = text.failed; },
      { enableHighAccuracy: false, maximumAge: 600000 }
    );
  });
})();
