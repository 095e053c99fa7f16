// The map page filters without reloading: the export links follow the filter form,
// so a download holds exactly the spaces the page shows.
(function () {
  "use strict";
  var form = document.getElementById("space-filter");
  var links = document.querySelectorAll("#space-export a[data-format]");
  if (!form || !links.length) return;
  function refresh() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (value !== "") params.append(name, value);
    });
    links.forEach(function (link) {
      var query = new URLSearchParams({ format: link.dataset.format, city: link.dataset.city });
      params.forEach(function (value, name) { query.append(name, value); });
      link.href = link.dataset.base + "?" + query.toString();
    });
  }
  form.addEventListener("change", refresh);
  form.addEventListener("input", refresh);
  refresh();
})();
