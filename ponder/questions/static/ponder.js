// Live updates on the question page. An EventSource holds the stream named by #live; each
// message names a change and its ids, and this script fetches the changed fragment with htmx and
// the reader's own cookies, so their votes, likes and edit rights stay right. Without JavaScript
// the page is simply not live; every action still works as a form post.
// (Not htmx's SSE extension: it logs a console error on every reconnect, and after a refused
// connection it starts again without Last-Event-ID. The browser's EventSource does both right.)
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.htmx) return;

  var version = Number(live.dataset.version) || 0;
  var base = live.dataset.base; // "/q/<id>/"
  var deferred = new Set(); // rows not refreshed because the reader is working in them

  function announce(text) {
    var region = document.getElementById("live-status");
    if (region && text) region.textContent = text;
  }

  function busy(element) {
    // Someone typing in a row, or with a form opened in it, keeps it until they are done.
    if (!element) return false;
    if (element.contains(document.activeElement)) return true;
    // A field counts once the reader has typed in it: a name filled in by the server does not.
    return Array.prototype.some.call(element.querySelectorAll("textarea, input[type=text]"),
      function (field) { return field.value.trim() !== "" && field.value !== field.defaultValue; });
  }

  // One fetch at a time per part of the page: htmx would queue a second fetch on the same
  // element and then drop it, because the first answer replaces that element. A change that
  // comes in while its part is being fetched fetches it again once that answer is in.
  var fetching = new Map(); // element id -> whether another change came meanwhile
  function fetchOnce(id, url, again) {
    if (fetching.has(id)) { fetching.set(id, true); return; }
    var element = document.getElementById(id);
    if (!element) return;
    fetching.set(id, false);
    var done = function () {
      var more = fetching.get(id);
      fetching.delete(id);
      if (more) again();
    };
    htmx.ajax("GET", url, { target: element, swap: "outerHTML" }).then(done, done);
  }

  function refreshIdea(id) {
    var row = document.getElementById("idea-" + id);
    if (!row) return;
    if (busy(row)) { deferred.add(id); return; }
    deferred.delete(id);
    fetchOnce("idea-" + id, base + "ideas/" + id + "/?part=row", function () { refreshIdea(id); });
  }

  function addIdea(id) {
    if (document.getElementById("idea-" + id)) return;
    var list = document.getElementById("idea-list");
    if (!list) return;
    // While some ideas are not shown, a new one (no votes yet) belongs among those.
    if (document.getElementById("more-ideas")) { announce(live.dataset.msgIdeaAdded); return; }
    htmx.ajax("GET", base + "ideas/" + id + "/?part=row", { target: list, swap: "beforeend" });
    announce(live.dataset.msgIdeaAdded);
  }

  function tidyIdeaList() {
    var list = document.getElementById("idea-list");
    if (!list || !list.querySelector(".idea")) return;
    // "No ideas yet" goes once the first idea is in the list (sent live or added here).
    Array.prototype.forEach.call(list.querySelectorAll(":scope > .empty"),
      function (empty) { empty.remove(); });
    // The event of an idea added here can overtake the answer that shows it, so the row may
    // come twice: keep the first.
    var seen = new Set();
    Array.prototype.forEach.call(list.querySelectorAll(":scope > .idea"), function (row) {
      if (seen.has(row.id)) row.remove();
      else seen.add(row.id);
    });
  }

  function refreshPart(part, target) {
    var element = document.getElementById(target);
    if (!element || busy(element)) return;
    // Keep what the reader opened: as many ideas as shown, every comment if asked for.
    var list = document.getElementById("idea-list");
    var extra = part === "ideas" && list && list.dataset.shown ? "&ideas=" + list.dataset.shown : "";
    // ... in the order and with the filter the reader chose (`?sort=`, `?q=`).
    if (part === "ideas" && list && list.dataset.query) extra += "&" + list.dataset.query;
    if (part === "comment_list" && element.dataset.all) extra = "&comments=all";
    fetchOnce(target, base + "?part=" + part + extra, function () { refreshPart(part, target); });
  }

  function refreshAll() {
    refreshPart("ideas", "ideas");
    refreshPart("comment_list", "comment-list");
  }

  // A keyboard user keeps their place. htmx refocuses a swapped control that has an id (vote,
  // like, fields); when the focused control is gone (the Add button of a pro or con, inside a
  // form that closes), focus the new row's "Add a pro or con" instead of dropping to the page,
  // or the first field of a form that came in place of the link the reader was on.
  var lostFocusIn = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    lostFocusIn = target && target.id && target.contains(document.activeElement) ? target.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var active = document.activeElement;
    var container = lostFocusIn && document.getElementById(lostFocusIn);
    lostFocusIn = null;
    if (!container || (active && active !== document.body)) return;
    var next = container.querySelector("details > summary") ||
      container.querySelector("button, a[href], input:not([type=hidden]), textarea");
    if (next) next.focus();
  });
  // The answer to one's own new idea and its live event can cross: whichever comes second does
  // not add the row again (tidyIdeaList would remove it, but only once the swap has settled).
  var ROW_ID = /<article id="(idea-[0-9A-Za-z]{12})"/;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "idea-list") return;
    var row = ROW_ID.exec(event.detail.serverResponse || "");
    if (row && document.getElementById(row[1])) event.detail.shouldSwap = false;
  });
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var row = event.detail.fragment && event.detail.fragment.querySelector("article.idea[id]");
    if (target && target.id === "idea-list" && row && document.getElementById(row.id)) {
      event.detail.shouldSwap = false;
    }
  });
  document.addEventListener("htmx:afterSettle", tidyIdeaList);

  // "Show more ideas": the keyboard goes on at the first idea it brought.
  document.addEventListener("htmx:afterSettle", function (event) {
    var link = event.detail.requestConfig && event.detail.requestConfig.elt;
    var first = link && link.dataset && link.dataset.focusIdea;
    if (first === undefined || first === null) return;
    var rows = document.querySelectorAll("#idea-list > .idea, .winners > .idea");
    var title = rows[Number(first)] && rows[Number(first)].querySelector(".idea-title");
    if (!title) return;
    title.setAttribute("tabindex", "-1");
    title.focus();
  });
  document.addEventListener("htmx:oobAfterSwap", tidyIdeaList);

  function resumeFrom(newVersion) {
    version = newVersion; // a new connection (after a refusal) resumes from here
  }

  document.addEventListener("focusout", function () {
    // After focus leaves a deferred row, bring it up to date.
    window.setTimeout(function () { deferred.forEach(refreshIdea); }, 0);
  });

  function onMessage(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (data.type === "hello") return;
    if (data.type === "refresh") {
      // The server cannot replay what we missed (too much, or its log is older than our page,
      // as after a restore): start again from its version, whatever ours was.
      resumeFrom(data.version);
      refreshAll();
      return;
    }
    if (data.version <= version) return; // seen already (a replay after reconnecting)
    var gap = data.version > version + 1;
    resumeFrom(data.version);
    if (gap) { refreshAll(); return; }

    var kind = data.type.split(".")[0];
    if (data.type === "idea.added") addIdea(data.idea);
    else if (data.type === "idea.deleted") {
      var row = document.getElementById("idea-" + data.idea);
      if (row) row.remove();
    } else if (kind === "idea" || kind === "vote" || kind === "argument" || kind === "like") {
      refreshIdea(data.idea);
    } else if (kind === "comment") {
      refreshPart("comment_list", "comment-list");
      if (data.type === "comment.added") announce(live.dataset.msgCommentAdded);
    } else if (kind === "question") {
      announce(live.dataset.msgQuestionChanged);
      window.setTimeout(function () { window.location.reload(); }, 300);
    } else {
      refreshAll();
    }
  }

  var source = null;
  var backoff = 0;
  function connect() {
    source = new EventSource(live.dataset.stream + "?since=" + version);
    live.dataset.types.split(",").forEach(function (type) {
      source.addEventListener(type, onMessage);
    });
    source.onopen = function () { backoff = 0; };
    source.onerror = function () {
      // A dropped stream is resumed by the browser itself, with Last-Event-ID. Only when the
      // server refused (503 when full, or it was down) is the stream closed: try again later.
      if (source.readyState === EventSource.CLOSED) {
        backoff = Math.min(backoff * 2 || 1, 30);
        window.setTimeout(connect, backoff * 1000);
      }
    };
  }
  window.addEventListener("pagehide", function () { if (source) source.close(); });
  connect();
})();
