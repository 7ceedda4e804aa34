/* The live connection of walls and the plenary summary: one client for both ways the server
 * streams (used by wall.js and summary.js; see wall.js for what the page shows).
 *
 * IdeenmarktLive(el, statusEl, render): ``el`` carries the data attributes
 * - data-live-url (production): nginx holds the stream (nchan). Each message is an
 *   idea's state with its feed id (change_id). EventSource reconnects by itself with
 *   Last-Event-ID and nchan resends what its buffer still holds; on every (re)connect,
 *   and every data-catch-up-seconds, the page also asks data-changes-url for the feed
 *   after the last change it has, so an idea missing from the buffer (or a lost publish)
 *   still appears. A check that finds a change the stream did not bring, or a stream that
 *   cannot be opened (nchan or Redis down), makes the page poll the feed and say so in its
 *   status; it tries the stream again every half minute.
 * - otherwise (development, `make run`): the app's own stream (data-stream-url), which
 *   continues after ?after=<last feed id>.
 * - data-after: the last feed id the rendered page includes.
 * ``render(idea)`` is called with an idea's newest state only (a higher change id wins,
 * whatever arrives first). The status shows "connecting" only when no stream has been open
 * for OFFLINE_GRACE_MS, so a planned reconnect does not flicker.
 */
(function () {
  "use strict";

  window.IdeenmarktLive = function (list, statusEl, renderIdea) {
    if (!window.EventSource) { return; }
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
    var OFFLINE_GRACE_MS = 4000;
    var source = null;
    var reconnectTimer = null;
    var offlineTimer = null;

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
  };
}());
