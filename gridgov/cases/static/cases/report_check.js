/* The report page's emergency guidance (issue 8). As the resident types, the text is sent (after a
   short pause) to /r/new/check; when it reads like an emergency, "如有生命危险请立即拨打 110 / 119
   / 120" appears above the submit button with tap-to-call links, the likeliest number first. It is
   advice only: nothing here holds the form back, and a failed or refused check changes nothing. */
(function () {
  "use strict";
  var PAUSE_MS = 500;

  function start() {
    var form = document.getElementById("report-form");
    var text = document.getElementById("id_text");
    var box = document.getElementById("emergency");
    var inline = document.getElementById("emergency-inline");
    if (!form || !text || !box || !window.fetch) { return; }
    var url = form.getAttribute("data-check-url");
    var tokenInput = form.querySelector("input[name=csrfmiddlewaretoken]");
    var timer = null;
    var asked = "";
    var latest = 0;

    function order(numbers) {
      Array.prototype.forEach.call(form.querySelectorAll("[data-calls]"), function (calls) {
        (numbers || []).slice().reverse().forEach(function (number) {
          var link = calls.querySelector('[data-number="' + String(number).replace(/[^0-9]/g, "") + '"]');
          if (link) { calls.insertBefore(link, calls.firstChild); }
        });
      });
    }
    function show(answer) {
      if (answer.urgent) {
        order(answer.numbers);
        box.setAttribute("data-kind", answer.kind || "");
        box.hidden = false;
        if (inline) { inline.hidden = false; }
      }
      /* Once shown it stays: a resident who edits the words is no safer than a moment ago. */
    }
    function check() {
      var value = text.value.trim();
      if (value.length < 2 || value === asked) { return; }
      asked = value;
      var mine = ++latest;
      var body = new URLSearchParams();
      body.set("text", value);
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": tokenInput ? tokenInput.value : "", "Accept": "application/json" },
        body: body
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (answer) {
        if (mine === latest) { show(answer); }
      }).catch(function () {
        asked = ""; /* refused or offline: ask again after the next pause */
      });
    }
    text.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(check, PAUSE_MS);
    });
    /* A page shown again with text in it (an error on submit, the back button) is checked at once. */
    if (text.value.trim()) { check(); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
