/* The meeting screen, in place: each change is sent as it is made and only the parts of the
   screen it changed come back, so the screen never jumps and nothing typed is lost.
   Without JavaScript the same forms post and the page reloads at the same place. */
(function () {
  "use strict";
  var live = document.getElementById("live");
  var queue = Promise.resolve();
  // How many changes are on their way (tests and the offline mode wait on it).
  window.cajasPending = 0;

  function csrf() {
    var el = document.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }

  function say(text, isError) {
    if (!live) return;
    live.textContent = text || "";
    live.className = "live" + (isError ? " error" : "") + (text ? " shown" : "");
    clearTimeout(say.timer);
    if (text && !isError) say.timer = setTimeout(function () { live.className = "live"; }, 3000);
  }

  function clearErrors(scope) {
    scope.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
  }

  function showError(scope, message) {
    clearErrors(scope);
    var p = document.createElement("p");
    p.className = "field-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    scope.appendChild(p);
    return p;
  }

  // Changes that could not reach the server (no signal): kept in order, sent again when the
  // phone is back online or the treasurer taps «Reintentar». Each is safe to send twice: a
  // line's change sets values, and every form carries its one-time token.
  var unsent = [];

  function retryUnsent() {
    var again = unsent;
    unsent = [];
    again.forEach(function (change) {
      var scope = (change.scope.id && document.getElementById(change.scope.id)) || change.scope;
      enqueue(change.url, change.body, scope);
    });
  }
  window.addEventListener("online", retryUnsent);

  function offerRetry(scope) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "retry";
    button.textContent = live.dataset.retry || "Retry";
    button.addEventListener("click", retryUnsent);
    scope.querySelector(".field-error").appendChild(button);
  }

  // Changes made to a line and not yet answered: its fragment from an older answer would
  // undo what the treasurer has just typed, so it is not put back until the last answer.
  var pending = {};

  function swap(fragments) {
    Object.keys(fragments || {}).forEach(function (id) {
      var old = document.getElementById(id);
      if (!old || pending[id]) return;
      var tpl = document.createElement("template");
      tpl.innerHTML = fragments[id].trim();
      var fresh = tpl.content.firstElementChild;
      if (!fresh) return;
      var openDetails = old.tagName === "DETAILS" && old.open;
      old.replaceWith(fresh);
      if (openDetails) fresh.open = true;
      bind(fresh);
    });
  }

  function offerConfirm(scope, name, url, body, label) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "primary";
    button.textContent = label;
    button.addEventListener("click", function () {
      body.set(name, "1");
      enqueue(url, body, scope);
    });
    scope.appendChild(button);
  }

  function send(url, body, scope) {
    window.cajasPending += 1;
    var buttons = scope.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    scope.classList.add("saving");
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Cajas-Inplace": "1", "X-CSRFToken": csrf() },
    }).then(function (res) {
      var type = res.headers.get("content-type") || "";
      if (type.indexOf("application/json") < 0) {
        // Not an in-place answer: a page the server sent us on to (a session that ended, a
        // form already recorded) is shown; anything else is an error to try again.
        if (res.redirected) { window.location.assign(res.url); return; }
        var failed = (live.dataset.failed || "Error") + " (" + res.status + ")";
        showError(scope, failed);
        say(failed, true);
        return;
      }
      return res.json().then(function (data) {
        if (data.redirect) { window.location.assign(data.redirect); return; }
        if (!data.ok) {
          showError(scope, data.error);
          if (data.confirm) offerConfirm(scope, data.confirm, url, body, live.dataset.confirm || "OK");
          say(data.error, true);
          return;
        }
        clearErrors(scope);
        swap(data.fragments);
        say(data.message || live.dataset.saved);
      });
    }).catch(function () {
      unsent.push({ url: url, body: body, scope: scope });
      showError(scope, live.dataset.offline);
      offerRetry(scope);
      say(live.dataset.offline, true);
    }).finally(function () {
      window.cajasPending -= 1;
      buttons.forEach(function (b) { b.disabled = false; });
      scope.classList.remove("saving");
    });
  }

  // One change at a time, in the order made (a double tap waits for the first answer).
  function enqueue(url, body, scope) {
    queue = queue.then(function () { return send(url, body, scope); });
    return queue;
  }

  function bindRow(row) {
    row.addEventListener("change", function () {
      var id = row.id;
      pending[id] = (pending[id] || 0) + 1;
      var body = new FormData();
      row.querySelectorAll("select, input").forEach(function (el) {
        if (el.type === "checkbox") { if (el.checked) body.append(el.name, "on"); }
        else body.append(el.name, el.value);
      });
      row.classList.toggle("away", row.querySelector("select").value !== "present");
      queue = queue.then(function () {
        pending[id] -= 1;
        var current = document.getElementById(id) || row;
        return send(row.dataset.row, body, current);
      });
    });
  }

  function bindForm(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.classList.contains("saving")) return;  // a double tap: the first is on its way
      var body = new FormData(form, event.submitter || undefined);
      enqueue(form.action, body, form);
    });
  }

  function bind(root) {
    if (root.matches && root.matches("fieldset[data-row]")) bindRow(root);
    if (root.matches && root.matches("form[data-inplace]")) bindForm(root);
    root.querySelectorAll("fieldset[data-row]").forEach(bindRow);
    root.querySelectorAll("form[data-inplace]").forEach(bindForm);
  }

  // The whole sheet is still posted as a page; it waits for the lines on their way first.
  var sheet = document.getElementById("sheet");
  if (sheet) {
    sheet.addEventListener("submit", function (event) {
      if (sheet.dataset.flushed) return;
      event.preventDefault();
      queue.then(function () {
        sheet.dataset.flushed = "1";
        if (sheet.requestSubmit) sheet.requestSubmit(event.submitter || undefined);
        else sheet.submit();
      });
    });
  }

  bind(document);
})();
