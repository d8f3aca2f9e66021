/* « Imprimer avec le navigateur »: the browser's print dialog, laid out for 80 mm rolls (console.css, @media print). */
(function () {
  "use strict";
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
}());
