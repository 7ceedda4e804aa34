// Updates every job progress box on the page from its JSON status once a second; when a job
// finishes the page is reloaded to show the result. Without JavaScript a <noscript> meta refresh
// reloads the page every few seconds.
(function () {
  "use strict";
  // A GET never starts a job: a page that needs one has a form asking for it, sent here at once.
  var start = document.querySelector("form[data-job-autostart]");
  if (start) {
    var button = start.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    start.submit();
    return;
  }
  var boxes = document.querySelectorAll("[data-job-url]");
  if (!boxes.length) { return; }
  function set(box, name, text) {
    var el = box.querySelector('[data-job-field="' + name + '"]');
    if (el && el.textContent !== text) { el.textContent = text; }
  }
  function poll(box) {
    fetch(box.getAttribute("data-job-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(function () { poll(box); }, 3000); return; }
        if (s.finished) { window.location.reload(); return; }
        set(box, "status_label", s.status_label);
        set(box, "stage_label", s.stage_label);
        set(box, "detail_text", s.detail_text || "");
        set(box, "estimate_text", s.estimate_text || "");
        set(box, "progress_text", s.progress + " %");
        var bar = box.querySelector("progress");
        if (bar) { bar.value = s.progress; }
        setTimeout(function () { poll(box); }, 1000);
      })
      .catch(function () { setTimeout(function () { poll(box); }, 3000); });
  }
  Array.prototype.forEach.call(boxes, poll);
})();
