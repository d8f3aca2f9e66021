/* A live page region (supervision, the day's appointments): on each event of the site (the /agent
 * namespace), fetch the region's fresh HTML from its fragment URL (debounced). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("live-region-config").textContent);
  var region = document.getElementById(config.region);
  var state = document.getElementById("live-state");
  var timer = null;
  function refresh() {
    timer = null;
    fetch(config.fragment, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) {
        if (r.redirected || r.status === 401) { window.location.reload(); throw new Error("signed out"); }
        if (!r.ok) { throw new Error(r.status); }
        return r.text();
      })
      .then(function (html) { region.innerHTML = html; })
      .catch(function () { /* the next event or reconnect tries again */ });
  }
  function later() { if (timer === null) { timer = setTimeout(refresh, 300); } }
  // "region": this page only needs to know that the site changed (not the console's regions).
  var socket = io(config.namespace, { transports: ["websocket", "polling"], auth: { page: "region" } });
  socket.on("connect", function () { state.dataset.state = "online"; state.textContent = config.text.online; later(); });
  socket.on("disconnect", function () { state.dataset.state = "offline"; state.textContent = config.text.offline; });
  socket.on("event", later);
  socket.on("snapshot", function () { /* the console's regions: not used here */ });
  if (config.every) { setInterval(later, config.every * 1000); } /* waits grow without any event */
}());
