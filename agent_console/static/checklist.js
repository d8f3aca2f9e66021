/* « Pièces à fournir » at the desk: a document's phrase is asked for once the document is ticked (without this
 * script every phrase stays shown, and the form means the same). */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll(".checklist-choice"), function (row) {
    var box = row.querySelector("input[type=checkbox]");
    var parts = row.querySelectorAll(".phrase-label, select, .field-error");
    if (!box) { return; }
    function show() {
      var keep = box.checked || row.querySelector(".field-error") !== null;
      Array.prototype.forEach.call(parts, function (el) { el.hidden = !keep; });
    }
    box.addEventListener("change", show);
    show();
  });
}());
