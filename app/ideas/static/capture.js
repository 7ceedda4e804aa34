/* Live capture at a stand: Enter saves, the idea shows at once, nothing typed is lost.
 *
 * Enhances the plain form (which works without JavaScript):
 * - every idea gets a client-generated UUID; unsent ideas stay in localStorage and
 *   are shown as "not yet saved" until the server confirms them (retries are
 *   idempotent on the server: the same UUID never makes a second idea);
 * - #tag suggestions from the process's tags (arrow keys, Enter/Tab, Escape);
 * - suggestions of similar ideas while typing (debounced);
 * - quick edit and undo of the latest entries.
 * Data from the server or the user is only ever put into the page with textContent.
 */
(function () {
  "use strict";

  var form = document.getElementById("capture-form");
  if (!form || !window.fetch || !window.JSON) { return; }

  var texts = document.getElementById("capture-texts").dataset;
  var input = document.getElementById("text");
  var saidBy = document.getElementById("said_by");
  var clientIdField = document.getElementById("client_id");
  var list = document.getElementById("recent");
  var statusEl = document.getElementById("capture-status");
  var similarEl = document.getElementById("similar");
  var counter = document.getElementById("text-counter");
  var suggestBox = document.getElementById("tag-suggestions");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var maxLength = parseInt(form.dataset.maxLength, 10) || 1000;
  var storeKey = "ideenmarkt.pending." + form.dataset.standId;
  var inFlight = {};
  var retryTimer = null;
  var retryDelay = 2000;
  var knownTags = [];

  // -- helpers ---------------------------------------------------------------------------

  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : m;
    });
  }

  function idUrl(template, id) { return template.replace("999999999", String(parseInt(id, 10))); }

  function uuid4() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function fold(value) {
    return value.normalize("NFC").toLowerCase()
      .replace(/ä/g, "ae").replace(/ö/g, "oe").replace(/ü/g, "ue").replace(/ß/g, "ss")
      .normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/[^\p{L}\p{N}]/gu, "");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function announce(message) { statusEl.textContent = message; }

  function api(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {})
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        return { ok: resp.ok, status: resp.status, data: data || {} };
      });
    });
  }

  // -- pending ideas in localStorage ---------------------------------------------------------

  function loadPending() {
    try { return JSON.parse(window.localStorage.getItem(storeKey)) || []; } catch (e) { return []; }
  }
  function savePending(items) {
    try { window.localStorage.setItem(storeKey, JSON.stringify(items)); } catch (e) { /* private mode: memory only */ }
  }
  function addPending(entry) {
    var items = loadPending().filter(function (i) { return i.client_id !== entry.client_id; });
    items.push(entry);
    savePending(items);
  }
  function removePending(clientId) {
    savePending(loadPending().filter(function (i) { return i.client_id !== clientId; }));
  }

  // -- rendering --------------------------------------------------------------------------------

  function findItem(clientId) {
    var items = list.querySelectorAll("li.idea-item");
    for (var i = 0; i < items.length; i++) {
      if (items[i].dataset.clientId === clientId) { return items[i]; }
    }
    return null;
  }

  function button(label, action, ariaLabel) {
    var b = el("button", "secondary", label);
    b.type = "button";
    b.dataset.action = action;
    if (ariaLabel) { b.setAttribute("aria-label", ariaLabel); }
    return b;
  }

  function renderPending(entry) {
    var li = el("li", "idea-item pending");
    li.dataset.clientId = entry.client_id;
    li.appendChild(el("p", "idea-text", entry.text));
    var meta = el("div", "idea-meta");
    meta.appendChild(el("span", "badge badge-warn", texts.pending));
    if (entry.said_by) { meta.appendChild(el("span", "said-by", entry.said_by)); }
    li.appendChild(meta);
    return li;
  }

  function renderSaved(li, idea) {
    li.className = "idea-item";
    li.dataset.id = idea.id;
    li.dataset.clientId = idea.client_id;
    li.dataset.status = idea.status;
    li.textContent = "";
    li.appendChild(el("p", "idea-text", idea.text));
    var meta = el("div", "idea-meta");
    meta.appendChild(el("span", "idea-number", fmt(texts.number, { id: idea.id })));
    if (idea.status === "hidden") { meta.appendChild(el("span", "badge badge-err", texts.withdrawn)); }
    if (idea.tags.length) {
      var tags = el("ul", "tag-list");
      idea.tags.forEach(function (label) { tags.appendChild(el("li", "tag", "#" + label)); });
      meta.appendChild(tags);
    }
    if (idea.said_by) { meta.appendChild(el("span", "said-by", idea.said_by)); }
    addQuickActions(meta, idea.id, idea.status);
    var link = el("a", "idea-edit-link", fmt(texts.open, { id: idea.id }));
    link.href = idUrl(form.dataset.detailUrl, idea.id);
    meta.appendChild(link);
    li.appendChild(meta);
    return li;
  }

  function addQuickActions(meta, id, status) {
    if (status === "hidden") {
      meta.appendChild(button(texts.restore, "restore", texts.restore + " " + fmt(texts.number, { id: id })));
    } else if (status === "new") {
      meta.appendChild(button(texts.edit, "edit", texts.edit + " " + fmt(texts.number, { id: id })));
      meta.appendChild(button(texts.undo, "undo", texts.undo + " " + fmt(texts.number, { id: id })));
    }
  }

  function enhanceServerItems() {
    var items = list.querySelectorAll("li.idea-item");
    for (var i = 0; i < items.length && i < 10; i++) {
      var meta = items[i].querySelector(".idea-meta");
      var link = meta.querySelector(".idea-edit-link");
      var holder = document.createDocumentFragment();
      addQuickActions(holder, items[i].dataset.id, items[i].dataset.status);
      meta.insertBefore(holder, link);
    }
  }

  function hideEmptyNote() {
    var note = document.getElementById("no-ideas");
    if (note) { note.hidden = true; }
  }

  // -- another moderator's entries (live.js: nginx's stream in production, the app's own otherwise;
  // after a reconnect the stand's feed brings what the list missed) ---------------------------------

  function listenToOthers() {
    if (!window.IdeenmarktLive || !form.dataset.changesUrl) { return; }
    window.IdeenmarktLive(form, document.getElementById("live-status"), function (idea) {
      if (!idea || !idea.client_id) { return; }
      var existing = findItem(idea.client_id);
      if (existing && existing.classList.contains("pending")) { return; }  // ours: send() confirms it
      if (existing) {
        renderSaved(existing, idea);
      } else if (idea.status !== "merged") {
        list.insertBefore(renderSaved(el("li", "idea-item"), idea), list.firstChild);
        hideEmptyNote();
      }
    }, {announced: true});
  }

  // -- sending ------------------------------------------------------------------------------------

  function send(entry) {
    if (inFlight[entry.client_id]) { return; }
    inFlight[entry.client_id] = true;
    api(form.dataset.createUrl, { client_id: entry.client_id, text: entry.text, said_by: entry.said_by })
      .then(function (res) {
        delete inFlight[entry.client_id];
        var li = findItem(entry.client_id);
        if (res.ok && res.data.idea) {
          removePending(entry.client_id);
          if (li) { renderSaved(li, res.data.idea); }
          announce(fmt(texts.saved, { id: res.data.idea.id }));
          retryDelay = 2000;
          refreshTags();
        } else if (res.status === 422) {
          // Rejected (too long, empty, ...): give the text back for correction.
          removePending(entry.client_id);
          if (li) { li.remove(); }
          var message = (res.data.error && res.data.error.message) || "";
          announce(message);
          if (!input.value) {
            input.value = entry.text;
            clientIdField.value = entry.client_id;
            updateCounter();
          }
          input.focus();
        } else {
          scheduleRetry();
        }
      }, function () {
        delete inFlight[entry.client_id];
        scheduleRetry();
      });
  }

  function scheduleRetry() {
    var item = loadPending()[0];
    if (item) {
      announce(texts.retrying);
      var li = findItem(item.client_id);
      if (li) { li.classList.add("pending"); }
    }
    if (retryTimer) { return; }
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      flushPending();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  function flushPending() {
    loadPending().forEach(send);
  }

  function restorePending() {
    loadPending().forEach(function (entry) {
      if (!findItem(entry.client_id)) {
        list.insertBefore(renderPending(entry), list.firstChild);
        hideEmptyNote();
      }
    });
    flushPending();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { input.focus(); return; }
    var entry = {
      client_id: clientIdField.value || uuid4(),
      text: text,
      said_by: saidBy ? saidBy.value.trim() : "",
      at: Date.now()
    };
    clientIdField.value = uuid4();
    addPending(entry);
    list.insertBefore(renderPending(entry), list.firstChild);
    hideEmptyNote();
    input.value = "";
    if (saidBy) { saidBy.value = ""; }
    closeSuggestions();
    similarEl.textContent = "";
    updateCounter();
    input.focus();
    send(entry);
  });

  window.addEventListener("online", flushPending);

  // -- quick edit, undo, restore -------------------------------------------------------------------

  list.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLButtonElement) || !target.dataset.action) { return; }
    var li = target.closest("li.idea-item");
    var id = li && li.dataset.id;
    if (!id) { return; }
    var action = target.dataset.action;
    if (action === "edit") { startEdit(li, id); }
    if (action === "undo" || action === "restore") {
      var url = idUrl(action === "undo" ? form.dataset.undoUrl : form.dataset.restoreUrl, id);
      api(url, {}).then(function (res) {
        if (res.ok && res.data.idea) {
          renderSaved(li, res.data.idea);
          announce(fmt(action === "undo" ? texts.undone : texts.restored, { id: id }));
          var next = li.querySelector("button[data-action]");
          if (next) { next.focus(); }
        } else {
          announce((res.data.error && res.data.error.message) || texts.retrying);
        }
      }, function () { announce(texts.retrying); });
    }
  });

  function startEdit(li, id) {
    var textEl = li.querySelector(".idea-text");
    var editor = el("input", "idea-edit-input");
    editor.type = "text";
    editor.value = textEl.textContent;
    editor.setAttribute("aria-label", fmt(texts.editLabel, { id: id }));
    textEl.hidden = true;
    li.insertBefore(editor, textEl.nextSibling);
    editor.focus();
    editor.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        editor.remove();
        textEl.hidden = false;
        input.focus();
      } else if (event.key === "Enter") {
        event.preventDefault();
        api(idUrl(form.dataset.updateUrl, id), { text: editor.value }).then(function (res) {
          if (res.ok && res.data.idea) {
            renderSaved(li, res.data.idea);
            announce(fmt(texts.edited, { id: id }));
            input.focus();
          } else {
            announce((res.data.error && res.data.error.message) || texts.retrying);
          }
        }, function () { announce(texts.retrying); });
      }
    });
  }

  // -- character counter ------------------------------------------------------------------------------

  function updateCounter() {
    var n = input.value.length;
    if (n > maxLength * 0.8) {
      counter.textContent = fmt(texts.tooLong, { n: n, max: maxLength });
      counter.classList.toggle("over", n > maxLength);
    } else {
      counter.textContent = "";
      counter.classList.remove("over");
    }
  }

  // -- tag suggestions (combobox) -------------------------------------------------------------------------

  var activeIndex = -1;
  var options = [];

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", suggestBox.id);

  function refreshTags() {
    fetch(form.dataset.tagsUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : { tags: [] }; })
      .then(function (data) { knownTags = (data.tags || []).map(function (t) { return { label: t.label, key: t.key }; }); },
            function () { /* offline: keep the tags we have */ });
  }

  function currentTagPrefix() {
    var before = input.value.slice(0, input.selectionStart || input.value.length);
    var match = /(^|\s)#([\p{L}\p{N}_-]*)$/u.exec(before);
    return match ? match[2] : null;
  }

  function closeSuggestions() {
    suggestBox.hidden = true;
    suggestBox.textContent = "";
    options = [];
    activeIndex = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function showSuggestions() {
    var prefix = currentTagPrefix();
    if (prefix === null || !prefix.length) { closeSuggestions(); return; }
    var key = fold(prefix);
    var matches = knownTags.filter(function (t) { return t.key.indexOf(key) === 0 && t.key !== key; }).slice(0, 6);
    if (!matches.length) { closeSuggestions(); return; }
    suggestBox.textContent = "";
    options = matches;
    activeIndex = -1;
    matches.forEach(function (tag, i) {
      var option = el("li", null, "#" + tag.label);
      option.id = "tag-option-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.addEventListener("mousedown", function (event) { event.preventDefault(); acceptTag(i); });
      suggestBox.appendChild(option);
    });
    suggestBox.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function highlight(index) {
    var items = suggestBox.querySelectorAll("li");
    activeIndex = (index + items.length) % items.length;
    for (var i = 0; i < items.length; i++) {
      items[i].setAttribute("aria-selected", i === activeIndex ? "true" : "false");
    }
    input.setAttribute("aria-activedescendant", items[activeIndex].id);
  }

  function acceptTag(index) {
    var tag = options[index];
    if (!tag) { return; }
    var caret = input.selectionStart || input.value.length;
    var before = input.value.slice(0, caret).replace(/#([\p{L}\p{N}_-]*)$/u, "#" + tag.label + " ");
    input.value = before + input.value.slice(caret);
    input.setSelectionRange(before.length, before.length);
    closeSuggestions();
  }

  input.addEventListener("keydown", function (event) {
    if (suggestBox.hidden) { return; }
    if (event.key === "ArrowDown") { event.preventDefault(); highlight(activeIndex + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(activeIndex - 1); }
    else if (event.key === "Escape") { event.preventDefault(); closeSuggestions(); }
    else if ((event.key === "Enter" || event.key === "Tab") && activeIndex >= 0) {
      event.preventDefault();
      acceptTag(activeIndex);
    }
  });

  input.addEventListener("blur", function () { window.setTimeout(closeSuggestions, 150); });

  // -- similar ideas while typing ------------------------------------------------------------------------

  var similarTimer = null;
  var similarSeq = 0;

  function showSimilar(items) {
    similarEl.textContent = "";
    if (!items.length) { return; }
    similarEl.appendChild(el("p", null, texts.similar));
    var ul = el("ul");
    items.forEach(function (s) {
      var li = el("li");
      var link = el("a", null, fmt(texts.number, { id: s.id }));
      link.href = s.url;
      li.appendChild(link);
      li.appendChild(document.createTextNode(" " + s.text + " (" + s.stand + ")"));
      ul.appendChild(li);
    });
    similarEl.appendChild(ul);
  }

  function querySimilar() {
    var text = input.value.replace(/#[\p{L}\p{N}_-]*/gu, " ").trim();
    var seq = ++similarSeq;
    if (text.length < 12) { similarEl.textContent = ""; return; }
    fetch(form.dataset.suggestUrl + "?q=" + encodeURIComponent(text),
          { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : { suggestions: [] }; })
      .then(function (data) { if (seq === similarSeq) { showSimilar(data.suggestions || []); } },
            function () { /* offline: no suggestions */ });
  }

  input.addEventListener("input", function () {
    updateCounter();
    showSuggestions();
    window.clearTimeout(similarTimer);
    similarTimer = window.setTimeout(querySimilar, 300);
  });

  // -- start -----------------------------------------------------------------------------------------------

  if (!clientIdField.value) { clientIdField.value = uuid4(); }
  enhanceServerItems();
  restorePending();
  refreshTags();
  listenToOthers();
  input.focus();
}());
