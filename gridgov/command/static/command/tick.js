/* Ticking households off on the phone. Every tick gets a client key and goes into a queue in
   localStorage first; the queue is sent now, or when the signal comes back ("online"), and the
   server ignores a key it has already taken, so a resend never counts twice. A photo (for tasks
   that ask for one) is shrunk on the phone, kept in IndexedDB (localStorage holds text only) and
   queued the same way, ahead of the tick it belongs to, so the server has it when the tick comes. */
(function () {
  "use strict";
  var list = document.getElementById("task-items");
  if (!list) { return; }
  var KEY = "gridgov.command.ticks";
  var csrf = list.getAttribute("data-csrf");
  var photoAsked = list.getAttribute("data-photo-asked") === "1";
  var photosMax = parseInt(list.getAttribute("data-photos-max") || "3", 10);
  var status = document.getElementById("sync-status");
  var counter = document.getElementById("done-count");
  var EDGE = 1600;

  function queue() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(items) { localStorage.setItem(KEY, JSON.stringify(items)); }
  function key() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }
  function entryKey(entry) { return entry.kind === "photo" ? entry.key : entry.body.client_key; }

  // --- photos kept on the phone until sent ---
  function store(mode, work) {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no indexedDB")); return; }
      var opened = indexedDB.open("gridgov-command", 1);
      opened.onupgradeneeded = function () { opened.result.createObjectStore("photos"); };
      opened.onerror = function () { reject(opened.error); };
      opened.onsuccess = function () {
        var db = opened.result;
        var tx = db.transaction("photos", mode);
        var request = work(tx.objectStore("photos"));
        tx.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      };
    });
  }
  function shrink(file) {
    // createImageBitmap needs no blob: URL (the CSP allows none); fall back to the file as is.
    if (!window.createImageBitmap) { return Promise.resolve(file); }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, EDGE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.82);
      });
    }).catch(function () { return file; });
  }
  function pendingPhotos(itemId) {
    return queue().filter(function (t) { return t.kind === "photo" && t.item === itemId; }).length;
  }
  function showPhotos(row) {
    var span = row.querySelector(".photo-count");
    if (!span) { return; }
    var sent = parseInt(span.getAttribute("data-count") || "0", 10);
    var waiting = pendingPhotos(row.getAttribute("data-item"));
    span.textContent = "已拍" + (sent + waiting) + "张" + (waiting ? "（" + waiting + "张待上传）" : "");
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

  function send(entry) {
    if (entry.kind !== "photo") {
      return fetch(entry.url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(entry.body)
      });
    }
    return store("readonly", function (photos) { return photos.get(entry.key); }).then(function (blob) {
      var form = new FormData();
      form.append("client_key", entry.key);
      if (blob) { form.append("photo", blob, "photo.jpg"); }
      return fetch(entry.url, {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf }, body: form
      });
    });
  }

  var sending = false;
  function flush() {
    if (sending || !navigator.onLine) { show(); return; }
    var items = queue();
    if (!items.length) { show(); return; }
    sending = true;
    var entry = items[0];
    send(entry).then(function (response) {
      return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
    }).then(function (result) {
      var done = entryKey(entry);
      save(queue().filter(function (t) { return entryKey(t) !== done; }));
      var row = document.getElementById("item-" + entry.item);
      if (entry.kind === "photo") {
        store("readwrite", function (photos) { photos.delete(entry.key); }).catch(function () {});
        if (row && result.ok) {
          var span = row.querySelector(".photo-count");
          if (span && result.answer.created) {
            span.setAttribute("data-count", String(parseInt(span.getAttribute("data-count") || "0", 10) + 1));
          }
        }
      }
      if (row) {
        if (!result.ok) { row.querySelector(".item-error").textContent = result.answer.detail || "登记失败"; }
        else if (entry.kind !== "photo") { mark(row, result.answer.label, false); }
        showPhotos(row);
      }
      sending = false;
      flush();
    }).catch(function () { sending = false; show(); });
  }

  list.addEventListener("change", function (event) {
    var input = event.target.closest("input[type=file][data-photo-url]");
    if (!input || !input.files || !input.files.length) { return; }
    var row = input.closest("[data-item]");
    var file = input.files[0];
    input.value = "";
    var span = row.querySelector(".photo-count");
    var sent = span ? parseInt(span.getAttribute("data-count") || "0", 10) : 0;
    if (sent + pendingPhotos(row.getAttribute("data-item")) >= photosMax) {
      row.querySelector(".item-error").textContent = "每户最多" + photosMax + "张照片";
      return;
    }
    var photoKey = key();
    shrink(file).then(function (blob) {
      return store("readwrite", function (photos) { photos.put(blob, photoKey); });
    }).then(function () {
      var items = queue();
      items.push({ kind: "photo", item: row.getAttribute("data-item"), url: input.getAttribute("data-photo-url"), key: photoKey });
      save(items);
      row.querySelector(".item-error").textContent = "";
      showPhotos(row);
      flush();
    }).catch(function () {
      row.querySelector(".item-error").textContent = "照片无法保存在手机上，请联网后重试";
    });
  });

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-outcome]");
    if (!button) { return; }
    var row = button.closest("[data-item]");
    var checks = Array.prototype.map.call(row.querySelectorAll("input[type=checkbox]"), function (box) { return box.checked; });
    var outcome = button.getAttribute("data-outcome");
    if (photoAsked && outcome === "home") {
      var span = row.querySelector(".photo-count");
      var sent = span ? parseInt(span.getAttribute("data-count") || "0", 10) : 0;
      if (sent + pendingPhotos(row.getAttribute("data-item")) === 0) {
        row.querySelector(".item-error").textContent = "这项任务要求入户拍照，请先拍照再登记";
        return;
      }
    }
    row.querySelector(".item-error").textContent = "";
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
  Array.prototype.forEach.call(list.querySelectorAll("[data-item]"), showPhotos);
  flush();
})();
