/* The plenary summary, live (the connection: live.js): a new, changed or hidden idea updates
 * its stand's list (oldest first), its count and its top tags (the five most used tags of
 * the stand's visible ideas, as the server computes them). Texts go in with textContent only.
 */
(function () {
  "use strict";

  var root = document.getElementById("summary");
  if (!root || !window.IdeenmarktLive) { return; }
  var TOP_TAGS = 5;

  function section(standId) {
    return root.querySelector('section[data-stand-id="' + String(standId) + '"]');
  }

  function refresh(sec) {
    var items = sec.querySelectorAll(".summary-ideas li");
    var template = items.length === 1 ? root.dataset.countOne : root.dataset.countMany;
    sec.querySelector(".summary-count").textContent = template.replace("{n}", String(items.length));
    var online = sec.querySelectorAll('.summary-ideas li[data-channel="online"]').length;
    var onlineLine = sec.querySelector(".summary-online");
    if (onlineLine) {
      onlineLine.textContent = (online === 1 ? root.dataset.onlineOne : root.dataset.onlineMany)
        .replace("{n}", String(online));
      onlineLine.hidden = online === 0;
    }
    var counts = {};
    Array.prototype.forEach.call(items, function (li) {
      var tags = [];
      try { tags = JSON.parse(li.dataset.tags || "[]"); } catch (e) { tags = []; }
      tags.forEach(function (label) { counts[label] = (counts[label] || 0) + 1; });
    });
    var top = Object.keys(counts).sort(function (a, b) {
      return counts[b] - counts[a] || (a < b ? -1 : a > b ? 1 : 0);
    }).slice(0, TOP_TAGS);
    var holder = sec.querySelector(".summary-tag-list");
    holder.textContent = "";
    top.forEach(function (label) {
      var span = document.createElement("span");
      span.className = "wall-tag";
      span.textContent = "#" + label + " (" + counts[label] + ")";
      holder.appendChild(span);
      holder.appendChild(document.createTextNode(" "));
    });
    sec.querySelector(".summary-tags").hidden = top.length === 0;
  }

  function render(idea) {
    var previous = root.querySelector('.summary-ideas li[data-id="' + String(idea.id) + '"]');
    var oldSection = previous ? previous.closest("section") : null;
    var sec = section(idea.stand_id);
    if (previous && (!idea.visible || !sec || oldSection !== sec)) {
      previous.remove();
      refresh(oldSection);
      previous = null;
    }
    if (!idea.visible || !sec) { return; }
    var list = sec.querySelector(".summary-ideas");
    var li = previous || document.createElement("li");
    li.dataset.id = String(idea.id);
    li.dataset.tags = JSON.stringify(idea.tags || []);
    li.dataset.channel = idea.channel || "room";
    li.textContent = "";
    var textSpan = document.createElement("span");
    textSpan.className = "summary-text";
    textSpan.textContent = idea.text;
    var sample = root.querySelector(".summary-text[lang]");  // the content's language, as on the page
    if (sample) { textSpan.lang = sample.lang; }
    li.appendChild(textSpan);
    if (idea.channel === "online") {  // submitted in the online phase (issue 18): marked in words
      var mark = document.createElement("span");
      mark.className = "wall-channel";
      mark.textContent = root.dataset.onlineLabel || "Online";
      li.appendChild(document.createTextNode(" "));
      li.appendChild(mark);
    }
    if (!previous) {
      var before = null;
      for (var i = 0; i < list.children.length; i++) {
        if (parseInt(list.children[i].dataset.id, 10) > idea.id) { before = list.children[i]; break; }
      }
      list.insertBefore(li, before);
    }
    refresh(sec);
  }

  IdeenmarktLive(root, document.getElementById("wall-status"), render);
}());
