// Suggestions under a search box, as an ARIA 1.2 combobox: typing asks
// /api/v1/search/, the arrow keys move through the suggestions, Enter takes one.
// "navigate" boxes open the chosen result's page (without JavaScript the form still
// submits to the results page); "pick" boxes tell the page's map with a
// "place-chosen" event on the input, whose detail is the result.
(function () {
  "use strict";
  var WAIT_MS = 200;

  function setUp(input) {
    var listbox = document.getElementById(input.id + "-suggestions");
    var status = document.getElementById(input.id + "-status");
    var results = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = listbox.querySelectorAll("[role='option']");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      Array.prototype.forEach.call(options, function (option, i) {
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      var result = results[index];
      if (!result) return;
      close();
      if (input.dataset.searchMode === "pick") {
        input.value = result.name;
        input.dispatchEvent(new CustomEvent("place-chosen", { detail: result, bubbles: true }));
      } else {
        window.location.assign(result.url);
      }
    }

    function show(found) {
      results = found;
      listbox.textContent = "";
      found.forEach(function (result, index) {
        var option = document.createElement("li");
        option.id = input.id + "-option-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.kind = result.kind;
        var name = document.createElement("span");
        name.className = "suggestion-name";
        name.textContent = result.name;
        var detail = document.createElement("span");
        detail.className = "suggestion-detail";
        detail.textContent = result.detail;
        option.appendChild(name);
        option.appendChild(detail);
        // mousedown, not click: the input keeps its focus.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        listbox.appendChild(option);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      listbox.hidden = !found.length;
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
      status.textContent = found.length
        ? input.dataset.textFound + " " + found.length
        : input.dataset.textNone;
    }

    function ask() {
      var query = input.value.trim();
      if (!query) { show([]); status.textContent = ""; return; }
      var url = input.dataset.searchApi + "?q=" + encodeURIComponent(query);
      if (input.dataset.searchKinds) url += "&kind=" + input.dataset.searchKinds;
      var ticket = ++asked;
      fetch(url, {
        headers: {
          Accept: "application/json",
          // The API speaks the page's language, whatever the browser prefers.
          "Accept-Language": document.documentElement.lang || "ko",
        },
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (body) {
          // An older answer arriving late must not replace a newer one.
          if (ticket === asked && document.activeElement === input) show(body.results);
        })
        .catch(function () { /* offline: the form still submits */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, WAIT_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (listbox.hidden && results.length) { listbox.hidden = false; input.setAttribute("aria-expanded", "true"); }
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active - 1);
      } else if (event.key === "Enter") {
        if (!listbox.hidden && active >= 0) {
          event.preventDefault();
          choose(active);
        } else if (input.dataset.searchMode === "pick") {
          // Inside another form: Enter takes the best match instead of submitting it.
          event.preventDefault();
          if (results.length) choose(0);
        }
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-search-api]"), setUp);
})();
