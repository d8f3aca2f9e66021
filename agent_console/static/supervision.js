/* Supervision page: on each event of the site (the /agent namespace), fetch the fresh fragment (debounced). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("supervision-config").textContent);
  var region = document.getElementById("supervision-region");
  var state = document.getElementById("live-state");
  var timer = null;
  function refresh() {
    timer = null;
    fetch(config.fragment, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) { region.innerHTML = html; })
      .catch(function () { /* the next event or reconnect tries again */ });
  }
  function later() { if (timer === null) { timer = setTimeout(refresh, 300); } }
  var socket = io(config.namespace, { transports: ["websocket", "polling"] });
  socket.on("connect", function () { state.dataset.state = "online"; state.textContent = config.text.online; later(); });
  socket.on("disconnect", function () { state.dataset.state = "offline"; state.textContent = config.text.offline; });
  socket.on("event", later);
  socket.on("refresh", later);
  socket.on("snapshot", function () { /* the console's regions: not used here */ });
  setInterval(later, 30000); /* waits grow and devices fall silent without any event */
}());
