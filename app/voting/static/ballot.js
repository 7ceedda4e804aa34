// Dot voting without page reloads: the +/- forms are sent with fetch (same fields,
// X-CSRFToken header) and the counts are updated in place. Without JavaScript the
// forms post and the server redirects back to the idea.
(function () {
  "use strict";
  var remainingEl = document.getElementById("remaining");
  var message = document.getElementById("vote-message");
  if (!remainingEl) { return; }
  var total = parseInt(document.getElementById("dots-left").dataset.total, 10);

  function say(text, isError) {
    message.textContent = text || "";
    message.classList.toggle("is-error", !!isError);
  }

  function update(item, data) {
    var mine = item.querySelector(".mine");
    mine.textContent = data.mine;
    item.querySelector(".dots-visual").textContent = new Array(data.mine + 1).join("\u25CF");
    item.classList.toggle("has-dots", data.mine > 0);
    item.querySelector("input[name=op][value=remove]").form.querySelector("button").disabled = data.mine === 0;
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
    if (button.disabled) { return; }
    var item = form.closest(".idea-ballot");
    var body = new FormData(form);
    button.disabled = true;
    fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": body.get("csrf_token")}
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (result) {
      button.disabled = false;
      if (result.ok) {
        update(item, result.data);
        say("");
      } else {
        say(result.data.error ? result.data.error.message : "", true);
        if (body.get("op") === "remove") {
          button.disabled = parseInt(item.querySelector(".mine").textContent, 10) === 0;
        }
      }
    }).catch(function () {
      button.disabled = false;
      form.submit();  // network trouble: fall back to the plain form
    });
  });
  void total;
})();
