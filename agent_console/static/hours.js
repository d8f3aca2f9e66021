/* The hours form: a day marked « Fermé » or « Comme lundi » greys its own times (the server reads the boxes
 * first, so without this script the form means the same). */
(function () {
  "use strict";
  function update(day) {
    var closed = day.querySelector(".js-closed");
    var same = day.querySelector(".js-same");
    var off = (closed && closed.checked) || (same && same.checked);
    if (same) { same.disabled = closed.checked; }
    day.querySelectorAll(".period input").forEach(function (input) { input.disabled = off; });
    day.classList.toggle("day-off", off);
  }
  document.querySelectorAll(".hours-form fieldset.day").forEach(function (day) {
    update(day);
    day.addEventListener("change", function () { update(day); });
  });
  // Disabled fields are not sent: enable them just before sending, the boxes say what they mean.
  document.querySelectorAll(".hours-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input:disabled").forEach(function (input) { input.disabled = false; });
    });
  });
}());
