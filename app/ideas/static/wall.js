/* Projector wall: live updates through server-sent events.
 *
 * The page is rendered with the ideas as they are and the id of the last change
 * it includes; the stream continues after that id. EventSource reconnects by
 * itself (sending Last-Event-ID); if it gives up, we open a new one that starts
 * after the last id we saw, so the wall catches up on everything it missed.
 * Idea texts and tags are inserted with textContent only.
 */
(function () {
  "use strict";

  var list = document.getElementById("wall-ideas");
  if (!list || !window.EventSource) { return; }

  var statusEl = document.getElementById("wall-status");
  var emptyEl = document.getElementById("wall-empty");
  var showStand = list.dataset.showStand === "1";
  var baseUrl = list.dataset.streamUrl;
  var lastId = parseInt(list.dataset.after, 10) || 0;
  var standNames = {};
  var source = null;
  var reconnectTimer = null;

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
    statusEl.textContent = live ? statusEl.dataset.live : statusEl.dataset.offline;
    statusEl.classList.toggle("offline", !live);
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
  }

  function remember(event) {
    var id = parseInt(event.lastEventId, 10);
    if (id > lastId) { lastId = id; }
  }

  function connect() {
    if (source) { source.close(); }
    var url = baseUrl + (baseUrl.indexOf("?") >= 0 ? "&" : "?") + "after=" + lastId;
    source = new EventSource(url);
    source.addEventListener("open", function () { setLive(true); });
    source.addEventListener("idea", function (event) {
      remember(event);
      try { render(JSON.parse(event.data)); } catch (e) { /* a malformed message must not stop the wall */ }
    });
    source.addEventListener("position", remember);
    source.addEventListener("error", function () {
      setLive(false);
      if (source.readyState === EventSource.CLOSED && !reconnectTimer) {
        // The browser gave up (e.g. a proxy answered 502): start again after the last id.
        reconnectTimer = window.setTimeout(function () { reconnectTimer = null; connect(); }, 2000);
      }
    });
  }

  window.addEventListener("online", function () {
    if (!source || source.readyState === EventSource.CLOSED) { connect(); }
  });

  connect();
}());
