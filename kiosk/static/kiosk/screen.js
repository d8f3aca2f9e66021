/* The kiosk's QR code: a new image every rotation, a message when it cannot be shown. */
(function () {
  "use strict";
  var box = document.getElementById("kiosk-qr");
  if (!box) { return; }
  var img = document.getElementById("qr-image");
  var offline = document.getElementById("kiosk-offline");
  var every = Math.max(10, parseInt(box.getAttribute("data-rotation"), 10) || 30) * 1000;
  var src = box.getAttribute("data-src");
  var codeSrc = box.getAttribute("data-code");
  var shortCode = document.getElementById("short-code");
  var shortBox = document.getElementById("kiosk-short");

  // The four digits typed by phones that cannot scan: they rotate with the QR code.
  function refreshCode() {
    fetch(codeSrc + "?t=" + Date.now(), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (body) { shortCode.textContent = body.code; shortBox.hidden = false; })
      .catch(function () { shortBox.hidden = true; });
  }

  function refresh() {
    var next = new Image();
    next.onload = function () { img.src = next.src; img.hidden = false; offline.hidden = true; };
    next.onerror = function () {
      // Offline, or this device was revoked: hide the old code (it will expire) and say so.
      img.hidden = true; offline.hidden = false;
    };
    next.src = src + "?t=" + Date.now();
    refreshCode();
  }
  // Align on the rotation so that the code shown is always the newest.
  setTimeout(function () { refresh(); setInterval(refresh, every); }, every - (Date.now() % every) + 500);
}());
