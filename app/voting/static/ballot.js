// Dot voting without page reloads: the +/- forms are sent with fetch (same fields,
// X-CSRFToken header) and the counts are updated in place. Without JavaScript the
// forms post and the server redirects back to the idea.
//
// Keyboard and screen-reader users: the pressed button keeps the focus (it is never
// disabled while its request runs, only marked busy, so a second Enter works), and the
// status line says which idea got or lost the dot and the new counts. When "take back"
// becomes unavailable (no dot left on the idea) while it has the focus, the focus moves
// to the idea's "give a dot" button instead of falling to the page.
(function () {
  "use strict";
  var remainingEl = document.getElementById("remaining");
  var message = document.getElementById("vote-message");
  if (!remainingEl) { return; }
  var total = parseInt(document.getElementById("dots-left").dataset.total, 10);
  var texts = message.dataset;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return values[key]; });
  }

  function ideaTitle(item) {
    var text = item.querySelector(".idea-text").textContent.trim();
    return text.length > 60 ? text.slice(0, 57) + "…" : text;
  }

  function say(text, isError) {
    message.textContent = text || "";
    message.classList.toggle("is-error", !!isError);
  }

  function update(item, data) {
    var mine = item.querySelector(".mine");
    mine.textContent = data.mine;
    item.querySelector(".dots-visual").textContent = new Array(data.mine + 1).join("\u25CF");
    item.classList.toggle("has-dots", data.mine > 0);
    var removeButton = item.querySelector("input[name=op][value=remove]").form.querySelector("button");
    if (data.mine === 0 && document.activeElement === removeButton) {
      item.querySelector("input[name=op][value=add]").form.querySelector("button").focus();
    }
    removeButton.disabled = data.mine === 0;
    var standLeft = document.querySelector('[data-stand-remaining="' + data.scope_id + '"]');
    if (standLeft) {
      var before = parseInt(standLeft.textContent, 10);
      standLeft.textContent = data.remaining;
      remainingEl.textContent = Math.max(0, parseInt(remainingEl.textContent, 10) + (data.remaining - before));
    } else {
      remainingEl.textContent = data.remaining;
    }
    var stale = document.getElementById("receipt-stale");
    if (stale) { stale.hidden = false; document.getElementById("receipt").classList.add("muted"); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("dot-form") || !window.fetch) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    if (button.disabled || form.dataset.busy === "1") { return; }
    var item = form.closest(".idea-ballot");
    var body = new FormData(form);
    form.dataset.busy = "1";
    button.setAttribute("aria-busy", "true");
    function done() { delete form.dataset.busy; button.removeAttribute("aria-busy"); }
    fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": body.get("csrf_token")}
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (result) {
      done();
      if (result.ok) {
        update(item, result.data);
        say(fill(body.get("op") === "add" ? texts.added : texts.removed,
                 {idea: ideaTitle(item), mine: result.data.mine, left: remainingEl.textContent}));
      } else {
        say(result.data.error ? result.data.error.message : "", true);
        if (body.get("op") === "remove") {
          button.disabled = parseInt(item.querySelector(".mine").textContent, 10) === 0;
        }
      }
    }).catch(function () {
      done();
      form.submit();  // network trouble: fall back to the plain form
    });
  });
  void total;
})();
