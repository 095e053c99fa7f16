// The field survey on a phone: download the round, record buildings with or
// without a connection (kept in IndexedDB by SurveyStore), send them when a
// connection returns. Each record carries an id made here, so sending it again
// after a cut connection stores nothing twice; the server answers per record.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("survey-config").textContent);
  var S = config.strings;
  var round = config.round;
  var pkg = null;
  var spaces = [];
  var records = [];
  var here = null;
  var current = null;
  var position = null;
  var map = null;
  var positionMarker = null;
  var buildingMarker = null;
  var syncing = false;

  var $ = function (id) { return document.getElementById(id); };

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function metres(a, b) {
    var rad = Math.PI / 180;
    var dLat = (b.lat - a.lat) * rad;
    var dLon = (b.lon - a.lon) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return Math.round(6371000 * 2 * Math.atan2(Math.sqrt(h), Math.sqrt(1 - h)));
  }

  // The service worker keeps this page and its assets for offline use; the page
  // stores itself in the worker's cache, since its first load came before it.
  function installWorker() {
    if (!("serviceWorker" in navigator) || !window.caches) return;
    navigator.serviceWorker.register(config.worker_url, { scope: config.scope })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () { return caches.open(config.cache); })
      .then(function (cache) { return cache.add(location.pathname); })
      .then(function () { document.body.dataset.offlineReady = "true"; })
      .catch(function () { /* offline use is a bonus; the page works without */ });
  }

  function showConnection() {
    $("survey-connection").textContent = navigator.onLine ? S.online : S.offline;
  }

  // The package.
  function useSpaces(data) {
    pkg = data;
    var fields = pkg.fields;
    spaces = pkg.spaces.map(function (row) {
      var space = {};
      fields.forEach(function (name, i) { space[name] = row[i]; });
      return space;
    });
  }

  function download() {
    $("survey-download").disabled = true;
    fetch(config.package_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
          return body;
        });
      })
      .then(function (body) {
        return SurveyStore.putPackage(round, body).then(function () {
          useSpaces(body);
          $("survey-package-status").textContent = format(S.downloaded, { count: spaces.length });
          renderBuildings();
        });
      })
      .catch(function (error) {
        $("survey-package-status").textContent = format(S.download_failed, { message: error.message });
      })
      .then(function () { $("survey-download").disabled = false; });
  }

  function renderBuildings() {
    var list = $("survey-buildings");
    list.textContent = "";
    var recorded = {};
    records.forEach(function (r) { recorded[r.space] = true; });
    var shown = spaces.slice();
    if (here) {
      shown.forEach(function (s) { s.distance = metres(here, s); });
      shown.sort(function (a, b) { return a.distance - b.distance; });
    }
    // A long round shows its first 200 (nearest first once located): enough for a
    // day's walk, and a list of 2,000 buttons is slow to draw on a phone.
    shown.slice(0, 200).forEach(function (space) {
      var item = document.createElement("li");
      var address = document.createElement("span");
      address.className = "address";
      address.textContent = space.address || S.building + " #" + space.id;
      var meta = document.createElement("span");
      meta.className = "meta";
      var parts = [pkg.kinds[space.kind] || space.kind, pkg.statuses[space.status] || space.status];
      if (space.grade) parts.push(space.grade);
      if (space.distance !== undefined) parts.push(format(S.distance, { metres: space.distance }));
      if (recorded[space.id]) parts.push(S.recorded);
      meta.textContent = parts.join(" · ");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = S.record;
      button.dataset.space = space.id;
      button.setAttribute("aria-label", S.record + ": " + address.textContent);
      button.addEventListener("click", function () { openForm(space); });
      item.appendChild(address);
      item.appendChild(button);
      item.appendChild(meta);
      list.appendChild(item);
    });
  }

  // The record form.
  function setPosition(next, message) {
    position = next;
    $("record-position").textContent = message;
    if (map && next) {
      if (!positionMarker) positionMarker = L.circleMarker([next.lat, next.lon], { radius: 8 }).addTo(map);
      positionMarker.setLatLng([next.lat, next.lon]);
    }
  }

  // Leaflet is fetched when the first building is recorded, not with the page: a
  // first visit on a slow connection does not wait for it, and the service worker
  // keeps it for the field.
  var leafletLoading = null;
  function withLeaflet(then) {
    if (window.L) { then(); return; }
    var element = $("record-map");
    if (!leafletLoading) {
      leafletLoading = new Promise(function (resolve, reject) {
        var style = document.createElement("link");
        style.rel = "stylesheet";
        style.href = element.dataset.leafletCss;
        document.head.appendChild(style);
        var script = document.createElement("script");
        script.src = element.dataset.leafletJs;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    // Without Leaflet the form still takes GPS or the building's position.
    leafletLoading.then(then, function () { leafletLoading = null; });
  }

  function openMap(space) {
    var element = $("record-map");
    if (!window.L) return;
    if (!map) {
      map = L.map(element, { maxZoom: 19 });
      if (element.dataset.tileUrl) {
        L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.tileAttribution }).addTo(map);
      }
      if (pkg.area) {
        L.geoJSON(JSON.parse(pkg.area), { style: { weight: 2, fillOpacity: 0.05 }, interactive: false }).addTo(map);
      }
      map.on("click", function (event) {
        $("position-tap").checked = true;
        setPosition({ lat: event.latlng.lat, lon: event.latlng.lng, accuracy: null, source: "tap" }, S.tap_ok);
      });
    }
    map.setView([space.lat, space.lon], 18);
    if (positionMarker) { positionMarker.remove(); positionMarker = null; }
    if (buildingMarker) buildingMarker.remove();
    buildingMarker = L.marker([space.lat, space.lon], { keyboard: false, interactive: false }).addTo(map);
    map.invalidateSize();
  }

  function openForm(space) {
    current = space;
    $("survey-record-form").reset();
    $("record-building").textContent = space.address || S.building + " #" + space.id;
    var graded = pkg.graded_kinds.indexOf(space.kind) !== -1;
    $("record-grading").hidden = !graded;
    $("record-not-graded").hidden = graded;
    $("survey-record").hidden = false;
    setPosition(null, S.building_ok);
    withLeaflet(function () { if (current === space) openMap(space); });
    $("record-heading").focus();
  }

  function closeForm() {
    $("survey-record").hidden = true;
    var button = document.querySelector('#survey-buildings button[data-space="' + (current && current.id) + '"]');
    current = null;
    if (button) button.focus();
  }

  function useGps() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (fix) {
      setPosition({
        lat: fix.coords.latitude, lon: fix.coords.longitude,
        accuracy: fix.coords.accuracy, source: "gps",
      }, format(S.gps_ok, { metres: Math.round(fix.coords.accuracy) }));
    }, function (error) {
      $("position-building").checked = true;
      setPosition(null, format(S.gps_failed, { message: error.message }));
    }, { enableHighAccuracy: true, timeout: 20000 });
  }

  function save(event) {
    event.preventDefault();
    if (!current) return;
    var form = $("survey-record-form");
    var choice = form.querySelector('input[name="position"]:checked').value;
    var fromMap = choice !== "building" && position && position.source === choice;
    var checklist = {};
    form.querySelectorAll("select[data-item]").forEach(function (select) {
      if (select.value) checklist[select.dataset.item] = select.value;
    });
    var graded = !$("record-grading").hidden;
    var record = {
      client_id: newId(),
      round: round,
      space: current.id,
      address: $("record-building").textContent,
      observed_at: new Date().toISOString(),
      location_source: fromMap ? choice : "building",
      location: fromMap ? { lon: position.lon, lat: position.lat } : null,
      accuracy_m: fromMap ? position.accuracy : null,
      signs: Array.prototype.map.call(form.querySelectorAll('input[name="signs"]:checked'), function (box) { return box.value; }),
      checklist: graded ? checklist : {},
      grade: graded && $("record-grade").value ? Number($("record-grade").value) : null,
      note: $("record-note").value.trim(),
      base_version: current.version,
      status: "queued",
      message: "",
    };
    var photos = Array.prototype.map.call($("record-photos").files, function (file) {
      return { client_id: newId(), record: record.client_id, blob: file, name: file.name, type: file.type };
    });
    record.photos_left = photos.length;
    SurveyStore.addRecord(record, photos).then(function () {
      $("survey-sync-status").textContent = S.saved;
      closeForm();
      return refresh();
    }).then(function () {
      if (navigator.onLine) sync();
    });
  }

  // The queue and the sync.
  function stateText(record) {
    if (record.status === "refused") return format(S.refused, { message: record.message });
    if (record.status === "conflict") return S.conflict;
    if (record.status === "sent") return S.sent;
    return S.queued;
  }

  function waiting(record) {
    return record.status === "queued" || ((record.status === "sent" || record.status === "conflict") && record.photos_left > 0);
  }

  function refresh() {
    return SurveyStore.records(round).then(function (all) {
      records = all.sort(function (a, b) { return a.observed_at < b.observed_at ? 1 : -1; });
      $("survey-queue-count").textContent = records.filter(waiting).length;
      var list = $("survey-queue");
      list.textContent = "";
      records.forEach(function (record) {
        var item = document.createElement("li");
        item.dataset.record = record.client_id;
        var address = document.createElement("span");
        address.textContent = record.address;
        var state = document.createElement("span");
        state.className = "state-" + record.status;
        state.textContent = stateText(record);
        var meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = new Date(record.observed_at).toLocaleString() +
          (record.photos_left ? " · " + format(S.photos, { count: record.photos_left }) : "");
        item.appendChild(address);
        item.appendChild(state);
        item.appendChild(meta);
        list.appendChild(item);
      });
      if (pkg) renderBuildings();
    });
  }

  function payload(record) {
    var keys = ["client_id", "space", "observed_at", "location_source", "location", "accuracy_m",
      "signs", "checklist", "grade", "note", "base_version"];
    var out = {};
    keys.forEach(function (key) { out[key] = record[key]; });
    return out;
  }

  function post(url, body, json) {
    var headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
    if (json) headers["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", credentials: "same-origin", headers: headers, body: body });
  }

  function failure(response) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      throw new Error((body.error && body.error.message) || response.statusText || String(response.status));
    });
  }

  function sendRecords(queued) {
    var batch = queued.slice(0, config.batch);
    if (!batch.length) return Promise.resolve();
    $("survey-sync-status").textContent = format(S.syncing, { count: queued.length });
    return post(config.sync_url, JSON.stringify({ observations: batch.map(payload) }), true)
      .then(function (response) { return response.ok ? response.json() : failure(response); })
      .then(function (body) {
        var byId = {};
        batch.forEach(function (record) { byId[record.client_id] = record; });
        return Promise.all(body.results.map(function (result) {
          var record = byId[result.client_id];
          if (!record) return null;
          if (result.result === "refused") {
            record.status = "refused";
            record.message = result.message;
          } else {
            record.status = result.state === "conflict" ? "conflict" : "sent";
          }
          return SurveyStore.putRecord(record);
        }));
      })
      .then(function () { return sendRecords(queued.slice(config.batch)); });
  }

  function sendPhotos(record) {
    return SurveyStore.photosOf(record.client_id).then(function (photos) {
      return photos.reduce(function (chain, photo) {
        return chain.then(function () {
          var form = new FormData();
          form.append("client_id", photo.client_id);
          form.append("photo", photo.blob, photo.name || "photo.jpg");
          return post(config.photos_url.replace("{client_id}", record.client_id), form, false)
            .then(function (response) {
              // Signed out, round closed, server down: stop and keep the photo.
              if (!response.ok && [400, 413, 415].indexOf(response.status) === -1) {
                return failure(response);
              }
              if (!response.ok) {
                // A file the server refuses is not sent again; the record says why.
                return response.json().catch(function () { return {}; }).then(function (body) {
                  record.message = (body.error && body.error.message) || response.statusText;
                });
              }
              return null;
            })
            .then(function () { return SurveyStore.deletePhoto(photo.client_id); })
            .then(function () {
              record.photos_left = Math.max(0, (record.photos_left || 1) - 1);
              return SurveyStore.putRecord(record);
            });
        });
      }, Promise.resolve());
    });
  }

  function sync() {
    if (syncing || !navigator.onLine) return Promise.resolve();
    syncing = true;
    $("survey-sync").disabled = true;
    return SurveyStore.records(round)
      .then(function (all) {
        return sendRecords(all.filter(function (r) { return r.status === "queued"; }));
      })
      .then(function () { return SurveyStore.records(round); })
      .then(function (all) {
        return all.filter(function (r) {
          return (r.status === "sent" || r.status === "conflict") && r.photos_left > 0;
        }).reduce(function (chain, record) {
          return chain.then(function () { return sendPhotos(record); });
        }, Promise.resolve());
      })
      .then(function () { $("survey-sync-status").textContent = S.synced; })
      .catch(function (error) {
        $("survey-sync-status").textContent = format(S.sync_stopped, { message: error.message });
      })
      .then(function () {
        syncing = false;
        $("survey-sync").disabled = false;
        return refresh();
      });
  }

  function locate() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (fix) {
      here = { lat: fix.coords.latitude, lon: fix.coords.longitude };
      if (pkg) renderBuildings();
    }, function (error) {
      $("survey-package-status").textContent = format(S.gps_failed, { message: error.message });
    });
  }

  $("survey-download").addEventListener("click", download);
  $("survey-sync").addEventListener("click", sync);
  $("survey-locate").addEventListener("click", locate);
  $("survey-record-form").addEventListener("submit", save);
  $("record-cancel").addEventListener("click", closeForm);
  $("position-gps").addEventListener("change", useGps);
  $("position-building").addEventListener("change", function () { setPosition(null, S.building_ok); });
  window.addEventListener("online", function () { showConnection(); sync(); });
  window.addEventListener("offline", showConnection);

  showConnection();
  installWorker();
  SurveyStore.getPackage(round).then(function (stored) {
    if (stored) {
      useSpaces(stored);
      $("survey-package-status").textContent = format(S.downloaded, { count: spaces.length });
    } else {
      $("survey-package-status").textContent = S.no_package;
    }
    return refresh();
  }).then(function () {
    // When the page was usable, for the benchmark (ms since the navigation began).
    document.body.dataset.readyMs = String(Math.round(performance.now()));
    document.body.dataset.surveyReady = "true";
    if (navigator.onLine) sync();
  });
})();
