/* Live state over Socket.IO for every screen: snapshot on (re)connect, versioned updates,
 * a new snapshot when one was missed, a periodic check, an offline signal.
 *
 *   Accueil.live({namespace: "/display", auth: () => ({site: "chaumont"}),
 *                 onSnapshot: (s) => …, onEvent: (e, fresh) => …, onStatus: (online) => …});
 *
 * Every snapshot and update carries the site's version "v". An update newer than what the
 * screen has is applied; one that says it follows ("from") a version the screen has not seen
 * means something was missed: the screen asks for a snapshot. Options:
 *   exact: apply an update only on top of the very version it follows (the console's
 *          updates hold only the regions that changed);
 *   stale: also hand older updates to onEvent(e, false) (the display still announces a call
 *          that arrived late).
 * A snapshot older than what the screen has is ignored, except the first after a (re)connection.
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
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
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
      if (snapshot.v < version) { return; }  // an answer overtaken by a newer update
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
      if (!event || typeof event.v !== "number") { return; }
      var fresh = event.v > version;
      var hasFrom = typeof event.from === "number" && version >= 0;
      if (options.exact) {
        if (!fresh) { return; }
        if (hasFrom && event.from !== version) { resync(); return; }
        version = event.v;
        options.onEvent(event, true);
        return;
      }
      var gap = hasFrom && event.from > version;
      if (fresh) { version = event.v; }
      if ((fresh || options.stale) && options.onEvent) { options.onEvent(event, fresh); }
      if (gap) { resync(); }
    });
    socket.on("connect", function () { setOnline(true); });
    // The next connection's snapshot is taken whatever its version (the server may have restarted afresh).
    socket.on("disconnect", function () { version = -1; setOnline(false); });
    socket.on("connect_error", function () { setOnline(false); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && socket.connected) { resync(); }
    });
    setInterval(function () {
      if (socket.connected) { resync(); } else { setOnline(false); }
    }, options.checkEveryMs || CHECK_EVERY_MS);
    return { socket: socket, resync: resync, version: function () { return version; } };
  }

  window.Accueil = window.Accueil || {};
  window.Accueil.live = live;
}());
