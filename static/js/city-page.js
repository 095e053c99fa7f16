// The city page's two maps: vacant spaces in the downtown, and the urban zone with its
// commuting flows as lines whose width grows with the number of persons. The data is
// embedded in the page (built by PostgreSQL, capped); the tables beside the maps carry
// the same figures for people without a map. Text is set with textContent only.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("city-page-config").textContent);

  function label(group, value) {
    return (config.labels[group] && config.labels[group][value]) || value;
  }

  function popup(feature) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = label("kind", feature.properties.kind) + " #" + feature.id;
    box.appendChild(title);
    var status = document.createElement("div");
    status.textContent = label("status", feature.properties.status);
    box.appendChild(status);
    if (feature.properties.address) {
      var address = document.createElement("div");
      address.textContent = feature.properties.address;
      box.appendChild(address);
    }
    var link = document.createElement("a");
    link.textContent = config.text.details;
    link.href = config.spaceDetailUrl.replace("{id}", feature.id);
    box.appendChild(link);
    return box;
  }

  function downtownMap(element) {
    var map = MapBase.baseMap(element);
    MapBase.showDowntown(map, config.downtown, config.center);
    L.geoJSON(config.spaces, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {
          radius: 6,
          color: "#fff",
          weight: 1,
          fillColor: "#b5452a",
          fillOpacity: 0.9,
          className: "downtown-space status-" + feature.properties.status,
        });
      },
      onEachFeature: function (feature, marker) {
        marker.bindPopup(function () { return popup(feature); });
      },
    }).addTo(map);
    element.dataset.ready = "true";
  }

  function zoneMap(element) {
    var map = MapBase.baseMap(element);
    var zone = config.zone;
    var bounds = [];
    zone.flows.forEach(function (flow) {
      var line = L.polyline([flow.from, flow.to], {
        weight: flow.weight,
        color: "#4a6b8a",
        opacity: 0.7,
        className: "zone-flow",
      }).addTo(map);
      var text = document.createElement("span");
      text.textContent = flow.origin_name + " → " + flow.destination_name + ": " +
        flow.count + " " + config.text.persons + " (" + flow.share_pct + "% " +
        config.text.ofCommuters + ")";
      line.bindTooltip(text, { sticky: true });
    });
    zone.members.forEach(function (member) {
      bounds.push(member.seat);
      var marker = L.circleMarker(member.seat, {
        radius: member.is_centre ? 9 : 6,
        color: "#b5452a",
        fillOpacity: 0.9,
        className: "zone-seat",
      }).addTo(map);
      var name = document.createElement("span");
      name.textContent = member.name;
      marker.bindTooltip(name, { permanent: true, direction: "right" });
    });
    map.fitBounds(bounds, { padding: [40, 40] });
    element.dataset.ready = "true";
  }

  var downtown = document.getElementById("downtown-map");
  if (downtown && config.downtown) downtownMap(downtown);
  var zone = document.getElementById("zone-map");
  if (zone && config.zone) zoneMap(zone);
})();
