// After an action (support, follow, comment, RSVP) the page comes back with its
// message next to where the action was taken (#message). Moving the focus there lets
// keyboard and screen-reader users go on from the message; without JavaScript the
// #message anchor of the redirect still scrolls to it.
(function () {
  "use strict";

  function focusMessage() {
    var message = document.getElementById("message");
    if (!message) return;
    message.focus({ preventScroll: false });
    message.dataset.focused = "true";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusMessage);
  } else {
    focusMessage();
  }
})();
