/* Keyboard and small helpers for the staff case pages (no framework; htmx does the fetching). */
(function () {
  "use strict";
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-kbd-list] [data-href]")); }
  function mark(list, index) {
    list.forEach(function (r) { r.classList.remove("kbd-focus"); });
    if (list[index]) { list[index].classList.add("kbd-focus"); list[index].focus({ preventScroll: false }); }
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey && !event.ctrlKey && !event.metaKey && (event.code === "KeyS" || event.key === "s" || event.key === "ß")) {
      /* Alt+S takes the triage suggestion from anywhere in the form (also where accesskey is not Alt). */
      var suggestion = document.querySelector("[data-apply-category]");
      if (suggestion) { event.preventDefault(); suggestion.click(); }
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Escape") { target.blur(); }
      return;
    }
    var list = rows();
    var current = list.indexOf(document.activeElement);
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      var next = current < 0 ? 0 : current + (event.key === "j" ? 1 : -1);
      mark(list, Math.max(0, Math.min(list.length - 1, next)));
      return;
    }
    if ((event.key === "Enter" || event.key === "o") && current >= 0) {
      event.preventDefault();
      window.location.href = list[current].getAttribute("data-href");
      return;
    }
    if (event.key === "/") {
      var search = document.querySelector("[data-kbd-search]");
      if (search) { event.preventDefault(); search.focus(); search.select && search.select(); return; }
      /* The search box lives on the 全部 tab: go there and put the cursor in it. */
      var all = document.querySelector('.tabs a[href="?tab=all"]');
      if (all) {
        event.preventDefault();
        try { window.sessionStorage.setItem("gg-focus-search", "1"); } catch (e) { /* private mode */ }
        all.click();
      }
      return;
    }
    var keyed = document.querySelector('[data-key="' + (event.key.length === 1 ? event.key.replace(/"/g, "") : "") + '"]');
    if (keyed) {
      event.preventDefault();
      keyed.click();
      var holder = keyed.closest("details");
      if (holder && holder.open) {
        var first = holder.querySelector("input:not([type=hidden]),select,textarea,button[type=submit]");
        if (first) { setTimeout(function () { first.focus(); }, 0); }
      } else if (keyed.tagName === "A") {
        keyed.focus();
      }
    }
  });
  /* On a phone the workbench filters start folded, unless a filter is in use. */
  function foldFilters() {
    if (!window.matchMedia || !window.matchMedia("(max-width: 760px)").matches) { return; }
    Array.prototype.forEach.call(document.querySelectorAll(".cs-filter-box:not([data-filtered])"), function (box) {
      box.removeAttribute("open");
    });
  }
  function focusSearchIfAsked() {
    var asked = false;
    try { asked = window.sessionStorage.getItem("gg-focus-search") === "1"; window.sessionStorage.removeItem("gg-focus-search"); } catch (e) { asked = false; }
    var search = document.querySelector("[data-kbd-search]");
    if (asked && search) {
      var box = search.closest("details");
      if (box) { box.open = true; }
      search.focus();
    }
  }
  document.addEventListener("DOMContentLoaded", function () { foldFilters(); focusSearchIfAsked(); });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "wb-panel") { foldFilters(); focusSearchIfAsked(); }
  });
  /* Rows are links for the mouse too. */
  document.addEventListener("click", function (event) {
    var row = event.target.closest("[data-kbd-list] [data-href]");
    if (row && !event.target.closest("a,button,input,select,label")) {
      window.location.href = row.getAttribute("data-href");
    }
  });

  /* Quick entry: Enter in the report text submits (Shift+Enter for a new line). */
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key !== "Enter" || event.isComposing || event.keyCode === 229) { return; }
    if (el.matches && el.matches("textarea[data-enter-submits]") && !event.shiftKey) {
      event.preventDefault();
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
    if (el.matches && el.matches("[data-pick-first]")) {
      /* Enter in a search box takes the first result instead of submitting the form. */
      event.preventDefault();
      var box = document.getElementById(el.getAttribute("data-pick-first"));
      var first = box && box.querySelector("[data-pick-place],[data-pick-resident]");
      if (first) { first.click(); }
    }
  });
  function setPlace(id, label, address) {
    var input = document.getElementById("id_place");
    if (!input) { return; }
    input.value = id;
    var shown = document.getElementById("place-chosen");
    if (shown) { shown.textContent = label; shown.classList.add("chosen"); }
    var tree = document.getElementById("place-tree");
    if (tree) { tree.value = id; }
    var detail = document.getElementById("id_address_detail");
    if (detail && address && !detail.value) { detail.value = address; }
  }
  document.addEventListener("click", function (event) {
    var place = event.target.closest("[data-pick-place]");
    if (place) {
      event.preventDefault();
      setPlace(place.getAttribute("data-pick-place"), place.getAttribute("data-label"), place.getAttribute("data-address"));
      var results = place.closest(".cs-results");
      if (results) { results.innerHTML = ""; }
      var text = document.getElementById("id_text");
      if (text && !text.value) { text.focus(); }
      return;
    }
    var resident = event.target.closest("[data-pick-resident]");
    if (resident) {
      event.preventDefault();
      document.getElementById("id_resident").value = resident.getAttribute("data-pick-resident");
      var name = document.getElementById("id_reporter_name");
      if (name) { name.value = resident.getAttribute("data-name"); }
      var chosen = document.getElementById("resident-chosen");
      if (chosen) { chosen.textContent = resident.getAttribute("data-label"); chosen.classList.add("chosen"); }
      var box = resident.closest(".cs-results");
      if (box) { box.innerHTML = ""; }
      return;
    }
    var clear = event.target.closest("[data-clear-resident]");
    if (clear) {
      event.preventDefault();
      document.getElementById("id_resident").value = "";
      var label = document.getElementById("resident-chosen");
      if (label) { label.textContent = "未关联"; label.classList.remove("chosen"); }
      return;
    }
    var apply = event.target.closest("[data-apply-category]");
    if (apply) {
      event.preventDefault();
      var category = document.getElementById("id_category");
      var priority = document.getElementById("id_priority");
      if (category) { category.value = apply.getAttribute("data-apply-category"); }
      if (priority) { priority.value = apply.getAttribute("data-apply-priority"); }
      apply.textContent = "已采用";
      var text = document.getElementById("id_text");
      if (text) { text.focus(); }
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.id === "place-tree") {
      var option = event.target.selectedOptions[0];
      setPlace(event.target.value, option ? option.getAttribute("data-label") || option.textContent.trim() : "", "");
    }
  });
})();
/* The phone's action bar: a tap opens that action's form and puts the cursor in it. */
document.addEventListener("click", function (event) {
  "use strict";
  var link = event.target.closest && event.target.closest("[data-open-action]");
  if (!link) { return; }
  var holder = document.getElementById(link.getAttribute("data-open-action"));
  if (!holder) { return; }
  event.preventDefault();
  holder.open = true;
  holder.scrollIntoView({ block: "start" });
  var first = holder.querySelector("textarea,input:not([type=hidden]):not([type=file]),select");
  if (first) { first.focus({ preventScroll: true }); }
});
