/* The meeting screen, offline first (docs/offline.md).

   Every change the treasurer makes is written to the phone first (IndexedDB) with its own key,
   then sent to the API in the order made, when there is signal: a line of the sheet, «todo
   como de costumbre», an item, a fine, a loan handed over or repaid, and the close itself. The
   server applies each key once and checks every rule again; a refusal comes back next to what
   it refused. Another phone's edits of the same meeting merge line by line and field by field;
   the same field changed to two values is shown here to choose. Closing the tab, reloading or
   locking the phone loses nothing; with a service worker (HTTPS or localhost) the screen also
   opens with no signal at all.

   Without JavaScript the same forms post and the page reloads at the same place. */
import * as store from "./store.js";
import { FIELDS, expected, lineChange, minutesSince, rebase } from "./sheet.js";

(function () {
  "use strict";
  const app = document.getElementById("meeting-app");
  if (!app || !window.indexedDB) return;
  const T = app.dataset;
  const SHEET = T.sheet;
  const USER = T.user;
  const live = document.getElementById("live");
  const statusBox = document.getElementById("sync-status");
  const statusLine = statusBox.querySelector("[role=status]");
  const sendNowButton = statusBox.querySelector("button");

  const state = {
    sheet: null, // {id, known, knownAt, conflicts, refused, syncedAt}
    changes: [], // queued, oldest first
    syncing: false,
    again: false,
    online: navigator.onLine,
    signedOut: false,
    failed: 0,
  };
  // How many changes are on their way (the browser tests wait on it).
  window.cajasPending = 0;

  function text(name, values) {
    let s = T[name] || name;
    Object.keys(values || {}).forEach(function (k) { s = s.split("{" + k + "}").join(values[k]); });
    return s;
  }

  // data-done-item-add → T.doneItemAdd
  function camel(prefix, kind) {
    return prefix + kind.split("_").map(function (w) { return w.charAt(0).toUpperCase() + w.slice(1); }).join("");
  }

  function randomKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // crypto.randomUUID needs HTTPS; a closed network may not have it
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function device() {
    let id = localStorage.getItem("cajas-device");
    if (!id) { id = randomKey().slice(0, 12); localStorage.setItem("cajas-device", id); }
    return id;
  }

  function csrf() {
    const cookie = document.cookie.split("; ").find(function (c) { return c.indexOf("csrftoken=") === 0; });
    if (cookie) return cookie.slice("csrftoken=".length);
    const el = document.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }

  function say(message, isError) {
    if (!live) return;
    live.textContent = message || "";
    live.className = "live" + (isError ? " error" : "") + (message ? " shown" : "");
    clearTimeout(say.timer);
    if (message && !isError) say.timer = setTimeout(function () { live.className = "live"; }, 3000);
  }

  // ---- The sheet's lines on the screen ----

  function rows() { return Array.from(document.querySelectorAll("fieldset[data-member]")); }
  function rowOf(n) { return document.getElementById("row-" + n); }
  function input(fs, field) { return fs.querySelector("[name=" + field + "_" + fs.dataset.member + "]"); }
  function mine(c) { return c.user === USER; }

  function shown(fs) {
    return {
      status: input(fs, "status").value,
      late: input(fs, "late").checked,
      shares: parseInt(input(fs, "shares").value, 10),
      fund: input(fs, "fund").checked,
    };
  }

  // The line as the server rendered it (the HTML's own values, whatever was tapped since).
  function rendered(fs) {
    const status = Array.from(input(fs, "status").options).find(function (o) { return o.defaultSelected; });
    const shares = Array.from(input(fs, "shares").options).find(function (o) { return o.defaultSelected; });
    return {
      status: status ? status.value : input(fs, "status").options[0].value,
      late: input(fs, "late").defaultChecked,
      shares: parseInt(shares ? shares.value : input(fs, "shares").options[0].value, 10),
      fund: input(fs, "fund").defaultChecked,
    };
  }

  function show(fs, line) {
    if (!line) return;
    input(fs, "status").value = line.status;
    input(fs, "late").checked = !!line.late;
    input(fs, "shares").value = String(line.shares);
    input(fs, "fund").checked = !!line.fund;
    fs.classList.toggle("away", line.status !== "present");
  }

  function label(field, value, fs) {
    if (field === "status") {
      const option = input(fs, "status").querySelector("option[value='" + value + "']");
      return option ? option.textContent : value;
    }
    if (field === "shares") return String(value);
    return value ? T.yes : T.no;
  }

  function note(scope, className, message) {
    let p = scope.querySelector(":scope > ." + className);
    if (!message) { if (p) p.remove(); return null; }
    if (!p) {
      p = document.createElement("p");
      p.className = className;
      scope.appendChild(p);
    }
    p.textContent = message;
    return p;
  }

  function conflictsOf(n) { return state.sheet.conflicts[n] || []; }

  function paintConflicts(fs) {
    const n = fs.dataset.member;
    const old = fs.querySelector(".conflict");
    if (old) old.remove();
    const list = conflictsOf(n);
    if (!list.length) return;
    const box = document.createElement("div");
    box.className = "conflict";
    box.setAttribute("role", "alert");
    list.forEach(function (c) {
      const p = document.createElement("p");
      p.textContent = T["field" + c.field.charAt(0).toUpperCase() + c.field.slice(1)] + ": " +
        text("conflict", { theirs: label(c.field, c.theirs, fs), mine: label(c.field, c.mine, fs) });
      const keep = document.createElement("button");
      keep.type = "button";
      keep.className = "primary";
      keep.textContent = text("keepMine", { mine: label(c.field, c.mine, fs) });
      keep.addEventListener("click", function () { resolve(n, c, true); });
      const take = document.createElement("button");
      take.type = "button";
      take.textContent = text("takeTheirs", { theirs: label(c.field, c.theirs, fs) });
      take.addEventListener("click", function () { resolve(n, c, false); });
      p.appendChild(document.createElement("br"));
      p.appendChild(keep);
      p.appendChild(take);
      box.appendChild(p);
    });
    fs.appendChild(box);
  }

  function paintRows() {
    const queued = state.changes.filter(mine);
    const lines = expected(state.sheet.known, queued);
    const waiting = {};
    queued.forEach(function (c) { if (c.kind === "row") waiting[c.payload.member] = true; });
    rows().forEach(function (fs) {
      const n = fs.dataset.member;
      const line = Object.assign({}, lines[n]);
      conflictsOf(n).forEach(function (c) { line[c.field] = c.mine; });
      if (lines[n]) show(fs, line);
      fs.classList.toggle("unsent", !!waiting[n]);
      note(fs, "unsent-note", waiting[n] ? T.unsentRow : "");
      note(fs, "field-error", (state.sheet.refused["row-" + n] || {}).message || "");
      paintConflicts(fs);
    });
  }

  // ---- Changes to forms (items, fines, loans, usual, close) ----

  function targetOf(form) { return form.dataset.target || form.id || "items"; }

  function payloadOf(form, data) {
    const kind = form.dataset.change;
    const get = function (name) { return (data.get(name) || "").toString(); };
    switch (kind) {
      case "item_add": return { item_kind: get("kind"), amount: get("amount"), member: get("member"), description: get("description") };
      case "item_amount": return { item: +form.dataset.item, amount: get("amount") };
      case "item_remove": return { item: +form.dataset.item };
      case "fine_pay": case "fine_waive": return { member: +form.dataset.member, amount: get("amount") };
      case "disburse": return { loan: +form.dataset.loan };
      case "repay": return { loan: +form.dataset.loan, amount: get("amount"), prepay: data.get("prepay") === "on" };
      case "usual": return { zero_shares_confirmed: data.get("confirm_zero") === "1" };
      case "close": return { counted_cash: get("counted_cash") };
    }
    return null;
  }

  function describe(c) {
    if (c.kind === "close") return text("closePrepared", { cash: c.payload.counted_cash });
    if (c.kind === "row") return null;
    return T[camel("kind", c.kind)] + (c.payload.amount ? " · " + c.payload.amount + " USD" : "") +
      (c.payload.member ? " · " + c.payload.member : "");
  }

  function paintUnsent() {
    const box = document.getElementById("unsent");
    if (!box) return;
    box.innerHTML = "";
    state.changes.filter(mine).forEach(function (c) {
      const what = describe(c);
      if (!what) return;
      const li = document.createElement("li");
      li.className = "card item unsent";
      li.dataset.testid = "unsent-" + c.kind;
      li.textContent = what + " ";
      const cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "link";
      cancel.textContent = T.cancel;
      cancel.addEventListener("click", function () { drop(c); });
      li.appendChild(cancel);
      box.appendChild(li);
    });
    Object.keys(state.sheet.refused).forEach(function (target) {
      const refused = state.sheet.refused[target];
      if (target.indexOf("row-") === 0) return;
      const scope = document.getElementById(target);
      if (scope) {
        const p = note(scope, "field-error", refused.message);
        if (p && refused.confirm && !p.querySelector("button")) {
          const yes = document.createElement("button");
          yes.type = "button";
          yes.className = "primary";
          yes.textContent = T.confirm;
          yes.addEventListener("click", function () {
            delete state.sheet.refused[target];
            queue("usual", { zero_shares_confirmed: true }, target);
          });
          p.appendChild(document.createElement("br"));
          p.appendChild(yes);
        }
      }
    });
  }

  // ---- Where things stand ----

  function paintStatus() {
    const queued = state.changes.filter(mine).length;
    const conflicts = Object.keys(state.sheet.conflicts).reduce(function (n, k) { return n + state.sheet.conflicts[k].length; }, 0);
    const refused = Object.keys(state.sheet.refused).length;
    let line;
    if (!state.online) line = queued ? text("offlineCount", { n: queued }) : T.offline;
    else if (state.signedOut) line = T.signedOut;
    else if (state.failed) line = text("failed", { status: state.failed, n: queued });
    else if (queued) line = text("sending", { n: queued });
    else if (state.sheet.syncedAt) {
      const m = minutesSince(state.sheet.syncedAt, Date.now());
      line = m < 1 ? T.syncedNow : text("synced", { m: m });
    } else line = T.syncedNow;
    if (conflicts) line += " · " + text("conflicts", { n: conflicts });
    if (refused) line += " · " + text("refused", { n: refused });
    statusLine.textContent = line;
    statusBox.hidden = false;
    statusBox.className = "sync-status" + (state.online ? "" : " offline") + (conflicts || refused ? " attention" : "");
    statusBox.dataset.queued = String(queued);
    // The phone may believe it has signal when it has not: the treasurer can try at once.
    sendNowButton.hidden = !(queued && !state.syncing);
    window.cajasPending = queued + (state.syncing ? 1 : 0);
  }

  function paint() {
    paintRows();
    paintUnsent();
    paintStatus();
  }

  // ---- The queue ----

  // Changes are written one after the other, each to the phone before anything else.
  let chain = Promise.resolve();
  function serial(step) {
    chain = chain.then(step).catch(function (e) { say(String(e), true); });
    return chain;
  }

  async function queue(kind, payload, target, done) {
    const change = { key: randomKey(), sheet: SHEET, kind: kind, payload: payload, target: target, made: Date.now(), user: USER, done: done || "" };
    change.seq = await store.changeAdd(change);
    state.changes.push(change);
    delete state.sheet.refused[target];
    await store.sheetPut(state.sheet);
    paint();
    sync();
  }

  async function drop(change) {
    await store.changeDelete(change.seq);
    state.changes = state.changes.filter(function (c) { return c.seq !== change.seq; });
    paint();
  }

  async function resolve(n, conflict, keepMine) {
    state.sheet.conflicts[n] = conflictsOf(n).filter(function (c) { return c.field !== conflict.field; });
    if (!state.sheet.conflicts[n].length) delete state.sheet.conflicts[n];
    await store.sheetPut(state.sheet);
    if (keepMine) {
      const values = {}; const base = {};
      values[conflict.field] = conflict.mine;
      base[conflict.field] = state.sheet.known[n][conflict.field];
      await queue("row", { member: +n, values: values, base: base }, "row-" + n);
    } else paint();
  }

  function rowChanged(fs, line) {
    const n = fs.dataset.member;
    const queued = state.changes.filter(mine);
    const change = lineChange(expected(state.sheet.known, queued)[n], line, conflictsOf(n).map(function (c) { return c.field; }));
    if (change) return queue("row", { member: +n, values: change.values, base: change.base }, "row-" + n);
  }

  // ---- Sending ----

  function absorbOne(change, result) {
    const n = change.kind === "row" ? String(change.payload.member) : null;
    if (result.status === "applied" || result.status === "repeated") {
      if (!n && change.kind !== "close") say(change.done || T[camel("done", change.kind)] || T.saved);
      if (n && result.outcome && result.outcome.row) {
        state.sheet.known[n] = result.outcome.row;
        const fresh = (result.outcome.conflicts || []);
        if (fresh.length) {
          const others = conflictsOf(n).filter(function (c) { return !fresh.some(function (f) { return f.field === c.field; }); });
          state.sheet.conflicts[n] = others.concat(fresh);
        }
      }
      return true;
    }
    if (result.status === "refused") {
      state.sheet.refused[change.target] = {
        message: result.error.message,
        confirm: result.error.code === T.zeroSharesCode,
        typed: change.kind === "row" ? null : change.payload,
      };
      rebase(state.changes, change).forEach(function (c) { store.changePut(c); });
      return true;
    }
    return false; // held: it waits, and so does everything after it
  }

  async function absorb(batch, data) {
    const byKey = {};
    (data.results || []).forEach(function (r) { byKey[r.key] = r; });
    let carryOn = true;
    for (const change of batch) {
      const result = byKey[change.key];
      if (!result || !absorbOne(change, result)) { carryOn = false; break; }
      await store.changeDelete(change.seq);
      state.changes = state.changes.filter(function (c) { return c.seq !== change.seq; });
    }
    if (data.sheet) {
      Object.keys(data.sheet).forEach(function (n) { state.sheet.known[n] = data.sheet[n]; });
      state.sheet.knownAt = data.at;
    }
    state.sheet.syncedAt = Date.now();
    await store.sheetPut(state.sheet);
    return carryOn;
  }

  async function post(batch) {
    return fetch(T.syncUrl, {
      method: "POST",
      credentials: "same-origin",
      // The API reads Accept-Language; the screen's own language is the one the web chose
      // (the phone's may well be English while she reads Spanish: core/middleware.py).
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept-Language": document.documentElement.lang || "es" },
      body: JSON.stringify({
        device: device(),
        changes: batch.map(function (c) { return Object.assign({ key: c.key, kind: c.kind }, c.payload); }),
      }),
    });
  }

  async function sync() {
    if (state.syncing) { state.again = true; return; }
    state.syncing = true;
    state.failed = 0;
    state.signedOut = false;
    paintStatus();
    let reached = false;
    try {
      for (;;) {
        const batch = state.changes.filter(mine).slice(0, 40);
        if (!batch.length) break;
        let res;
        try { res = await post(batch); } catch (e) { state.online = false; return; }
        state.online = true;
        if (res.status === 401) {
          // The session ended: to the login and back here; the changes wait on the phone.
          window.location.assign(T.loginUrl + "?next=" + encodeURIComponent(window.location.pathname));
          return;
        }
        if (res.status === 403) { state.signedOut = true; return; }
        if (!res.ok) { state.failed = res.status; return; }
        const data = await res.json();
        reached = true;
        const carryOn = await absorb(batch, data);
        if (data.redirect) { window.location.assign(data.redirect); return; }
        if (!carryOn) break;
      }
      if (reached) await refresh();
    } finally {
      state.syncing = false;
      paint();
      if (state.again) { state.again = false; sync(); }
    }
  }

  // The parts of the screen the server computes (totals, items, loans): fetched again after
  // a sync. A line with a change still on its way keeps what the treasurer typed.
  async function refresh(idle) {
    let res;
    try { res = await fetch(T.fragmentsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } }); }
    catch (e) { state.online = false; return; }
    state.online = true;
    if (!res.ok || (res.headers.get("content-type") || "").indexOf("application/json") < 0) return;
    const data = await res.json();
    Object.keys(data.fragments || {}).forEach(function (id) {
      const old = document.getElementById(id);
      if (!old || (idle && busy(old))) return; // a poll never swaps under her fingers
      const tpl = document.createElement("template");
      tpl.innerHTML = data.fragments[id].trim();
      const fresh = tpl.content.firstElementChild;
      if (!fresh) return;
      const openDetails = old.tagName === "DETAILS" && old.open;
      old.replaceWith(fresh);
      if (openDetails) fresh.open = true;
      bind(fresh);
      retype(fresh);
    });
    if (data.sheet) {
      Object.keys(data.sheet).forEach(function (n) { state.sheet.known[n] = data.sheet[n]; });
      state.sheet.knownAt = data.at;
      state.sheet.syncedAt = Date.now();
      await store.sheetPut(state.sheet);
    }
  }

  // A refused form shows again what was typed in it, to correct it (fragments come back empty).
  const TYPED = { item_kind: "kind", amount: "amount", member: "member", description: "description", counted_cash: "counted_cash" };
  function retype(root) {
    Object.keys(state.sheet.refused).forEach(function (target) {
      const typed = state.sheet.refused[target].typed;
      const scope = document.getElementById(target);
      if (!typed || !scope || !root.contains(scope)) return;
      Object.keys(TYPED).forEach(function (k) {
        const el = scope.querySelector("[name=" + TYPED[k] + "]");
        if (el && typed[k] !== undefined && el.type !== "hidden") el.value = typed[k];
      });
      if (scope.tagName === "DETAILS") scope.open = true;
    });
  }

  // A part of the screen she is typing in (focus there, or a field changed and not sent).
  function busy(root) {
    if (root.contains(document.activeElement) && document.activeElement !== document.body) return true;
    return Array.from(root.querySelectorAll("input, select, textarea")).some(function (el) {
      if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
      if (el.tagName === "SELECT") return Array.from(el.options).some(function (o) { return o.selected !== o.defaultSelected; });
      return el.type !== "hidden" && el.value !== el.defaultValue;
    });
  }

  // ---- Forms that need the server there and then (a member leaving settles at once) ----

  function sendNow(form, data) {
    if (!navigator.onLine) { note(form, "field-error", T.needsSignal); return; }
    form.classList.add("saving");
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Cajas-Inplace": "1", "X-CSRFToken": csrf() } })
      .then(function (res) { return res.json(); })
      .then(function (answer) {
        if (answer.redirect) { window.location.assign(answer.redirect); return; }
        note(form, "field-error", answer.ok ? "" : answer.error);
      })
      .catch(function () { note(form, "field-error", T.needsSignal); })
      .finally(function () { form.classList.remove("saving"); });
  }

  // ---- Binding ----

  function bind(root) {
    root.querySelectorAll("fieldset[data-member]").forEach(function (fs) {
      if (fs.dataset.bound) return;
      fs.dataset.bound = "1";
      fs.addEventListener("change", function () {
        const line = shown(fs); // as tapped now: a later tap is a change of its own
        fs.classList.toggle("away", line.status !== "present");
        ready.then(function () { return serial(function () { return rowChanged(fs, line); }); });
      });
    });
    const forms = Array.from(root.querySelectorAll("form[data-change], form[data-inplace]"));
    if (root.matches && root.matches("form[data-change], form[data-inplace]")) forms.push(root);
    forms.forEach(function (form) {
      if (form.dataset.bound) return;
      form.dataset.bound = "1";
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        const data = new FormData(form, event.submitter || undefined);
        if (!form.dataset.change) { sendNow(form, data); return; }
        const now = Date.now();
        if (form.dataset.sentAt && now - +form.dataset.sentAt < 1500) return; // a double tap
        form.dataset.sentAt = String(now);
        const payload = payloadOf(form, data);
        if (form.dataset.change === "close" && !payload.counted_cash.trim()) {
          note(form, "field-error", T.countCash);
          return;
        }
        ready.then(function () { return serial(function () { return queue(form.dataset.change, payload, targetOf(form), form.dataset.done); }); });
        if (!navigator.onLine) say(T.savedHere);
      });
    });
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator) || !T.worker) return;
    navigator.serviceWorker.register(T.worker, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      // The screen as it is now, for opening it again with no signal.
      if (navigator.onLine && reg.active) reg.active.postMessage({ keep: window.location.pathname });
    }).catch(function () { /* no worker (plain HTTP on a closed network): the queue still works */ });
  }

  async function start() {
    state.sheet = await store.sheetGet(SHEET);
    const lines = {};
    const tapped = []; // lines changed before this script was ready
    rows().forEach(function (fs) {
      const server = rendered(fs);
      const now = shown(fs);
      lines[fs.dataset.member] = server;
      if (FIELDS.some(function (f) { return server[f] !== now[f]; })) tapped.push([fs, now]);
    });
    if (!state.sheet.knownAt || T.renderedAt > state.sheet.knownAt) {
      state.sheet.known = lines; // this page came from the server just now
      state.sheet.knownAt = T.renderedAt;
    }
    state.changes = await store.changesOf(SHEET);
    await store.sheetPut(state.sheet);
    paint();
    for (const [fs, line] of tapped) {
      show(fs, line);
      await rowChanged(fs, line);
    }
    window.addEventListener("online", function () { state.online = true; sync(); });
    sendNowButton.addEventListener("click", function () { sync(); });
    window.addEventListener("offline", function () { state.online = false; paintStatus(); });
    document.addEventListener("visibilitychange", function () { if (!document.hidden) sync(); });
    // Every 20 s: send what is waiting, or fetch what another phone recorded.
    setInterval(function () {
      if (state.changes.some(mine)) sync();
      else if (!state.syncing && navigator.onLine) refresh(true).then(paint);
    }, 20000);
    registerWorker();
    app.dataset.ready = "1";
    sync();
  }

  let started;
  const ready = new Promise(function (resolve) { started = resolve; });
  bind(document); // at once: a tap made while the phone's storage opens is not lost
  start().then(started);
})();
