/* Waiting-room screen: live calls shown, flashed and announced (chime, then a French voice).
 *
 * Announcements go through one FIFO queue: never two at once, a recall is announced
 * again (it is a new call, with its own key), and a call is announced at most once:
 * the keys already announced are remembered, and snapshots (first load, reconnect,
 * resync) only ever mark their calls as announced, never announce them.
 * Everything is bounded: the list of calls, the pending queue, the remembered keys.
 * Tests read the queue with window.AccueilDisplay.queue().
 */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("display-config").textContent);
  var T = config.texts;
  var SOUND_KEY = "accueil.display.sound";  // "on" once someone activated the sound here
  var HOLD_MS = 3000;       // one announcement holds the screen this long at least (3 flashes, 1 a second)
  var GAP_MS = 400;         // silence between two announcements
  var SPEECH_GUARD_MS = 12000;
  var MAX_PENDING = 8;      // a backlog longer than this is stale: the oldest are dropped
  var MAX_SPOKEN = 20;
  var MAX_KEYS = 300;

  var board = document.querySelector(".board");
  var nowEl = document.getElementById("now");
  var historyEl = document.getElementById("history");
  var waitingEl = document.getElementById("waiting");
  var offlineEl = document.getElementById("offline");
  var soundStatusEl = document.getElementById("sound-status");
  var soundButton = document.getElementById("sound-on");
  var clockEl = document.getElementById("clock");

  var calls = [];           // newest first, at most config.lastCalls
  var pending = [];
  var current = null;
  var spoken = [];
  var announced = new Set();
  var announcedOrder = [];
  var audio = null;
  var voice = null;
  var soundState = "pending";  // pending (being tried) | off | on | novoice | blocked
  var clockOffset = 0;
  var clockFormat = null;
  var messages = [];        // the site's screen messages, shown in turn while nobody is called
  var idleAfter = 120;      // seconds after the last call (the snapshot says)
  var shownMessage = -1;    // the message on screen, -1 while a call is
  var ROTATE_MS = 12000;
  var nowTitleEl = document.getElementById("now-title");

  // --- rendering ------------------------------------------------------------------------
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function idle() {
    if (messages.length === 0 || current || pending.length) { return false; }
    if (calls.length === 0) { return true; }
    return Date.now() + clockOffset - Date.parse(calls[0].at) > idleAfter * 1000;
  }

  function renderMessage(message) {
    var words = el("p", "message-text", message.text);
    words.setAttribute("dir", "auto");  // written by the office, in its language, whatever the screen's
    var parts = [words];
    nowEl.classList.toggle("has-qr", Boolean(message.link));
    if (message.link) {
      var figure = el("figure", "message-link");
      var img = el("img", "message-qr");
      img.src = config.qr.replace("{id}", String(message.id));
      img.alt = "";
      figure.append(img, el("figcaption", null, T.scan));
      figure.append(el("p", "message-address", message.link.replace(/^https?:\/\//, "")));
      parts.push(figure);
    }
    nowEl.replaceChildren.apply(nowEl, parts);
    nowTitleEl.textContent = T.info;
    board.setAttribute("data-idle", "true");
  }

  // Every second: while nobody has been called for a while, the messages take the call's place in turn.
  var rotatedAt = 0;
  function idleTick() {
    if (!idle()) {
      if (shownMessage !== -1) { shownMessage = -1; renderNow(); renderHistory(); }
      return;
    }
    var t = performance.now();
    if (shownMessage === -1 || t - rotatedAt >= ROTATE_MS || shownMessage >= messages.length) {
      shownMessage = (shownMessage + 1) % messages.length;
      rotatedAt = t;
      renderMessage(messages[shownMessage]);
      renderHistory();
    }
  }
  setInterval(idleTick, 1000);

  function renderNow() {
    nowTitleEl.textContent = T.now;
    nowEl.classList.remove("has-qr");
    board.removeAttribute("data-idle");
    var call = calls[0];
    if (!call) {
      nowEl.replaceChildren(el("p", "now-empty", T.none));
      return;
    }
    var code = el("p", "now-code", call.code);
    var place = el("p", "now-place");
    var arrow = el("span", "now-arrow", "→");
    arrow.setAttribute("aria-hidden", "true");
    place.append(arrow, document.createTextNode(call.place));
    var parts = [code, place];
    if (call.kind === "recalled") { parts.push(el("p", "now-kind", T.recalled)); }
    nowEl.replaceChildren.apply(nowEl, parts);
  }

  function renderHistory() {
    // Four rows, each whole: the calls before the one in progress (all of them while messages show).
    var start = shownMessage === -1 ? 1 : 0;
    historyEl.replaceChildren.apply(historyEl, calls.slice(start, start + 4).map(function (call) {
      var li = el("li");
      var arrow = el("span", "history-arrow", "→");
      arrow.setAttribute("aria-hidden", "true");
      var place = el("span", "history-place");
      place.append(arrow, document.createTextNode(call.place));
      li.append(el("span", "history-code", call.code), document.createTextNode(" "),
                el("span", "history-time", call.time + (call.kind === "recalled" ? " · " + T.recalled : "")),
                document.createTextNode(" "), place);
      return li;
    }));
  }

  function renderWaiting(queues) {
    if (!Array.isArray(queues)) { return; }
    waitingEl.replaceChildren.apply(waitingEl, queues.map(function (q) {
      var li = el("li");
      var letter = el("span", "waiting-letter", q.letter);
      letter.setAttribute("aria-hidden", "true");
      var words = (q.count === 1 ? T.waitingOne : T.waitingMany).replace("{count}", String(q.count));
      var name = el("bdi", null, q.name);
      li.append(letter, name, document.createTextNode(" : " + words));
      return li;
    }));
  }

  function flash() {
    nowEl.classList.remove("flash");
    void nowEl.offsetWidth;  // restart the animation
    nowEl.classList.add("flash");
  }
  nowEl.addEventListener("animationend", function () { nowEl.classList.remove("flash"); });

  // --- the announcement queue -----------------------------------------------------------
  function remember(key) {
    if (announced.has(key)) { return; }
    announced.add(key);
    announcedOrder.push(key);
    while (announcedOrder.length > MAX_KEYS) { announced.delete(announcedOrder.shift()); }
  }

  function spell(code) { return String(code).split("").join(" "); }

  function sentence(call) {
    return T.say.replace("{code}", spell(call.code)).replace("{place}", call.place);
  }

  function announce(call) {
    if (announced.has(call.key)) { return; }
    remember(call.key);
    pending.push({ key: call.key, code: call.code, place: call.place, kind: call.kind, text: sentence(call) });
    while (pending.length > MAX_PENDING) { pending.shift(); }
    pump();
  }

  function pump() {
    if (current || pending.length === 0) { return; }
    current = pending.shift();
    current.started = performance.now();
    current.sound = soundState;
    flash();
    var held = false, played = false, item = current;
    function maybeEnd() {
      if (!held || !played || current !== item) { return; }
      item.ended = performance.now();
      spoken.push(item);
      while (spoken.length > MAX_SPOKEN) { spoken.shift(); }
      current = null;
      setTimeout(pump, GAP_MS);
    }
    setTimeout(function () { held = true; maybeEnd(); }, HOLD_MS);
    play(item, function () { played = true; maybeEnd(); });
  }

  // --- sound: a generated chime, then the browser's own voice (no online service) ---------
  function chime(done) {
    var t = audio.currentTime + 0.05;
    [[659.25, 0], [880, 0.4]].forEach(function (tone) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, t + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.5, t + tone[1] + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + tone[1] + 0.7);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(t + tone[1]);
      osc.stop(t + tone[1] + 0.75);
    });
    setTimeout(done, 1300);
  }

  function speak(text, done) {
    if (!voice || !("speechSynthesis" in window)) { done(); return; }
    var over = false;
    var guard = setTimeout(function () { window.speechSynthesis.cancel(); finish(); }, SPEECH_GUARD_MS);
    function finish() { if (!over) { over = true; clearTimeout(guard); done(); } }
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.voice = voice;
    utterance.lang = voice.lang;
    utterance.rate = 0.9;
    utterance.onend = finish;
    utterance.onerror = finish;
    window.speechSynthesis.speak(utterance);
  }

  function play(item, done) {
    if (!audio || (soundState !== "on" && soundState !== "novoice")) { done(); return; }
    chime(function () { speak(item.text, done); });
  }

  function pickVoice() {
    if (!("speechSynthesis" in window)) { return null; }
    var voices = window.speechSynthesis.getVoices() || [];
    var lang = (document.documentElement.lang || "fr").toLowerCase();
    function byLang(prefix) {
      return voices.filter(function (v) { return (v.lang || "").toLowerCase().indexOf(prefix) === 0; })[0];
    }
    return byLang(lang) || byLang("fr") || null;
  }

  // The sound's controls show only until it works: a public screen says nothing of its sound once it plays.
  // « Pas de voix » stays 30 seconds, for whoever installs the screen.
  var noVoiceTimer = null;
  function setSound(state) {
    soundState = state;
    board.setAttribute("data-sound", state);
    soundStatusEl.textContent = { on: T.soundOn, novoice: T.noVoice, blocked: T.soundBlocked, off: T.soundOff }[state];
    soundButton.hidden = state === "on" || state === "novoice";
    soundStatusEl.hidden = state === "on";
    clearTimeout(noVoiceTimer);
    if (state === "novoice") { noVoiceTimer = setTimeout(function () { soundStatusEl.hidden = true; }, 30000); }
  }

  function unlock(byGesture) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    } catch (e) {
      setSound("blocked");
      return;
    }
    function check() {
      if (audio.state === "running") {
        if (byGesture) {
          localStorage.setItem(SOUND_KEY, "on");
          if ("speechSynthesis" in window) { window.speechSynthesis.speak(new SpeechSynthesisUtterance("")); }
        }
        voice = pickVoice();
        setSound(voice ? "on" : "novoice");
      } else {
        // Never switched on here: the button asks for it. Switched on before (a restart): a touch brings it back.
        setSound(byGesture || localStorage.getItem(SOUND_KEY) === "on" ? "blocked" : "off");
      }
    }
    if (audio.state === "running") { check(); return; }
    var answered = false;
    audio.resume().then(function () { answered = true; check(); }, function () { answered = true; check(); });
    setTimeout(function () { if (!answered) { check(); } }, 500);
  }

  soundButton.addEventListener("click", function () { unlock(true); });
  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(type, function () { if (soundState === "blocked") { unlock(true); } });
  });
  if ("speechSynthesis" in window) {
    window.speechSynthesis.addEventListener("voiceschanged", function () {
      if (soundState === "on" || soundState === "novoice") { voice = pickVoice(); setSound(voice ? "on" : "novoice"); }
    });
  }
  // A kiosk browser that lets pages play sound (Chromium's --autoplay-policy=no-user-gesture-required, the
  // deployment guide) needs no press at all: the sound is tried at once, on every start.
  unlock(false);

  // --- the clock: the server's time, in the site's zone (TV sticks' clocks drift) ---------
  function tick() {
    if (!clockFormat) { return; }
    var text = clockFormat.format(new Date(Date.now() + clockOffset));
    if (clockEl.textContent !== text) { clockEl.textContent = text; }
  }

  function setClock(snapshot) {
    var server = Date.parse(snapshot.now);
    if (!isNaN(server)) { clockOffset = server - Date.now(); }
    try {
      clockFormat = new Intl.DateTimeFormat(document.documentElement.lang || "fr",
        { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: snapshot.tz });
    } catch (e) {
      clockFormat = new Intl.DateTimeFormat("fr", { hour: "2-digit", minute: "2-digit" });
    }
    tick();
  }
  setInterval(tick, 1000);

  // --- live state -------------------------------------------------------------------------
  function onSnapshot(snapshot) {
    messages = Array.isArray(snapshot.messages) ? snapshot.messages : [];
    if (typeof snapshot.idle_after === "number") { idleAfter = snapshot.idle_after; }
    if (typeof snapshot.message_seconds === "number") { ROTATE_MS = snapshot.message_seconds * 1000; }
    shownMessage = -1;
    calls = (snapshot.calls || []).slice(0, config.lastCalls);
    calls.forEach(function (call) { remember(call.key); });  // shown, never announced
    renderNow();
    renderHistory();
    renderWaiting(snapshot.waiting);
    setClock(snapshot);
    board.setAttribute("data-state", "live");
    idleTick();
  }

  function versionOf(call) { return Number(String(call.key).split(":").pop()) || 0; }

  function onEvent(event, fresh) {
    if (fresh) { renderWaiting(event.waiting); }
    var added = false;
    (event.calls || []).forEach(function (call) {
      if (announced.has(call.key)) { return; }
      calls = [call].concat(calls.filter(function (c) { return c.key !== call.key; }));
      added = true;
      announce(call);
    });
    if (!added) { return; }
    shownMessage = -1;  // a call takes the screen at once
    // Newest first, even when a call arrives late (another server's event overtaken by a newer one).
    calls.sort(function (a, b) { return versionOf(b) - versionOf(a); });
    calls = calls.slice(0, config.lastCalls);
    renderNow();
    renderHistory();
  }

  function onStatus(online) {
    offlineEl.hidden = online;
    board.setAttribute("data-state", online ? "live" : "offline");
  }

  var live = window.Accueil.live({
    namespace: "/display",
    auth: function () { return { site: config.site }; },
    stale: true,
    onSnapshot: onSnapshot,
    onEvent: onEvent,
    onStatus: onStatus
  });

  function copy(item) {
    return item && { key: item.key, code: item.code, place: item.place, kind: item.kind, text: item.text,
                     started: item.started, ended: item.ended, sound: item.sound };
  }

  window.AccueilDisplay = {
    queue: function () {
      return { pending: pending.map(copy), current: copy(current), spoken: spoken.map(copy),
               announcedKeys: announcedOrder.length };
    },
    calls: function () { return calls.map(function (c) { return c.key; }); },
    message: function () { return shownMessage === -1 ? null : messages[shownMessage]; },
    version: function () { return live.version(); },
    sound: function () { return soundState; },
    live: live
  };
}());
