/* The public outcome page of an event, live while its results are being published (the
 * connection: core's live.js; the state: app/results/live.py). A message carries only the
 * sections whose HTML changed (key figures, ranking, stands, tags, participation), rendered by
 * the server with the page's own template (escaped there), each with a hash; a section keeps
 * the newest. nginx publishes the unfiltered first page in every language: a page in another
 * language ignores it, a page with a filter or on a later page reads its own state instead. */
(function () {
  "use strict";

  var box = document.getElementById("outcome-live");
  if (!box || !window.IdeenmarktLive) { return; }
  var FOCUSABLE = "a[href], [tabindex]";
  var sectionAsOf = {};
  var conn = null;

  conn = window.IdeenmarktLive.state(box, document.getElementById("live-status"), "outcome", function (data, asOf) {
    if (data.published && data.lang !== box.dataset.lang) { return false; }
    if (data.published && box.dataset.filtered === "1") {
      if (conn) { conn.catchUp(); }
      return false;
    }
    var changed = false;
    Object.keys(data.sections || {}).forEach(function (name) {
      var part = data.sections[name];
      var el = box.querySelector('[data-live-section="' + name + '"]');
      if (!el || sectionAsOf[name] > asOf) { return; }  // an older reading
      sectionAsOf[name] = asOf;
      if (el.dataset.hash === part.hash) { return; }
      // Keyboard focus inside the section (a scrollable table, a page link) stays where it was.
      var focusable = el.querySelectorAll(FOCUSABLE);
      var focused = Array.prototype.indexOf.call(focusable, document.activeElement);
      el.innerHTML = part.html;
      el.dataset.hash = part.hash;
      if (focused >= 0) {
        focusable = el.querySelectorAll(FOCUSABLE);
        if (focusable[focused]) { focusable[focused].focus({preventScroll: true}); }
      }
      changed = true;
    });
    return changed;
  });
}());
