/* Live pages: one client for both ways the server streams, and for every live page (walls,
 * plenary summary, the moderators' capture list, the check-in counter, the voting results,
 * the public outcome page of an event).
 *
 * The page's element carries the data attributes
 * - data-live-url (production): nginx holds the stream (nchan). EventSource reconnects by
 *   itself with Last-Event-ID and nchan resends what its buffer still holds; on every
 *   (re)connect, and every data-catch-up-seconds, the page also asks data-changes-url for what
 *   it may have missed, so an update missing from the buffer (or a lost publish) still
 *   appears. A check that finds a change the stream did not bring, or a stream that cannot be
 *   opened (nchan or Redis down), makes the page poll data-changes-url and say so in its
 *   status; it tries the stream again every half minute.
 * - otherwise (development, `make run`): the app's own stream (data-stream-url), which also
 *   continues after the last change the page has; when it cannot be opened three times in a
 *   row, the page polls data-changes-url in the same way and says so, and tries the stream
 *   again every half minute (or when the browser is back online).
 *
 * The status element (``statusEl``) shows data-live, data-polling (fallback) or data-offline
 * as text (not only as a colour), in a polite live region; "connecting" only when no stream
 * has been open for OFFLINE_GRACE_MS, so a planned reconnect does not flicker.
 *
 * IdeenmarktLive(el, statusEl, render[, options]): ideas. Each message is an idea's state with
 *   its feed id (change_id); data-after is the last feed id the page includes; data-changes-url
 *   answers {changes: [{change_id, idea}], last, more}. ``render(idea)`` gets an idea's newest
 *   state only (a higher change id wins, whatever arrives first). ``options.announced``: what
 *   nginx sends is only the announcement of a change (the capture list: its staff fields come
 *   from data-changes-url), so a message makes the page read the feed.
 * IdeenmarktLive.state(el, statusEl, eventName, apply): a state (counters, totals). Messages of
 *   ``eventName`` carry ``as_of`` (when the server read them, after the commit) and only what
 *   changed; data-changes-url answers the whole state. ``apply(data, asOf)`` is called for
 *   each, keeps per part the newest, and returns whether it changed what the page shows.
 *   Returns the connection: its catchUp() reads data-changes-url now (a page whose stream
 *   only announces changes for it).
 */
(function () {
  "use strict";

  var POLL_MS = 5000;
  var RETRY_LIVE_MS = 30000;
  var OFFLINE_GRACE_MS = 4000;

  // The connection, its status and its fallback. ``hooks``: events {name: handler(event)},
  // catchUp(check) -> Promise of "a change was missed" (check: the stream claims to be open),
  // streamUrl() -> the app's own stream with the position to continue from.
  function connection(el, statusEl, hooks) {
    var liveUrl = el.dataset.liveUrl || "";
    var catchUpMs = (parseFloat(el.dataset.catchUpSeconds) || 30) * 1000;
    var polling = null;
    var failures = 0;
    var catchingUp = false;
    var source = null;
    var reconnectTimer = null;
    var offlineTimer = null;

    function setLive(live) {
      if (!statusEl) { return; }
      var text = live ? (polling ? statusEl.dataset.polling : statusEl.dataset.live) : statusEl.dataset.offline;
      statusEl.hidden = false;
      if (statusEl.textContent !== text) { statusEl.textContent = text; }  // a live region: only real changes
      statusEl.classList.toggle("offline", !live);
      statusEl.classList.toggle("fallback", live && !!polling);
      statusEl.dataset.state = live ? (polling ? "polling" : "live") : "offline";
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

    function catchUp(check) {
      if (catchingUp || !window.fetch) { return; }
      catchingUp = true;
      hooks.catchUp().then(function (missed) {
        catchingUp = false;
        if (check === true && missed && liveUrl && !polling) {
          if (source) { source.close(); }
          startPolling();
        }
        if (polling) { setLive(true); }
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
      source = new EventSource(liveUrl || hooks.streamUrl());
      source.addEventListener("open", function () {
        failures = 0;
        if (reconnectTimer) { window.clearTimeout(reconnectTimer); reconnectTimer = null; }
        stopPolling();
        streamOpen();
        if (liveUrl) { catchUp(false); }
      });
      Object.keys(hooks.events).forEach(function (name) {
        source.addEventListener(name, hooks.events[name]);
      });
      source.addEventListener("error", function () {
        if (source.readyState !== EventSource.CLOSED) { streamLost(); return; }
        failures += 1;
        if (failures >= 3 || polling) {
          // The stream (nginx's or the app's own) cannot be opened: poll, try it again later.
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
      // A lost publish (nchan or Redis briefly down) must not leave an update missing for long.
      window.setInterval(function () { if (!polling) { catchUp(true); } }, catchUpMs);
    }
    connect();
    return {catchUp: catchUp};
  }

  function getJson(url) {
    return window.fetch(url, {cache: "no-store", credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    });
  }

  function withParam(url, name, value) {
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + name + "=" + value;
  }

  window.IdeenmarktLive = function (list, statusEl, renderIdea, options) {
    if (!window.EventSource) { return; }
    options = options || {};
    var announced = !!(options.announced && list.dataset.liveUrl);
    var changesUrl = list.dataset.changesUrl;
    var lastId = parseInt(list.dataset.after, 10) || 0;
    var ideaChange = {};
    var announcedChange = {};  // per idea the newest change the stream announced
    var conn;

    function render(idea, changeId) {
      if (changeId && ideaChange[idea.id] && ideaChange[idea.id] > changeId) { return; }  // an older state
      if (changeId) { ideaChange[idea.id] = changeId; }
      renderIdea(idea);
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
        if (announced) {
          // Only the announcement: the page's own feed has the fields it shows.
          if (!(announcedChange[idea.id] >= changeId)) { announcedChange[idea.id] = changeId; }
          if (!(ideaChange[idea.id] >= changeId)) { conn.catchUp(); }
          return;
        }
        if (idea.change_id) { advance(idea.change_id); } else { remember(event); }
        render(idea, changeId);
      } catch (e) { /* a malformed message must not stop the page */ }
    }

    // The feed after the last change this page has (in batches), from the app; resolves to
    // whether it held a change the stream did not bring.
    function catchUp() {
      return getJson(withParam(changesUrl, "after", lastId)).then(function (batch) {
        // Missed: neither shown yet nor (for a page that reads only announcements) announced.
        var missed = batch.changes.some(function (change) {
          return change.idea && !(ideaChange[change.idea.id] >= change.change_id) &&
            !(announced && announcedChange[change.idea.id] >= change.change_id);
        });
        batch.changes.forEach(function (change) {
          if (change.idea) { render(change.idea, change.change_id); }
        });
        advance(batch.last);
        if (batch.more) { return catchUp().then(function (more) { return missed || more; }); }
        return missed;
      });
    }

    conn = connection(list, statusEl, {
      events: {idea: onIdea, position: remember},
      catchUp: catchUp,
      streamUrl: function () { return withParam(list.dataset.streamUrl, "after", lastId); }
    });
  };

  window.IdeenmarktLive.state = function (el, statusEl, eventName, apply) {
    if (!window.EventSource) { return; }
    var events = {};

    events[eventName] = function (event) {
      try {
        var data = JSON.parse(event.data);
        apply(data, data.as_of || 0);
      } catch (e) { /* a malformed message must not stop the page */ }
    };

    return connection(el, statusEl, {
      events: events,
      // The whole state: ``apply`` answers whether it changed what the page shows (then the
      // stream had missed it).
      catchUp: function () {
        return getJson(el.dataset.changesUrl).then(function (data) { return !!apply(data, data.as_of || 0); });
      },
      streamUrl: function () { return el.dataset.streamUrl; }
    });
  };
}());
