/* The resident's report form: photos upload as soon as they are chosen (so an error elsewhere on
   the form never loses them), with thumbnails and a remove button; fields are checked before
   sending, and on an error the summary at the top lists them and the first bad field gets focus. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var input = document.getElementById("id_photos");
  var thumbs = document.getElementById("photo-thumbs");
  var status = document.getElementById("photo-list");
  var summary = document.getElementById("error-summary");
  var pending = 0;

  function csrf() {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  function count() { return thumbs ? thumbs.querySelectorAll("li[data-photo]").length : 0; }
  function say(text, bad) {
    if (!status) { return; }
    status.textContent = text;
    status.className = "r-files" + (bad ? " field-error" : "");
  }
  function counted() { say(count() ? "已上传" + count() + "张照片" + (pending ? "，还有" + pending + "张正在上传…" : "") : (pending ? "正在上传…" : ""), false); }

  function addThumb(id, url) {
    var item = document.createElement("li");
    item.setAttribute("data-photo", id);
    var img = document.createElement("img");
    img.src = url;
    img.alt = "照片" + (count() + 1);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "r-thumb-remove";
    remove.setAttribute("data-remove", url + "remove/");
    remove.setAttribute("aria-label", "删除这张照片");
    remove.textContent = "×";
    item.appendChild(img);
    item.appendChild(remove);
    thumbs.appendChild(item);
  }

  function upload(file) {
    var data = new FormData();
    data.append("draft", thumbs.getAttribute("data-draft"));
    data.append("photo", file, file.name);
    pending += 1;
    counted();
    return fetch(thumbs.getAttribute("data-upload-url"), {
      method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": csrf() }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      pending -= 1;
      if (answer.ok) { addThumb(answer.body.id, answer.body.url); counted(); }
      else { counted(); say(answer.body.error || "照片上传失败，请重试", true); }
    }, function () {
      pending -= 1;
      say("网络不稳定，照片“" + file.name + "”未能上传，请重新选择", true);
    });
  }

  if (input && thumbs && window.fetch && window.FormData) {
    input.addEventListener("change", function () {
      var max = parseInt(thumbs.getAttribute("data-max"), 10), maxBytes = parseInt(thumbs.getAttribute("data-max-mb"), 10) * 1024 * 1024;
      var files = Array.prototype.slice.call(input.files || []);
      var room = max - count() - pending, skipped = [];
      files.forEach(function (file) {
        if (file.size > maxBytes) { skipped.push("“" + file.name + "”超过" + thumbs.getAttribute("data-max-mb") + "MB"); return; }
        if (room <= 0) { skipped.push("最多" + max + "张"); return; }
        room -= 1;
        upload(file);
      });
      /* Uploaded already: sending them again with the form would count them twice. */
      input.value = "";
      if (skipped.length) { say("有照片未上传：" + skipped.join("、"), true); }
    });
    thumbs.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove]");
      if (!button) { return; }
      event.preventDefault();
      button.disabled = true;
      fetch(button.getAttribute("data-remove"), { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf() } })
        .then(function () { button.closest("li").remove(); counted(); }, function () { button.disabled = false; });
    });
  }

  /* Checks before sending: the same words the server would use. */
  function phoneProblem(raw) {
    var phone = raw.replace(/[\s\-()（）]/g, "").replace(/^(\+86|0086)/, "");
    if (!phone) { return "匿名反映请留下手机号，便于回访"; }
    if (!/^\d+$/.test(phone)) { return "电话号码只能包含数字"; }
    if (phone.charAt(0) === "1") {
      if (phone.length !== 11) { return "手机号应为11位，当前为" + phone.length + "位"; }
      if (!/^1[3-9]\d{9}$/.test(phone)) { return "手机号号段无效"; }
      return "";
    }
    return /^0\d{9,11}$/.test(phone) ? "" : "电话号码格式不正确：手机号为11位，座机须带区号";
  }
  function checks() {
    var found = [];
    var text = document.getElementById("id_text");
    if (text && !text.value.trim()) { found.push([text, "反映内容", "请填写反映内容"]); }
    var place = document.getElementById("id_place");
    if (place && place.tagName === "SELECT" && !place.value) { found.push([place, "地点", "请选择事件发生的地点"]); }
    var phone = document.getElementById("id_reporter_phone");
    if (phone) { var problem = phoneProblem(phone.value); if (problem) { found.push([phone, "手机号", problem]); } }
    return found;
  }
  function clearHints() {
    Array.prototype.forEach.call(form.querySelectorAll(".js-hint"), function (hint) { hint.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (el) { el.removeAttribute("aria-invalid"); });
  }
  function show(found) {
    clearHints();
    var list = summary.querySelector("ul");
    list.innerHTML = "";
    found.forEach(function (item) {
      var field = item[0];
      field.setAttribute("aria-invalid", "true");
      var hint = document.createElement("p");
      hint.className = "field-error js-hint";
      hint.textContent = item[2];
      field.insertAdjacentElement("afterend", hint);
      var li = document.createElement("li"), link = document.createElement("a");
      link.href = "#" + field.id;
      link.setAttribute("data-field", field.id);
      link.textContent = item[1] + "：" + item[2];
      li.appendChild(link);
      list.appendChild(li);
    });
    summary.hidden = false;
    found[0][0].focus();
    found[0][0].scrollIntoView({ block: "center" });
  }
  form.addEventListener("submit", function (event) {
    if (pending) {
      event.preventDefault();
      say("照片还在上传，请稍候再提交", true);
      return;
    }
    var found = checks();
    if (found.length) { event.preventDefault(); show(found); }
  });
  if (summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("[data-field]");
      var field = link && document.getElementById(link.getAttribute("data-field"));
      if (field) { event.preventDefault(); field.focus(); field.scrollIntoView({ block: "center" }); }
    });
    /* The server found something: the first bad field gets the cursor. */
    if (!summary.hidden) {
      var first = summary.querySelector("[data-field]");
      var field = first && document.getElementById(first.getAttribute("data-field"));
      if (field) { field.setAttribute("aria-invalid", "true"); field.focus(); field.scrollIntoView({ block: "center" }); }
      else { summary.focus(); }
    }
  }
})();
