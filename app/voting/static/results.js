/* The public voting results, live while the count goes on (the connection: core's live.js; the
 * state: app/voting/live.py). A message carries only the ideas whose totals changed (and the
 * ones no longer shown); the catch-up brings the whole table ("complete"). Each row keeps the
 * newest reading; the table stays sorted by total. When voting closes or opens again, the page
 * loads anew (everything changes). Texts are inserted with textContent only. */
(function () {
  "use strict";

  var box = document.getElementById("results-live");
  if (!box || !window.IdeenmarktLive) { return; }
  var body = document.getElementById("results-rows");
  var rowAsOf = {};
  var sumsAsOf = 0;
  var reloading = false;

  function setText(node, value) {
    if (!node || node.textContent === String(value)) { return false; }
    node.textContent = String(value);
    return true;
  }

  function findRow(id) {
    return body ? body.querySelector('tr[data-idea-id="' + id + '"]') : null;
  }

  function makeRow(row) {
    var tr = document.createElement("tr");
    tr.dataset.ideaId = String(row.id);
    for (var i = 0; i < 6; i++) { tr.appendChild(document.createElement("td")); }
    tr.lastChild.appendChild(document.createElement("strong"));
    body.appendChild(tr);
    return tr;
  }

  function fill(tr, row) {
    var cells = tr.children;
    var changed = setText(cells[0], row.text);
    changed = setText(cells[1], row.stand) || changed;
    changed = setText(cells[2], row.room) || changed;
    changed = setText(cells[3], row.board) || changed;
    changed = setText(cells[4], row.online) || changed;
    changed = setText(cells[5].firstChild || cells[5], row.total) || changed;
    tr.dataset.total = String(row.total);
    tr.dataset.created = row.created;
    return changed;
  }

  function sort() {
    var rows = Array.prototype.slice.call(body.children);
    rows.sort(function (a, b) {
      return (parseInt(b.dataset.total, 10) - parseInt(a.dataset.total, 10)) ||
        (a.dataset.created < b.dataset.created ? -1 : a.dataset.created > b.dataset.created ? 1 : 0) ||
        (parseInt(a.dataset.ideaId, 10) - parseInt(b.dataset.ideaId, 10));
    });
    rows.forEach(function (tr) { body.appendChild(tr); });
  }

  window.IdeenmarktLive.state(box, document.getElementById("live-status"), "results", function (data, asOf) {
    if (reloading) { return false; }
    if (data.state && data.state !== box.dataset.state) {
      reloading = true;  // closed or opened again: the whole page changes
      window.location.reload();
      return true;
    }
    if (!body || !data.rows) { return false; }
    var changed = false;
    if (asOf >= sumsAsOf && data.sums) {
      sumsAsOf = asOf;
      changed = setText(document.getElementById("sum-room"), data.sums.room) || changed;
      changed = setText(document.getElementById("sum-board"), data.sums.board) || changed;
      changed = setText(document.getElementById("sum-online"), data.sums.online) || changed;
    }
    var seen = {};
    data.rows.forEach(function (row) {
      seen[row.id] = true;
      if (rowAsOf[row.id] > asOf) { return; }  // an older reading
      rowAsOf[row.id] = asOf;
      var tr = findRow(row.id);
      if (!tr) { tr = makeRow(row); changed = true; }
      changed = fill(tr, row) || changed;
    });
    var gone = (data.removed || []).slice();
    if (data.complete) {
      Array.prototype.forEach.call(body.children, function (tr) {
        if (!seen[tr.dataset.ideaId]) { gone.push(tr.dataset.ideaId); }
      });
    }
    gone.forEach(function (id) {
      if (rowAsOf[id] > asOf) { return; }
      rowAsOf[id] = asOf;
      var tr = findRow(id);
      if (tr) { tr.remove(); changed = true; }
    });
    if (changed) { sort(); }
    return changed;
  });
}());
