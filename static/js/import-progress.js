// Follows a running import: asks for its stored state every second and shows it;
// when it has finished, the page is loaded again with its report.
(function () {
  "use strict";

  var section = document.getElementById("import-progress");
  if (!section || section.dataset.finished === "true") {
    return;
  }
  var url = section.dataset.url;
  var bar = document.getElementById("import-progress-bar");

  function show(state) {
    document.getElementById("import-status").textContent = state.status_label;
    document.getElementById("import-status").dataset.status = state.status;
    document.getElementById("import-waiting").hidden = !state.waiting;
    document.getElementById("import-percent").textContent = state.progress;
    document.getElementById("import-read").textContent = state.read;
    document.getElementById("import-written").textContent = state.written;
    document.getElementById("import-rejected").textContent = state.rejected;
    bar.value = state.progress;
    bar.textContent = state.progress + " %";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        // A restart of the server or a dropped connection: try again shortly.
        window.setTimeout(poll, 2000);
      });
  }

  window.setTimeout(poll, 1000);
})();
