/* The check-in counter at the door, live (the connection: core's live.js; the state:
 * app/voting/live.py): a participant checked in at another door, a walk-in or a seat given back
 * updates the numbers; the newest reading wins, whatever arrives first. */
(function () {
  "use strict";

  var box = document.getElementById("attendance");
  if (!box || !window.IdeenmarktLive) { return; }
  var newest = 0;

  function set(id, value) {
    var node = document.getElementById(id);
    if (!node || value === undefined || node.textContent === String(value)) { return false; }
    node.textContent = String(value);
    return true;
  }

  window.IdeenmarktLive.state(box, document.getElementById("live-status"), "attendance", function (data, asOf) {
    if (asOf < newest) { return false; }  // an older reading
    newest = asOf;
    var changed = set("checked-in", data.checked_in);
    changed = set("confirmed", data.confirmed) || changed;
    changed = set("walk-ins-count", data.walk_ins) || changed;
    var walkIns = document.getElementById("walk-ins");
    if (walkIns) { walkIns.hidden = !data.walk_ins; }
    return changed;
  });
}());
