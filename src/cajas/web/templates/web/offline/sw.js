/* Cajas service worker (docs/offline.md): the meeting screen opens with no signal.
   The screen's assets are kept at install; a meeting screen is kept each time it is opened
   with signal, and shown from the phone when there is none. Nothing else is cached: every
   other page and every change goes to the server (changes wait in IndexedDB meanwhile). */
"use strict";
const VERSION = "{{ version }}";
const ASSETS = {{ assets|safe }};
const STATIC = "cajas-static-" + VERSION;
const PAGES = "cajas-pages";
const MEETING = /^\/cajas\/\d+\/meetings\/\d+\/$/;
const OFFLINE = {{ offline|safe }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (c) { return c.addAll(ASSETS); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("cajas-static-") === 0 && k !== STATIC; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function keep(path, response) {
  if (!response.ok || response.redirected) return; // a login page is not the meeting screen
  const copy = response.clone();
  return caches.open(PAGES).then(function (c) { return c.put(path, copy); });
}

// The page asks for the screen it shows to be kept (it was opened before the worker ran).
self.addEventListener("message", function (event) {
  const path = event.data && event.data.keep;
  if (!path || !MEETING.test(path)) return;
  event.waitUntil(fetch(path, { credentials: "same-origin" }).then(function (r) { return keep(path, r); }).catch(function () {}));
});

// «Salir» on a shared phone: the kept screens go with the session.
self.addEventListener("message", function (event) {
  if (event.data && event.data.forget) event.waitUntil(caches.delete(PAGES));
});

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && MEETING.test(url.pathname)) {
    event.respondWith(fetch(request).then(function (response) {
      keep(url.pathname, response);
      return response;
    }).catch(function () {
      return caches.open(PAGES).then(function (c) { return c.match(url.pathname, { ignoreVary: true }); }).then(function (hit) {
        return hit || new Response(OFFLINE, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    }));
    return;
  }
  if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname).then(function (hit) { return hit || fetch(request); }));
  }
});
