// The field survey's storage on the phone (IndexedDB): the downloaded package of
// each round, the queue of records and the photos waiting to be sent. It outlives
// a reload, a closed tab and a phone without a connection.
var SurveyStore = (function () {
  "use strict";

  var NAME = "renewal-survey";
  var database = null;

  function open() {
    if (database) return Promise.resolve(database);
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        db.createObjectStore("packages");
        db.createObjectStore("records", { keyPath: "client_id" }).createIndex("round", "round");
        db.createObjectStore("photos", { keyPath: "client_id" }).createIndex("record", "record");
      };
      request.onsuccess = function () { database = request.result; resolve(database); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var result;
        var request = work(tx.objectStore(storeName));
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  return {
    getPackage: function (round) {
      return run("packages", "readonly", function (s) { return s.get(round); });
    },
    putPackage: function (round, pkg) {
      return run("packages", "readwrite", function (s) { return s.put(pkg, round); });
    },
    records: function (round) {
      return run("records", "readonly", function (s) {
        return s.index("round").getAll(round);
      });
    },
    putRecord: function (record) {
      return run("records", "readwrite", function (s) { return s.put(record); });
    },
    // A record and its photos in one transaction: saved together or not at all.
    addRecord: function (record, photos) {
      return open().then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction(["records", "photos"], "readwrite");
          tx.objectStore("records").put(record);
          photos.forEach(function (photo) { tx.objectStore("photos").put(photo); });
          tx.oncomplete = function () { resolve(); };
          tx.onerror = function () { reject(tx.error); };
          tx.onabort = function () { reject(tx.error); };
        });
      });
    },
    photosOf: function (recordId) {
      return run("photos", "readonly", function (s) {
        return s.index("record").getAll(recordId);
      });
    },
    deletePhoto: function (photoId) {
      return run("photos", "readwrite", function (s) { return s.delete(photoId); });
    },
  };
})();
