/* Ticking households off on the phone. Every tick gets a client key and goes into a queue in
   localStorage first; the queue is sent now, or when the signal comes back ("online"), and the
   server ignores a key it has already taken, so a resend never counts twice. */
(function () {
  "use strict";
  var list = document.getElementById("task-items");
  if (!list) { return; }
  var KEY = "gridgov.command.ticks";
  var csrf = list.getAttribute("data-csrf");
  var status = document.getElementById("sync-status");
  var counter = document.getElementById("done-count");

  function queue() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(items) { localStorage.setItem(KEY, JSON.stringify(items)); }
  function key() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }
  function show() {
    var waiting = queue().length;
    if (status) {
      status.textContent = waiting ? ("有" + waiting + "条记录未上传，联网后自动上传") : "已全部上传";
      status.className = waiting ? "badge-warn" : "badge-ok";
    }
  }
  function mark(row, label, pending) {
    var state = row.querySelector(".item-state");
    if (!row.classList.contains("done") && counter) {
      counter.textContent = String(parseInt(counter.textContent, 10) + 1);
    }
    row.classList.add("done");
    state.textContent = label + (pending ? "（待上传）" : "");
  }

  var sending = false;
  function flush() {
    if (sending || !navigator.onLine) { show(); return; }
    var items = queue();
    if (!items.length) { show(); return; }
    sending = true;
    var tick = items[0];
    fetch(tick.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(tick.body)
    }).then(function (response) {
      return response.json().then(function (answer) { return { ok: response.ok, status: response.status, answer: answer }; });
    }).then(function (result) {
      var rest = queue().filter(function (t) { return t.body.client_key !== tick.body.client_key; });
      save(rest);
      var row = document.getElementById("item-" + tick.item);
      if (row) {
        if (result.ok) { mark(row, result.answer.label, false); }
        else { row.querySelector(".item-error").textContent = result.answer.detail || "登记失败"; }
      }
      sending = false;
      flush();
    }).catch(function () { sending = false; show(); });
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-outcome]");
    if (!button) { return; }
    var row = button.closest("[data-item]");
    var checks = Array.prototype.map.call(row.querySelectorAll("input[type=checkbox]"), function (box) { return box.checked; });
    var outcome = button.getAttribute("data-outcome");
    var tick = {
      item: row.getAttribute("data-item"),
      url: row.getAttribute("data-url"),
      body: { outcome: outcome, checks: outcome === "home" ? checks : [], client_key: key() }
    };
    var items = queue();
    items.push(tick);
    save(items);
    mark(row, button.textContent.trim(), true);
    flush();
  });
  window.addEventListener("online", flush);
  flush();
})();
