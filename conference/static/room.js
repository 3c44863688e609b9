// Presentation mode: keyboard shortcuts, the case timer, a draft of the decision kept while typing, and, for
// followers, the chair's screen followed live (conditional polling with ETags: works with any number of
// workers, on PostgreSQL and SQLite). The page works without this file; it only saves clicks and reloads.
(function () {
  "use strict";
  var room = document.getElementById("room");
  if (!room) return;
  var stateUrl = room.dataset.stateUrl;
  var following = room.dataset.follow === "true";
  var etag = null;
  var revision = room.dataset.revision;

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      var form = document.getElementById("decision-form");
      if (form) { event.preventDefault(); form.requestSubmit(document.getElementById("save-decision")); }
      return;
    }
    if (typing(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
    var link = null;
    if (event.key === "ArrowRight" || event.key === "n") link = document.getElementById("next-case");
    if (event.key === "ArrowLeft" || event.key === "p") link = document.getElementById("previous-case");
    if (link) { event.preventDefault(); link.click(); }
  });

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // m:ss, or h:mm:ss from an hour on
  function duration(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s % 60);
  }
  function say(template, ms) { return template.replace("{time}", duration(ms)); }
  var LONG_AGO = 4 * 3600000;  // past this, "over" says nothing useful: the meeting has simply ended
  var skew = null;  // the server's clock (the app's clock) minus this browser's
  function tick() {
    var timer = document.getElementById("timer");
    if (!timer) return;
    if (skew === null || timer.dataset.now !== timer.dataset.seenNow) {
      skew = timer.dataset.now ? Date.parse(timer.dataset.now) - Date.now() : 0;
      timer.dataset.seenNow = timer.dataset.now;
    }
    var now = Date.now() + skew;
    var ends = Date.parse(timer.dataset.ends);
    var allotted = Number(timer.dataset.allotted) * 60000;
    var parts = [];
    if (timer.dataset.started) {
      var spent = now - Date.parse(timer.dataset.started);
      if (spent > LONG_AGO) parts.push(duration(allotted));
      else if (spent > allotted) parts.push(say(timer.dataset.caseOver, spent - allotted));
      else parts.push(duration(spent) + " / " + duration(allotted));
      timer.classList.toggle("over", spent > allotted && spent <= LONG_AGO);
    } else {
      parts.push(duration(allotted));
    }
    if (ends > now) parts.push(say(timer.dataset.left, ends - now));
    else if (now - ends <= LONG_AGO) parts.push(say(timer.dataset.over, now - ends));
    else parts.push(timer.dataset.ended);
    if (!timer.dataset.label) {  // the words stay as the tooltip; the figures tick
      timer.dataset.label = timer.textContent.trim();
      timer.title = timer.dataset.label;
    }
    timer.textContent = parts.join(" · ");
  }

  function setUpDraft() {
    var form = document.getElementById("decision-form");
    var holder = room.querySelector(".room");
    if (!form || !window.localStorage) return;
    var key = "conference-draft-" + form.dataset.draftKey;
    if (holder && holder.dataset.saved === holder.dataset.item) localStorage.removeItem(key);
    var names = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.type !== "hidden" && el.type !== "submit" && names.indexOf(el.name) < 0) names.push(el.name);
    });
    var stored = localStorage.getItem(key);
    if (stored) {
      var draft = JSON.parse(stored);
      var changed = false;
      names.forEach(function (name) {
        var el = form.elements[name];
        if (el && draft[name] !== undefined && el.value !== draft[name]) { el.value = draft[name]; changed = true; }
      });
      var notice = document.getElementById("draft-notice");
      if (changed && notice) notice.hidden = false;
    }
    form.addEventListener("input", function () {
      var draft = {};
      names.forEach(function (name) { var el = form.elements[name]; if (el) draft[name] = el.value; });
      localStorage.setItem(key, JSON.stringify(draft));
    });
    var discard = document.getElementById("draft-discard");
    if (discard) discard.addEventListener("click", function () { localStorage.removeItem(key); window.location.reload(); });
  }

  function setUpFollowToggle() {
    var toggle = document.getElementById("follow-toggle");
    if (!toggle) return;
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      following = !following;
      toggle.textContent = following ? toggle.dataset.stop : toggle.dataset.start;
      if (following) poll();
    });
  }

  function show(url) {
    var fragment = url + (url.indexOf("?") < 0 ? "?" : "&") + "fragment=1";
    return fetch(fragment, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) return;
      return response.text().then(function (html) {
        room.innerHTML = html;
        history.replaceState(null, "", url);
        var title = room.querySelector("h1");
        if (title) document.title = title.textContent.trim().split("\n")[0];
        start();
      });
    });
  }

  function poll() {
    if (!following || document.hidden) return;
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(stateUrl, { credentials: "same-origin", headers: headers, cache: "no-store" })
      .then(function (response) {
        if (response.status === 304 || !response.ok) return;
        etag = response.headers.get("ETag");
        return response.json().then(function (state) {
          if (String(state.revision) === String(revision)) return;
          revision = state.revision;
          var here = room.querySelector(".room");
          var url = state.current_url || window.location.pathname;
          if (here && state.current_item_id && String(state.current_item_id) !== here.dataset.item) return show(url);
          return show(window.location.pathname);
        });
      })
      .catch(function () { /* the network comes back; the next poll catches up */ });
  }

  function start() {
    tick();
    setUpDraft();
  }

  start();
  setUpFollowToggle();
  window.setInterval(tick, 1000);
  if (following) window.setInterval(poll, 2000);
  document.documentElement.dataset.room = "ready";  // the keys work from here on
})();
