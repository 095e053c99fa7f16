// Starts Django's OpenLayers MapWidget for each map field of an admin form, from the
// options cities/templates/cities/map_widget.html writes as JSON (an inline script
// would be blocked by the Content-Security-Policy).
(function () {
  "use strict";

  function start() {
    document.querySelectorAll("script[id$=\"_map_options\"]").forEach(function (node) {
      var options = JSON.parse(node.textContent);
      window[options.module] = new MapWidget(options);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
