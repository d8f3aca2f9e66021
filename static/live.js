/* Live state over Socket.IO for every screen: snapshot on (re)connect, versioned events,
 * a new snapshot when a version is skipped, a periodic check, an offline signal.
 *
 *   Accueil.live({namespace: "/display", auth: () => ({site: "chaumont"}),
 *                 onSnapshot: (s) => …, onEvent: (e) => …, onStatus: (online) => …});
 */
(function () {
  "use strict";
  var CHECK_EVERY_MS = 15000;   // ask for a snapshot this often, as a safety net
  var ANSWER_WITHIN_MS = 5000;  // no answer within this: the screen says it is offline

  function live(options) {
    var version = -1;
    var online = false;
    var socket = io(options.namespace, {
      transports: ["websocket", "polling"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 2000,
      timeout: 5000,
      auth: function (cb) { cb(options.auth ? options.auth() : {}); }
    });

    function setOnline(value) {
      if (value !== online) {
        online = value;
        if (options.onStatus) { options.onStatus(value); }
      }
    }

    function applySnapshot(snapshot) {
      if (!snapshot || typeof snapshot.v !== "number") { return; }
      version = snapshot.v;
      setOnline(true);
      options.onSnapshot(snapshot);
    }

    function resync() {
      socket.timeout(ANSWER_WITHIN_MS).emit("snapshot", null, function (err, snapshot) {
        if (err) { setOnline(false); return; }
        applySnapshot(snapshot);
      });
    }

    socket.on("snapshot", applySnapshot);
    socket.on("event", function (event) {
      if (typeof event.v !== "number" || event.v <= version) { return; }  // seen, or from before the snapshot
      if (event.v !== version + 1 && version >= 0) { resync(); return; }  // a gap: start again from a snapshot
      version = event.v;
      if (options.onEvent) { options.onEvent(event); }
    });
    socket.on("connect", function () { setOnline(true); });
    socket.on("disconnect", function () { setOnline(false); });
    socket.on("connect_error", function () { setOnline(false); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && socket.connected) { resync(); }
    });
    setInterval(function () {
      if (socket.connected) { resync(); } else { setOnline(false); }
    }, CHECK_EVERY_MS);
    return { socket: socket, resync: resync, version: function () { return version; } };
  }

  window.Accueil = window.Accueil || {};
  window.Accueil.live = live;
}());
