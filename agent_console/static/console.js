/* Agent console: live regions over Socket.IO, actions over fetch() (one at a time per form).
 *
 * The server sends the regions rendered; an update carries only the regions that changed
 * since the version it names ("from"): one that does not follow this console's version
 * asks for a snapshot instead. Regions sent over the socket are the same for every console,
 * so they hold no CSRF token or action key: submit() adds them. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("console-config").textContent);
  var text = config.text;
  var statusBox = document.getElementById("console-status");
  var liveState = document.getElementById("live-state");
  var regions = ["hand", "queues", "desks"];
  var current = {};
  var revealed = {};   // ticket id -> number shown on request; memory only, cleared after a minute
  var serverOffset = 0;
  var idleTimer = null;
  var handle;

  function say(message, kind) {
    statusBox.textContent = "";
    var p = document.createElement("p");
    p.className = "message message-" + (kind || "ok");
    p.textContent = message;
    statusBox.appendChild(p);
  }

  function newKey() {
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var idleWarning = document.getElementById("idle-warning");
  var warnTimer = null;

  function armIdle() {
    if (idleTimer) { clearTimeout(idleTimer); }
    if (warnTimer) { clearTimeout(warnTimer); }
    idleWarning.hidden = true;
    // Past the session's idle limit the server has logged us out: show the login page.
    idleTimer = setTimeout(function () { window.location.assign(config.loginUrl); }, (config.idleSeconds + 5) * 1000);
    // A while before, say so and offer more time (RGAA 13.1).
    warnTimer = setTimeout(function () {
      idleWarning.hidden = false;
      document.getElementById("idle-stay").focus();
    }, Math.max(0, config.idleSeconds - config.warnSeconds) * 1000);
  }

  function stayConnected() {
    var token = document.querySelector("input[name=csrf_token]");
    var body = new FormData();
    body.append("csrf_token", token ? token.value : "");
    fetch(config.keepAlive, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { window.location.assign(config.loginUrl); return; }
      armIdle();
    }).catch(function () { say(text.failed, "error"); });
  }

  document.getElementById("idle-stay").addEventListener("click", stayConnected);

  function applyReveals() {
    Object.keys(revealed).forEach(function (id) {
      var el = document.getElementById("nir-" + id);
      if (el && !el.hasAttribute("data-masked")) { el.setAttribute("data-masked", el.textContent); }
      if (el) { el.textContent = revealed[id]; el.classList.add("nir-revealed"); }
    });
  }

  function hideAgain(id) {
    delete revealed[id];
    var el = document.getElementById("nir-" + id);
    if (el && el.hasAttribute("data-masked")) {
      el.textContent = el.getAttribute("data-masked");
      el.removeAttribute("data-masked");
      el.classList.remove("nir-revealed");
    }
  }

  function updateWaits() {
    var now = Date.now() + serverOffset;
    document.querySelectorAll("[data-arrived]").forEach(function (el) {
      var minutes = Math.max(0, Math.floor((now - Date.parse(el.getAttribute("data-arrived"))) / 60000));
      if (String(minutes) !== el.textContent) { el.textContent = String(minutes); }
    });
  }

  function readServerNow(now) {
    var box = document.querySelector("[data-server-now]");
    var value = now || (box && box.getAttribute("data-server-now"));
    if (value && !isNaN(Date.parse(value))) { serverOffset = Date.parse(value) - Date.now(); }
  }

  function swap(name, html) {
    if (current[name] === html) { return; }
    var region = document.getElementById("region-" + name);
    var active = document.activeElement;
    var focusId = active && region.contains(active) ? active.id : null;
    var openDetails = [];
    region.querySelectorAll("details[open] summary").forEach(function (s) {
      var li = s.closest("[id]"); if (li) { openDetails.push(li.id + "|" + s.textContent); }
    });
    region.innerHTML = html;
    current[name] = html;
    region.querySelectorAll("details summary").forEach(function (s) {
      var li = s.closest("[id]");
      if (li && openDetails.indexOf(li.id + "|" + s.textContent) >= 0) { s.parentNode.open = true; }
    });
    if (focusId) {
      var again = document.getElementById(focusId);
      if (again) { again.focus(); } else { region.querySelector("h2").setAttribute("tabindex", "-1"); region.querySelector("h2").focus(); }
    }
  }

  function applyRegions(message) {
    if (!message || !message.regions) { return; }
    regions.forEach(function (name) {
      if (typeof message.regions[name] === "string") { swap(name, message.regions[name]); }
    });
    document.body.setAttribute("data-version", String(message.v));
    readServerNow(message.now);
    applyReveals();
    updateWaits();
  }

  function setBusy(form, busy) {
    form.querySelectorAll("button").forEach(function (b) {
      b.disabled = busy;
      if (busy) { b.setAttribute("aria-busy", "true"); } else { b.removeAttribute("aria-busy"); }
    });
    if (busy) { form.setAttribute("data-pending", "1"); } else { form.removeAttribute("data-pending"); }
  }

  var pageToken = (document.querySelector("input[name=csrf_token]") || {}).value || "";

  // After an action, the desk and its visitor come into view (one column: they scroll away with the
  // queues; two columns: the panel is sticky and already there).
  function bringDeskIntoView() {
    var hand = document.getElementById("region-hand");
    if (!hand) { return; }
    var top = hand.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight / 2) { hand.scrollIntoView({ block: "start" }); }
  }

  function submit(form) {
    if (form.getAttribute("data-pending")) { return; }   // already sent: a second press does nothing
    var body = new FormData(form);
    if (!body.has("csrf_token")) { body.append("csrf_token", pageToken); }
    if (!body.has("key") && !form.classList.contains("js-reveal")) {
      // One key per intent: kept on the form until the answer, so a resend does the action once.
      if (!form.getAttribute("data-key")) { form.setAttribute("data-key", newKey()); }
      body.append("key", form.getAttribute("data-key"));
    }
    var before = handle.version();
    setBusy(form, true);
    armIdle();
    fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (answer) {
      var data = answer.data;
      if (answer.status === 401 && data.login) { window.location.assign(data.login); return; }
      if (data.nir && data.ticket) {
        revealed[data.ticket] = data.nir;
        setTimeout(function () { hideAgain(data.ticket); }, 60000);
        applyReveals();
      }
      say(data.message || text.failed, data.ok ? "ok" : "error");
      if (data.ok) { bringDeskIntoView(); }
    }).catch(function () {
      say(text.failed, "error");
    }).then(function () {
      var key = form.querySelector("input[name=key]");
      if (key) { key.value = newKey(); }
      form.removeAttribute("data-key");
      if (document.body.contains(form)) { setBusy(form, false); }
      // The change comes back as an update; if none came (socket down), ask.
      setTimeout(function () { if (handle.version() === before) { handle.resync(); } }, 2000);
    });
  }

  // Keyboard shortcuts of the frequent actions (shown on their buttons, announced by aria-keyshortcuts):
  // S call the next visitor, L the visitor is here, T done, A absent (opens its confirmation). Never
  // while typing in a field, never with a modifier (the browser's own shortcuts stay).
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented || !event.key) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    var hand = document.getElementById("region-hand");
    var control = hand && hand.querySelector("[data-shortcut='" + event.key.toLowerCase() + "']");
    if (!control || control.disabled) { return; }
    event.preventDefault();
    if (control.tagName === "SUMMARY") {
      control.parentNode.open = true;
      var confirm = control.parentNode.querySelector("button");
      if (confirm) { confirm.focus(); }
    } else {
      control.click();
    }
  });

  // A row's menu closes with Escape (focus back on its button) and when the agent presses elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var menu = event.target && event.target.closest && event.target.closest("details.menu[open]");
    if (menu) { menu.open = false; menu.querySelector("summary").focus(); }
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.open = false; }
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("js-action")) { return; }
    event.preventDefault();
    submit(form);
  });

  regions.forEach(function (name) { current[name] = document.getElementById("region-" + name).innerHTML; });
  readServerNow();
  armIdle();

  handle = window.Accueil.live({
    namespace: config.namespace,
    exact: true,
    onSnapshot: applyRegions,
    onEvent: applyRegions,
    onStatus: function (online) {
      liveState.setAttribute("data-state", online ? "online" : "offline");
      liveState.textContent = online ? text.online : text.offline;
    }
  });
  handle.socket.on("desk_taken", function (payload) {
    say((payload && payload.message) || text.deskTaken, "error");
  });
  handle.socket.on("logout", function () { window.location.assign(config.loginUrl); });
  handle.socket.on("connect_error", function (err) {
    if (err && err.message === "unauthorized") { window.location.assign(config.loginUrl); }
  });
  setInterval(updateWaits, 20000);
}());
