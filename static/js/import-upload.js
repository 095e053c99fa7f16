// Refuses a survey file over the size limit before it is sent: the server refuses
// it too, but only after the whole upload has arrived.
(function () {
  "use strict";

  var form = document.getElementById("import-upload-form");
  if (!form) {
    return;
  }
  var input = form.querySelector("input[type=file]");
  var problem = document.getElementById("import-file-problem");
  var maxBytes = Number(form.dataset.maxBytes);

  function tooLarge() {
    var file = input.files && input.files[0];
    return Boolean(file && file.size > maxBytes);
  }

  function check() {
    var message = tooLarge() ? form.dataset.tooLarge : "";
    input.setCustomValidity(message);
    input.setAttribute("aria-invalid", message ? "true" : "false");
    problem.textContent = message;
    return !message;
  }

  input.addEventListener("change", check);
  form.addEventListener("submit", function (event) {
    if (!check()) {
      event.preventDefault();
      input.focus();
    }
  });
})();
