/* The visitor's list of documents: the boxes they tick stay on this phone (localStorage, never sent), the page and
 * what it needs are kept for offline reading (a service worker serves them when the network is gone), and it prints. */
(function () {
  "use strict";
  var script = document.currentScript;
  var list = document.getElementById("documents");
  if (!list) { return; }
  var key = "accueil-documents-" + list.getAttribute("data-list");

  function load() {
    try { return JSON.parse(window.localStorage.getItem(key) || "{}"); } catch (e) { return {}; }
  }
  var ticked = load();
  Array.prototype.forEach.call(list.querySelectorAll("input[type=checkbox]"), function (box) {
    box.checked = !!ticked[box.getAttribute("data-document")];
    box.addEventListener("change", function () {
      ticked[box.getAttribute("data-document")] = box.checked;
      try { window.localStorage.setItem(key, JSON.stringify(ticked)); } catch (e) { /* private mode: nothing kept */ }
    });
  });

  var print = document.getElementById("print");
  if (print && window.print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
    if (script.getAttribute("data-print") === "1") { window.print(); }
  }

  // Offline: the worker answers from the cache when the network fails; the page puts itself and its files there.
  if (!("serviceWorker" in navigator) || !window.caches) { return; }
  var files = [window.location.pathname];
  Array.prototype.forEach.call(document.querySelectorAll("link[rel=stylesheet], script[src], img[src]"), function (el) {
    files.push(el.getAttribute("href") || el.getAttribute("src"));
  });
  navigator.serviceWorker.register(script.getAttribute("data-worker"), { scope: "/pieces/" }).then(function () {
    return window.caches.open("accueil-documents-v1");
  }).then(function (cache) {
    return cache.addAll(files);
  }).then(function () {
    document.getElementById("offline-state").textContent = script.getAttribute("data-offline");
    document.body.setAttribute("data-offline-ready", "1");
  }).catch(function () { /* no offline copy: the page still works online */ });
})();
