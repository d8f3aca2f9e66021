/* Visitor forms (check-in, typed code): focus the list of errors; the check-in form is never sent twice. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  var form = document.getElementById("checkin-form");
  if (!form) { return; }
  // 2A / 2B (Corsica) on a number keyboard: each key types its letters where the caret is.
  var nir = document.getElementById("nir");
  var corsica = document.getElementById("nir-corsica");
  if (nir && corsica) {
    corsica.hidden = false;
    Array.prototype.forEach.call(corsica.querySelectorAll("[data-insert]"), function (key) {
      key.addEventListener("click", function () {
        nir.setRangeText(key.getAttribute("data-insert"), nir.selectionStart, nir.selectionEnd, "end");
        nir.focus();
      });
    });
  }
  var sent = false;
  form.addEventListener("submit", function (event) {
    if (sent) { event.preventDefault(); return; }
    sent = true;
    // Disable after the browser has captured the pressed button's name and value.
    setTimeout(function () {
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
    }, 0);
  });
  // Coming back with the back button: the page may be restored as it was; allow sending again.
  window.addEventListener("pageshow", function () {
    sent = false;
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = false; });
  });
}());
