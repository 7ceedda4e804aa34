/* Projector wall: live updates through server-sent events.
 *
 * The page is rendered with the ideas as they are and the id of the last change
 * (of the idea_change feed) it includes. One client for both ways the server streams:
 *
 * - data-live-url (production): nginx holds the stream (nchan). Each message is an
 *   idea's state with its feed id (change_id). EventSource reconnects by itself with
 *   Last-Event-ID and nchan resends what its buffer still holds; on every (re)connect,
 *   and once a minute, the wall also asks data-changes-url for the feed after the last
 *   change it has, so an idea missing from the buffer (or a lost publish) still appears.
 *   When nginx's stream cannot be opened (nchan or Redis down), the wall polls the feed
 *   and says so in its status; it tries the stream again every half minute.
 * - otherwise (development, `make run`): the app's own stream (data-stream-url), which
 *   continues after ?after=<last feed id>.
 *
 * An idea is only replaced by a newer state (a higher change id), whatever arrives first.
 * Idea texts and tags are inserted with textContent only.
 *
 * A stream ends after a while by design and EventSource reconnects within a
 * second or two; the status shows "connecting" only when no stream has been
 * open for OFFLINE_GRACE_MS, so a planned reconnect does not flicker.
 *
 * Projector mode (?projector=1) shows as many ideas as fit the screen and pages
 * through all of them (whole rows), every data-page-seconds seconds; it can be
 * paused with its button or the space key, and paged with the arrow keys.
 */
(function () {
  "use strict";

  var list = document.getElementById("wall-ideas");
  if (!list || !window.EventSource) { return; }

  var statusEl = document.getElementById("wall-status");
  var emptyEl = document.getElementById("wall-empty");
  var showStand = list.dataset.showStand === "1";
  var baseUrl = list.dataset.streamUrl;
  var liveUrl = list.dataset.liveUrl || "";
  var changesUrl = list.dataset.changesUrl;
  var lastId = parseInt(list.dataset.after, 10) || 0;
  var ideaChange = {};
  var polling = null;
  var failures = 0;
  var catchingUp = false;
  var POLL_MS = 5000;
  var RETRY_LIVE_MS = 30000;
  var CATCH_UP_MS = (parseFloat(list.dataset.catchUpSeconds) || 30) * 1000;
  var standNames = {};
  var source = null;
  var reconnectTimer = null;
  var offlineTimer = null;
  var OFFLINE_GRACE_MS = 4000;

  Array.prototype.forEach.call(document.querySelectorAll("#stand-names li"), function (li) {
    standNames[li.dataset.standId] = li.textContent;
  });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function setLive(live) {
    statusEl.textContent = live ? (polling ? statusEl.dataset.polling : statusEl.dataset.live)
      : statusEl.dataset.offline;
    statusEl.classList.toggle("offline", !live);
    statusEl.classList.toggle("fallback", live && !!polling);
  }

  function streamOpen() {
    if (offlineTimer) { window.clearTimeout(offlineTimer); offlineTimer = null; }
    setLive(true);
  }

  function streamLost() {
    if (!offlineTimer) {
      offlineTimer = window.setTimeout(function () { offlineTimer = null; setLive(false); }, OFFLINE_GRACE_MS);
    }
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

  function render(idea, changeId) {
    if (changeId && ideaChange[idea.id] && ideaChange[idea.id] > changeId) { return; }  // older state
    if (changeId) { ideaChange[idea.id] = changeId; }
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

  function advance(id) {
    if (id > lastId) { lastId = id; }
  }

  function remember(event) {
    advance(parseInt(event.lastEventId, 10));
  }

  function onIdea(event) {
    try {
      var idea = JSON.parse(event.data);
      var changeId = idea.change_id || parseInt(event.lastEventId, 10);
      if (idea.change_id) { advance(idea.change_id); } else { remember(event); }
      render(idea, changeId);
    } catch (e) { /* a malformed message must not stop the wall */ }
  }

  // The feed after the last change this wall has (in batches), from the app. ``check``: the
  // stream claims to be open; if the feed holds a change it did not bring (nchan lost Redis,
  // a publish failed), the wall polls instead and tries the stream again later.
  function catchUp(check) {
    if (catchingUp || !window.fetch) { return; }
    catchingUp = true;
    var url = changesUrl + (changesUrl.indexOf("?") >= 0 ? "&" : "?") + "after=" + lastId;
    window.fetch(url, {cache: "no-store", credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (batch) {
      catchingUp = false;
      var missed = batch.changes.some(function (change) {
        return change.idea && !(ideaChange[change.idea.id] >= change.change_id);
      });
      if (check === true && missed && liveUrl && !polling) {
        if (source) { source.close(); }
        startPolling();
      }
      batch.changes.forEach(function (change) {
        if (change.idea) { render(change.idea, change.change_id); }
      });
      advance(batch.last);
      if (polling) { setLive(true); }
      if (batch.more) { catchUp(); }
    }, function () {
      catchingUp = false;
      if (polling) { streamLost(); }
    });
  }

  function startPolling() {
    if (!polling) {
      polling = window.setInterval(catchUp, POLL_MS);
      catchUp();
    }
    if (!reconnectTimer) {
      reconnectTimer = window.setTimeout(function () { reconnectTimer = null; connect(); }, RETRY_LIVE_MS);
    }
  }

  function stopPolling() {
    if (polling) { window.clearInterval(polling); polling = null; }
  }

  function connect() {
    if (source) { source.close(); }
    var url = liveUrl || baseUrl + (baseUrl.indexOf("?") >= 0 ? "&" : "?") + "after=" + lastId;
    source = new EventSource(url);
    source.addEventListener("open", function () {
      failures = 0;
      stopPolling();
      streamOpen();
      if (liveUrl) { catchUp(false); }
    });
    source.addEventListener("idea", onIdea);
    source.addEventListener("position", remember);
    source.addEventListener("error", function () {
      if (source.readyState !== EventSource.CLOSED) { streamLost(); return; }
      failures += 1;
      if (liveUrl && (failures >= 3 || polling)) {
        // nginx's stream cannot be opened: poll the feed, try the stream again later.
        source.close();
        failures = 0;
        startPolling();
        return;
      }
      streamLost();
      if (!reconnectTimer) {
        // The browser gave up (e.g. a proxy answered 502): start again after the last id.
        reconnectTimer = window.setTimeout(function () { reconnectTimer = null; connect(); }, 2000);
      }
    });
  }

  window.addEventListener("online", function () {
    if (!source || source.readyState === EventSource.CLOSED) { connect(); }
  });

  if (liveUrl) {
    // A lost publish (nchan or Redis briefly down) must not leave an idea missing for long.
    window.setInterval(function () { if (!polling) { catchUp(true); } }, CATCH_UP_MS);
  }
  connect();
}());
