/* Check-in form: focus the list of errors, and never send the form twice (double tap). */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  var form = document.getElementById("checkin-form");
  if (!form) { return; }
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
