/* The visitor's ticket, live: position and wait, then « C'est votre tour » with a vibration
 * and a short sound (built here with Web Audio: no sound file, no third-party asset). */
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !window.Accueil || !window.Accueil.live) { return; }
  var texts = JSON.parse(root.getAttribute("data-texts"));
  var publicId = root.getAttribute("data-ticket");
  var shown = root.getAttribute("data-status");
  var round = null;         // the call this page has seen (1, then 2 after a recall: a new one alerts again)
  var connection = document.getElementById("connection");
  var audio = null;

  function $(id) { return document.getElementById(id); }
  function setText(id, text) { var el = $(id); if (el && el.textContent !== text) { el.textContent = text; } }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, k) { return values[k] === undefined ? "" : String(values[k]); });
  }

  // Phones only play sound after a touch: prepare the audio on the first one.
  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    if (!audio) { try { audio = new Ctx(); } catch (e) { audio = null; return; } }
    if (audio.state === "suspended") { audio.resume(); }
  }
  ["touchstart", "click", "keydown"].forEach(function (name) {
    document.addEventListener(name, unlockAudio, { passive: true });
  });

  function chime() {
    unlockAudio();
    if (!audio) { return; }
    var t = audio.currentTime + 0.05;
    [880, 660, 880].forEach(function (freq, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + i * 0.35);
      gain.gain.exponentialRampToValueAtTime(0.5, t + i * 0.35 + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.35 + 0.3);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + i * 0.35);
      osc.stop(t + i * 0.35 + 0.32);
    });
  }

  function alertVisitor() {
    if (navigator.vibrate) { try { navigator.vibrate([400, 200, 400, 200, 400]); } catch (e) { /* not allowed */ } }
    chime();
    document.body.setAttribute("data-alerted", String(Number(document.body.getAttribute("data-alerted") || 0) + 1));
  }

  // « Papiers à fournir »: the list an agent gave, its link shown at once (the address's form comes from the page).
  function showDocuments(secret) {
    var box = $("documents-box"), link = $("documents-link");
    if (!box || !link) { return; }
    if (secret) { link.setAttribute("href", box.getAttribute("data-href").replace("SECRET", encodeURIComponent(secret))); }
    box.hidden = !secret;
  }

  function render(state) {
    if (!state || !state.status) { return; }
    if (["waiting", "called", "serving"].indexOf(state.status) < 0) {
      window.location.reload();  // finished, absent, cancelled or erased: the server writes that page
      return;
    }
    // The server says which phrase each line shows (accueil/audiences.says); the page puts the numbers in.
    var says = state.says || {}, est = state.estimate || {};
    var numbers = { n: state.ahead, low: est.low, high: est.high, desk: state.desk || "" };
    function spell(line) { return says[line] ? fill(texts[says[line]], numbers) : ""; }
    if (typeof state.ahead === "number") {
      setText("ahead", spell("ahead"));
      setText("estimate", spell("estimate"));
    }
    var where = $("where");
    if (where && state.place) { setText("where", where.getAttribute("data-" + (state.place === "zone" ? "zone" : "desks"))); }
    setText("called-desk", state.desk || "");
    setText("called-directions", state.directions || "");
    $("called-directions").hidden = !state.directions;
    var roundText = says.round ? fill(texts.round, { n: state.round }) : "";
    setText("called-round", roundText);
    $("called-round").hidden = !roundText;
    setText("serving-desk", fill(texts.serving, numbers));
    $("waiting-block").hidden = state.status !== "waiting";
    $("called-block").hidden = state.status !== "called";
    $("serving-block").hidden = state.status !== "serving";
    document.body.classList.toggle("turn", state.status === "called");
    var title = root.getAttribute(state.status === "called" ? "data-title-turn" : "data-title");
    if (title && document.title !== title) { document.title = title; }
    var recalled = round !== null && typeof state.round === "number" && state.round > round;
    if (state.status === "called" && (shown !== "called" || recalled)) {
      alertVisitor();
    }
    if (typeof state.round === "number") { round = state.round; }
    showDocuments(state.documents);
    shown = state.status;
    root.setAttribute("data-status", shown);
  }

  // « Garder l'écran allumé »: the Screen Wake Lock API, asked for by the visitor only; the
  // browser lets it go when the page is hidden, so it is asked again when the page comes back.
  var wakeBox = $("wake-box"), wakeButton = $("wake"), lock = null, wanted = false;
  function showWake(refused) {
    wakeButton.setAttribute("aria-pressed", String(Boolean(lock)));
    setText("wake-state", lock ? texts.wake_on : (refused ? texts.wake_none : texts.wake_off));
  }
  function takeWake() {
    navigator.wakeLock.request("screen").then(function (l) {
      lock = l;
      l.addEventListener("release", function () { lock = null; showWake(false); });
      showWake(false);
    }).catch(function () { lock = null; wanted = false; showWake(true); });
  }
  if (wakeBox && "wakeLock" in navigator) {
    wakeBox.hidden = false;
    wakeButton.addEventListener("click", function () {
      wanted = !lock;
      if (lock) { lock.release(); lock = null; showWake(false); } else { takeWake(); }
    });
    document.addEventListener("visibilitychange", function () {
      if (wanted && !lock && document.visibilityState === "visible") { takeWake(); }
    });
  }

  // « Me prévenir même si mon téléphone est en veille »: Web Push, asked for by the visitor only.
  var pushBox = $("push-box");
  function pushState(text) { setText("push-state", text); }
  function b64ToBytes(b64) {
    var raw = atob(b64.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  if (pushBox && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window) {
    pushBox.hidden = false;
    $("push").addEventListener("click", function () {
      var button = $("push");
      button.disabled = true;
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") { throw new Error("denied"); }
        return navigator.serviceWorker.register(pushBox.getAttribute("data-sw"));
      }).then(function () {
        return navigator.serviceWorker.ready;
      }).then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: b64ToBytes(pushBox.getAttribute("data-key"))
        });
      }).then(function (subscription) {
        var token = document.querySelector("input[name=csrf_token]");
        return fetch(pushBox.getAttribute("data-url"), {
          method: "POST", credentials: "same-origin", body: JSON.stringify(subscription),
          headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" }
        });
      }).then(function (response) {
        return response.json().then(function (body) {
          pushState(body.message || "");
          if (!response.ok) { button.disabled = false; }
        });
      }).catch(function (err) {
        button.disabled = false;
        pushState(err && err.message === "denied" ? texts.push_denied : texts.push_failed);
      });
    });
  }

  window.Accueil.live({
    namespace: "/ticket",
    auth: function () { return { ticket: publicId }; },
    onSnapshot: render,
    onEvent: render,
    onStatus: function (online) {
      if (!connection) { return; }
      connection.textContent = online ? texts.online : texts.offline;
      connection.className = online ? "connection" : "connection offline";
    }
  });
}());
