/* Projector wall: ideas appear, change and disappear live (the connection: live.js).
 *
 * The page is rendered with the ideas as they are and the id of the last change
 * (of the idea_change feed) it includes; live.js continues after it and calls render()
 * with each changed idea. Idea texts and tags are inserted with textContent only.
 *
 * Projector mode (?projector=1) shows as many ideas as fit the screen and pages
 * through all of them (whole rows), every data-page-seconds seconds; it can be
 * paused with its button or the space key, and paged with the arrow keys.
 */
(function () {
  "use strict";

  var list = document.getElementById("wall-ideas");
  if (!list || !window.IdeenmarktLive) { return; }

  var statusEl = document.getElementById("wall-status");
  var emptyEl = document.getElementById("wall-empty");
  var showStand = list.dataset.showStand === "1";
  var standNames = {};

  Array.prototype.forEach.call(document.querySelectorAll("#stand-names li"), function (li) {
    standNames[li.dataset.standId] = li.textContent;
  });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function updateEmpty() {
    emptyEl.hidden = list.children.length > 0;
  }

  function findItem(id) {
    var items = list.children;
    for (var i = 0; i < items.length; i++) {
      if (items[i].dataset.id === String(id)) { return items[i]; }
    }
    return null;
  }

  var pager = list.dataset.projector === "1" ? makePager() : null;

  function makePager() {
    var pageEl = document.getElementById("wall-page");
    var pauseBtn = document.getElementById("wall-pause");
    var nav = document.querySelector(".wall-nav");
    var seconds = parseFloat(list.dataset.pageSeconds) || 12;
    var pages = [];
    var index = 0;
    var paused = false;
    var timer = null;

    function rows() {
      var result = [];
      var items = Array.prototype.slice.call(list.children);
      items.forEach(function (item) { item.hidden = false; });
      items.forEach(function (item) {
        var box = item.getBoundingClientRect();
        var last = result[result.length - 1];
        if (last && Math.abs(last.top - box.top) < 2) {
          last.items.push(item);
          last.bottom = Math.max(last.bottom, box.bottom);
        } else {
          result.push({top: box.top, bottom: box.bottom, items: [item]});
        }
      });
      return result;
    }

    function paginate() {
      var listTop = list.getBoundingClientRect().top;
      var reserve = (nav ? nav.getBoundingClientRect().height : 0) + 48;
      var room = Math.max(120, window.innerHeight - listTop - reserve);
      pages = [];
      var current = null;
      rows().forEach(function (row) {
        if (!current || (row.bottom - current.top > room && current.items.length)) {
          current = {top: row.top, items: []};
          pages.push(current);
        }
        Array.prototype.push.apply(current.items, row.items);
      });
    }

    function show(i) {
      index = pages.length ? (i + pages.length) % pages.length : 0;
      pages.forEach(function (page, j) {
        page.items.forEach(function (item) { item.hidden = j !== index; });
      });
      pageEl.textContent = pages.length > 1
        ? pageEl.dataset.template.replace("{n}", index + 1).replace("{total}", pages.length) : "";
      pauseBtn.hidden = pages.length < 2;
    }

    function schedule() {
      if (timer) { window.clearTimeout(timer); timer = null; }
      if (!paused && pages.length > 1) {
        timer = window.setTimeout(function () { show(index + 1); schedule(); }, seconds * 1000);
      }
    }

    function refresh(i) {
      paginate();
      show(i === undefined ? index : i);
      schedule();
    }

    function setPaused(value) {
      paused = value;
      pauseBtn.setAttribute("aria-pressed", paused ? "true" : "false");
      pauseBtn.textContent = paused ? pauseBtn.dataset.resume : pauseBtn.dataset.pause;
      schedule();
    }

    pauseBtn.addEventListener("click", function () { setPaused(!paused); });
    document.addEventListener("keydown", function (event) {
      var tag = event.target && event.target.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
      if (event.key === " " && tag !== "BUTTON" && tag !== "A") { event.preventDefault(); setPaused(!paused); }
      if (event.key === "ArrowRight" || event.key === "PageDown") { show(index + 1); schedule(); }
      if (event.key === "ArrowLeft" || event.key === "PageUp") { show(index - 1); schedule(); }
    });
    var resizeTimer = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(resizeTimer);
      resizeTimer = window.setTimeout(function () { refresh(0); }, 200);
    });
    refresh(0);
    return {refresh: refresh};
  }

  function render(idea) {
    var existing = findItem(idea.id);
    var standKey = String(idea.stand_id);
    if (!idea.visible || !Object.prototype.hasOwnProperty.call(standNames, standKey)) {
      if (existing) { existing.remove(); }
      updateEmpty();
      return;
    }
    var li = existing || el("li", "wall-idea");
    li.dataset.id = String(idea.id);
    li.textContent = "";
    if (showStand) { li.appendChild(el("p", "wall-stand", standNames[standKey])); }
    li.appendChild(el("p", "wall-text", idea.text));
    var tags = el("p", "wall-tags");
    if (idea.channel === "online") {  // submitted online (issue 18): marked in words
      tags.appendChild(el("span", "wall-channel", list.dataset.onlineLabel || "Online"));
      tags.appendChild(document.createTextNode(" "));
    }
    idea.tags.forEach(function (label) {
      tags.appendChild(el("span", "wall-tag", "#" + label));
      tags.appendChild(document.createTextNode(" "));
    });
    li.appendChild(tags);
    if (!existing) {
      var before = null;
      for (var i = 0; i < list.children.length; i++) {
        if (parseInt(list.children[i].dataset.id, 10) < idea.id) { before = list.children[i]; break; }
      }
      list.insertBefore(li, before);
    }
    li.classList.add("fresh");
    window.setTimeout(function () { li.classList.remove("fresh"); }, 5000);
    updateEmpty();
    if (pager) { pager.refresh(0); }
  }

  IdeenmarktLive(list, statusEl, render);
}());
