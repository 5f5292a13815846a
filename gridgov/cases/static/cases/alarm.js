/* The workbench's urgent-case alarm (issue 8). Every few seconds it asks the server for the user's
   own new urgent alarms; a new one shows a red banner at the top of the page, refreshes the list
   (urgent cases lead it) and, if the user turned sound on, plays a short tone. Browsers only play
   sound after a gesture on the page, so sound is a choice made once with the "开启提醒声音"
   button and remembered in localStorage; if the browser still refuses, the banner says so and the
   tone plays on the next click. Static file: the Content-Security-Policy refuses inline script. */
(function () {
  "use strict";
  var SOUND_KEY = "gridgov.alarm.sound";
  var SEEN_KEY = "gridgov.alarm.seen";
  var SEEN_KEEP = 50;

  function stored(storage, key, fallback) {
    try { var value = storage.getItem(key); return value === null ? fallback : value; } catch (e) { return fallback; }
  }
  function store(storage, key, value) {
    try { storage.setItem(key, value); } catch (e) { /* private mode: the choice lasts for this page only */ }
  }

  function start() {
    var box = document.getElementById("urgent-alarm");
    if (!box || !window.fetch || !window.JSON) { return; }
    var url = box.getAttribute("data-url");
    var since = box.getAttribute("data-since");
    var interval = Math.max(parseFloat(box.getAttribute("data-interval")) || 15, 1) * 1000;
    var toggle = document.getElementById("alarm-sound");
    var audio = null;
    var soundOn = stored(window.localStorage, SOUND_KEY, "off") === "on";
    var pending = false;
    var failures = 0;
    var seen = [];
    try { seen = JSON.parse(stored(window.sessionStorage, SEEN_KEY, "[]")) || []; } catch (e) { seen = []; }

    function tone() {
      if (!audio) { audio = new Audio(box.getAttribute("data-sound")); audio.preload = "auto"; }
      return audio;
    }
    function hint(text) {
      var note = box.querySelector(".cs-alarm-hint");
      if (!text) { if (note) { note.remove(); } return; }
      if (!note) { note = document.createElement("div"); note.className = "cs-alarm-hint"; box.appendChild(note); }
      note.textContent = text;
    }
    function play() {
      if (!soundOn) { return; }
      var sound = tone();
      sound.currentTime = 0;
      var started = sound.play();
      if (started && started.catch) {
        started.then(function () { pending = false; hint(""); }).catch(function () {
          pending = true;
          hint("浏览器暂未允许播放提醒声音，点击页面任意处即可播放。");
        });
      }
    }
    document.addEventListener("pointerdown", function () { if (pending) { play(); } }, true);
    document.addEventListener("keydown", function () { if (pending) { play(); } }, true);

    function showToggle() {
      if (!toggle) { return; }
      toggle.hidden = false;
      toggle.setAttribute("aria-pressed", soundOn ? "true" : "false");
      toggle.textContent = soundOn ? "提醒声音：已开启" : "开启提醒声音";
      toggle.title = soundOn ? "点击关闭紧急事件提醒声音" : "有紧急事件时播放提醒声音";
    }
    if (toggle) {
      toggle.addEventListener("click", function () {
        soundOn = !soundOn;
        store(window.localStorage, SOUND_KEY, soundOn ? "on" : "off");
        showToggle();
        if (soundOn) { play(); } /* the click is the gesture: a sample now, and sound is allowed from here on */
        else { pending = false; hint(""); }
      });
      showToggle();
    }

    function remember(id) {
      seen.push(id);
      if (seen.length > SEEN_KEEP) { seen = seen.slice(-SEEN_KEEP); }
      store(window.sessionStorage, SEEN_KEY, JSON.stringify(seen));
    }
    function render(item) {
      var row = document.createElement("div");
      row.className = "cs-alarm-item";
      row.setAttribute("data-alarm-id", String(item.id));
      var title = document.createElement("b");
      title.textContent = item.title;
      var body = document.createElement("span");
      body.className = "cs-alarm-body";
      body.textContent = item.body;
      var at = document.createElement("span");
      at.className = "cs-alarm-at";
      at.textContent = item.at;
      var open = document.createElement("a");
      open.className = "cs-alarm-open";
      open.href = item.url;
      open.textContent = "查看";
      var close = document.createElement("button");
      close.type = "button";
      close.className = "cs-alarm-close";
      close.textContent = "知道了";
      close.setAttribute("aria-label", "关闭这条紧急提醒");
      close.addEventListener("click", function () {
        row.remove();
        if (!box.querySelector(".cs-alarm-item")) { box.hidden = true; hint(""); }
      });
      row.appendChild(title); row.appendChild(body); row.appendChild(at); row.appendChild(open); row.appendChild(close);
      return row;
    }
    function refresh() {
      if (!window.htmx) { return; }
      /* Urgent cases lead the list: show this one where it now belongs, with the tab counts; only
         the list when the user is typing in the filters, so their words are not swapped away. */
      var panel = document.getElementById("wb-panel");
      var focused = document.activeElement;
      var typing = panel && focused && panel.contains(focused) && /^(INPUT|TEXTAREA|SELECT)$/.test(focused.tagName);
      var target = panel && !typing ? "#wb-panel" : (document.getElementById("wb-list") ? "#wb-list" : "");
      if (target) { window.htmx.ajax("GET", window.location.href, { target: target, swap: "innerHTML" }); }
      /* The top bar's unread count follows (notifications/_badge.html listens for this). */
      window.htmx.trigger(document.body, "notifications-changed");
    }
    function receive(data) {
      if (data.now) { since = data.now; }
      var fresh = (data.items || []).filter(function (item) { return seen.indexOf(item.id) < 0; });
      if (!fresh.length) { return; }
      fresh.reverse().forEach(function (item) {
        remember(item.id);
        box.insertBefore(render(item), box.firstChild);
      });
      box.hidden = false;
      play();
      refresh();
    }
    function poll() {
      fetch(url + "?since=" + encodeURIComponent(since), {
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        redirect: "error"
      }).then(function (response) {
        if (response.status === 401 || response.status === 403) { throw new Error("stop"); }
        if (!response.ok) { throw new Error("retry"); }
        return response.json();
      }).then(function (data) {
        failures = 0;
        receive(data);
        window.setTimeout(poll, interval);
      }).catch(function (error) {
        /* Signed out (the login redirect is refused above) or no longer allowed: stop asking. */
        if (error && error.message === "stop") { return; }
        failures += 1;
        window.setTimeout(poll, interval * Math.min(failures + 1, 8));
      });
    }
    window.setTimeout(poll, interval);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
