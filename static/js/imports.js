// Imports: stop a file over the size limit before it travels, show that an upload is on its way,
// and keep it from being sent twice.
(function () {
  "use strict";

  function setUp() {
    var form = document.querySelector("[data-import-upload]");
    if (!form) return;
    var button = form.querySelector("[data-busy-label]");
    if (!button) return;
    var idleLabel = button.textContent;
    var input = form.querySelector("input[type=file][data-max-bytes]");
    var tooBig = form.querySelector("[data-file-too-big]");
    form.addEventListener("submit", function (event) {
      // The server refuses it too, but only after the whole file has travelled.
      var file = input && input.files && input.files[0];
      var limit = input ? Number(input.getAttribute("data-max-bytes")) : 0;
      if (file && limit && file.size > limit && tooBig) {
        event.preventDefault();
        tooBig.textContent = "The file is " + (file.size / 1048576).toFixed(1) +
          " MB; the limit is " + Math.round(limit / 1048576) + " MB.";
        tooBig.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      button.setAttribute("aria-busy", "true");
      button.textContent = button.getAttribute("data-busy-label");
      // Disabled after this event so the browser still sends the form.
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
    // Coming back with the history buttons shows the page as it was left: make it usable again.
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = idleLabel;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
