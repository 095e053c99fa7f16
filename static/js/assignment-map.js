// Matching maps on Leaflet: a project's candidate spaces (numbered as in the table),
// an assignment run's proposed pairs (a line from each project to its space), and
// one match. Data comes from the JSON the page carries; text is set with
// textContent, never as HTML.
(function () {
  "use strict";

  var PROJECT_COLOUR = "#b5452a";
  var PAIR_COLOURS = {
    suggested: "#4a6b8a",
    offered: "#c78a00",
    accepted: "#2e7d32",
    active: "#6a4c93",
    declined: "#8a8f95",
    ended: "#8a8f95",
  };

  function readConfig(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  function placeLayer(place) {
    return L.geoJSON(place, {
      style: function () {
        return { color: PROJECT_COLOUR, weight: 2, fillOpacity: 0.2 };
      },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {
          radius: 9,
          color: PROJECT_COLOUR,
          fillOpacity: 0.8,
          className: "project-place-marker",
        });
      },
    });
  }

  // A marker that shows a number: a small round label styled here, so the page
  // needs no stylesheet of its own.
  function numberedIcon(number) {
    var label = document.createElement("span");
    label.textContent = String(number);
    label.style.cssText =
      "display:block;width:24px;height:24px;line-height:20px;border-radius:50%;" +
      "background:#1f6fb2;color:#fff;border:2px solid #fff;text-align:center;" +
      "font:bold 12px/20px system-ui,sans-serif;box-shadow:0 0 2px rgba(0,0,0,.6);";
    return L.divIcon({
      html: label,
      className: "candidate-marker",
      iconSize: [24, 24],
      iconAnchor: [12, 12],
    });
  }

  function link(href, text) {
    var anchor = document.createElement("a");
    anchor.href = href;
    anchor.textContent = text;
    return anchor;
  }

  function candidateMap(element) {
    var config = readConfig("candidate-map-config");
    var map = MapBase.baseMap(element);
    var group = L.featureGroup([placeLayer(config.place)]);
    config.candidates.forEach(function (candidate) {
      var marker = L.marker([candidate.lat, candidate.lon], {
        icon: numberedIcon(candidate.rank),
        title: candidate.rank + ". " + candidate.label,
        // Candidates a few metres apart overlap on the map: the numbered table
        // beside it is their keyboard path, so the markers take no tab stop.
        keyboard: false,
      });
      marker.bindPopup(function () {
        var box = document.createElement("div");
        box.appendChild(link(config.detailUrl.replace("{id}", candidate.id),
          candidate.rank + ". " + candidate.label));
        var score = document.createElement("p");
        score.textContent = config.text.score + ": " + candidate.score.toFixed(2);
        box.appendChild(score);
        return box;
      });
      group.addLayer(marker);
    });
    group.addTo(map);
    map.fitBounds(group.getBounds(), { padding: [30, 30], maxZoom: 17 });
    element.dataset.count = String(config.candidates.length);
    element.dataset.ready = "true";
  }

  function pairMap(element) {
    var config = readConfig("assignment-map-config");
    var map = MapBase.baseMap(element);
    var group = L.featureGroup();
    config.pairs.forEach(function (pair) {
      var colour = PAIR_COLOURS[pair.status] || PAIR_COLOURS.suggested;
      var from = [pair.from[1], pair.from[0]];
      var to = [pair.to[1], pair.to[0]];
      var popup = function () {
        var box = document.createElement("div");
        box.appendChild(link(config.projectUrl.replace("{id}", pair.project),
          pair.projectTitle));
        box.appendChild(document.createTextNode(" → "));
        box.appendChild(link(config.spaceUrl.replace("{id}", pair.space),
          pair.spaceLabel));
        var facts = document.createElement("p");
        facts.textContent = config.text.score + ": " + pair.score.toFixed(2) +
          " · " + config.text.status + ": " + pair.statusLabel;
        box.appendChild(facts);
        return box;
      };
      group.addLayer(L.polyline([from, to], {
        color: colour,
        weight: 3,
        className: "pair-line status-" + pair.status,
      }).bindPopup(popup));
      group.addLayer(L.circleMarker(from, {
        radius: 6, color: PROJECT_COLOUR, fillOpacity: 0.8, className: "pair-project",
      }).bindPopup(popup));
      // A square for the space, so the two ends differ by more than colour.
      group.addLayer(L.rectangle(
        [[to[0] - 0.00007, to[1] - 0.00009], [to[0] + 0.00007, to[1] + 0.00009]],
        { color: colour, weight: 2, fillOpacity: 0.9, className: "pair-space" }
      ).bindPopup(popup));
    });
    group.addTo(map);
    if (config.pairs.length) {
      map.fitBounds(group.getBounds(), { padding: [30, 30], maxZoom: 17 });
    } else {
      map.setView(config.center, 14);
    }
    element.dataset.count = String(config.pairs.length);
    element.dataset.ready = "true";
  }

  function matchMap(element) {
    var config = readConfig("match-map-config");
    var map = MapBase.baseMap(element);
    var place = placeLayer(config.place);
    var space = L.latLng(config.space[1], config.space[0]);
    var group = L.featureGroup([
      place,
      L.polyline([place.getBounds().getCenter(), space], {
        color: PAIR_COLOURS.suggested, weight: 3, dashArray: "6 4",
      }),
      L.circleMarker(space, {
        radius: 9, color: PAIR_COLOURS.accepted, fillOpacity: 0.8,
      }).bindTooltip(config.text.space),
    ]).addTo(map);
    map.fitBounds(group.getBounds(), { padding: [30, 30], maxZoom: 17 });
    element.dataset.ready = "true";
  }

  var candidates = document.getElementById("candidate-map");
  if (candidates) candidateMap(candidates);
  var pairs = document.getElementById("assignment-map");
  if (pairs) pairMap(pairs);
  var match = document.getElementById("match-map");
  if (match) matchMap(match);
})();
