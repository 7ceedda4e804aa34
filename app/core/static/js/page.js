/* Behaviour every page shares.
 *
 * 1. Flash messages are rendered with the page, so a live region around them is never
 * announced; their text is copied into the empty live region #announce after load, which
 * screen readers do announce (WCAG 4.1.3).
 *
 * 2. After a failed submit the error summary gets the focus and the page title starts with
 * "Fehler:", so screen-reader users hear at once that the form was not accepted (WCAG 3.3.1); its
 * links move the focus to their field.
 * Forms with required fields say once, above their first field, what the asterisk means.
 *
 * 3. Wide tables scroll sideways inside their .table-wrap. A region that scrolls must be reachable
 * by keyboard (WCAG 2.1.1, axe "scrollable-region-focusable"): every .table-wrap that overflows
 * becomes a focusable, named region (named by its table's caption or the nearest heading before
 * it, numbered when two would share a name); one that no longer overflows goes back to normal.
 * Wraps that the template already made regions are left alone.
 *
 * 4. Every POST form says which page it is on (hidden field _page): if its token is refused because
 * the session has expired, the server shows that page again with what was typed
 * (app/core/formreplay.py), instead of an error page that loses it. */
(function () {
  "use strict";

  function nameOf(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    for (var node = wrap; node && node !== document.body; node = node.parentElement) {
      for (var prev = node.previousElementSibling; prev; prev = prev.previousElementSibling) {
        if (/^H[1-6]$/.test(prev.tagName)) { return prev.textContent.trim(); }
        var inner = prev.querySelectorAll && prev.querySelectorAll("h1, h2, h3, h4, h5, h6");
        if (inner && inner.length) { return inner[inner.length - 1].textContent.trim(); }
      }
    }
    return document.title;
  }

  function update() {
    var used = {};
    Array.prototype.forEach.call(document.querySelectorAll(".table-wrap[role=region][aria-label]"), function (wrap) {
      if (!wrap.dataset.autoRegion) { used[wrap.getAttribute("aria-label")] = true; }
    });
    Array.prototype.forEach.call(document.querySelectorAll(".table-wrap"), function (wrap) {
      if (wrap.hasAttribute("role") && !wrap.dataset.autoRegion) { return; }
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        var name = nameOf(wrap);
        var label = name;
        for (var n = 2; used[label]; n++) { label = name + " (" + n + ")"; }
        used[label] = true;
        wrap.dataset.autoRegion = "1";
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", label);
        wrap.setAttribute("tabindex", "0");
      } else if (wrap.dataset.autoRegion) {
        delete wrap.dataset.autoRegion;
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
        wrap.removeAttribute("tabindex");
      }
    });
  }

  function announceFlashes() {
    var target = document.getElementById("announce");
    var flashes = document.querySelectorAll(".flashes .flash");
    if (!target || !flashes.length) { return; }
    window.setTimeout(function () {
      target.textContent = Array.prototype.map.call(flashes, function (p) { return p.textContent.trim(); }).join(" ");
    }, 250);
  }

  function formHelp() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      document.title = summary.dataset.titlePrefix + ": " + document.title;
      summary.focus();
      // A link of the summary moves the focus to its field (a fragment link alone only scrolls).
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        if (!link) { return; }
        var id = decodeURIComponent(link.getAttribute("href").slice(1));
        var target = document.getElementById(id) || document.querySelector("[name='" + id.replace(/'/g, "") + "']");
        if (target && !/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) {
          target = target.querySelector("input, select, textarea") || target;
        }
        if (!target || typeof target.focus !== "function") { return; }
        event.preventDefault();
        target.focus();
        target.scrollIntoView({block: "center"});
      });
    }
    var note = (document.getElementById("announce") || {dataset: {}}).dataset.requiredNote;
    if (!note) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      var mark = form.querySelector(".required-mark");
      if (!mark || form.querySelector(".required-note")) { return; }
      var first = mark.closest(".field") || mark.parentElement;
      var p = document.createElement("p");
      p.className = "hint required-note";
      p.textContent = note;
      first.parentElement.insertBefore(p, first);
    });
  }

  function markPage() {
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      if ((form.getAttribute("method") || "").toLowerCase() !== "post" || form.querySelector("input[name=_page]")) { return; }
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "_page";
      input.value = window.location.pathname + window.location.search;
      form.appendChild(input);
    });
  }

  var timer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 100);
  });
  update();
  announceFlashes();
  formHelp();
  markPage();
}());
