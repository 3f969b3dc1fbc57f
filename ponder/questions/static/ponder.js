// Live updates on the question page. An EventSource holds the stream named by #live; each
// message names a change and its ids. A vote's message also carries what every reader sees of
// the idea's tally (its count and first voters) when the question shows those to everyone: the
// vote box is patched from it, keeping the reader's own mark, and nothing is fetched. Any other
// change fetches the changed fragment with the reader's own cookies, so their votes, likes and
// edit rights stay right. Without JavaScript the page is simply not live; every action still
// works as a form post.
// (Not htmx's SSE extension: it logs a console error on every reconnect, and after a refused
// connection it starts again without Last-Event-ID. The browser's EventSource does both right.)
//
// What the markup must keep for this script: #live (data-stream, data-types, data-version,
// data-base, data-msg-*), #live-status, #idea-list (data-shown), #ideas, #more-ideas,
// #comment-list (data-all), rows `article#idea-<id>`, vote boxes `#votes-<id>` with
// [data-tally=count] (the number), [data-tally=unit] ("vote"/"votes") and, when anyone voted,
// [data-tally=voters]; comment edit forms `form.edit-form`.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.htmx) return;

  var version = Number(live.dataset.version) || 0;
  var base = live.dataset.base; // "/q/<id>/"
  var language = document.documentElement.lang || "en";
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(language) : null;
  var numbers = window.Intl ? new Intl.NumberFormat(language) : null;
  // Parts not refreshed because the reader is working in them, by element id, with what brings
  // each up to date once they are done (runDeferred).
  var deferred = new Map();
  // The newest tally of each idea an event brought: {version, count, voters, more}. A fragment
  // that was asked for before that version gets it put back (patchTallies).
  var tallies = new Map();

  function announce(text) {
    var region = document.getElementById("live-status");
    if (region && text) region.textContent = text;
  }

  function typedIn(element) {
    // A field counts once the reader has typed in it: a name filled in by the server does not.
    return Array.prototype.some.call(element.querySelectorAll("textarea, input[type=text]"),
      function (field) { return field.value.trim() !== "" && field.value !== field.defaultValue; });
  }

  function busy(element) {
    // Someone typing in a row, or with a form opened in it, keeps it until they are done.
    if (!element) return false;
    if (element.contains(document.activeElement)) return true;
    return typedIn(element);
  }

  function busyComments(element) {
    // The comment list is busy while the reader edits a comment in it: its form open, or a
    // field focused or typed in. Focus on a link or button there is not: after posting a
    // comment, focus is on its Edit link, and the reader would never see another comment come
    // in. The swap keeps such focus where it was (swapKeepingFocus).
    if (!element) return false;
    if (element.querySelector("form.edit-form")) return true;
    var active = document.activeElement;
    if (active && element.contains(active) && active.matches("textarea, input, select")) return true;
    return typedIn(element);
  }

  function busyPart(id, element) {
    return id === "comment-list" ? busyComments(element) : busy(element);
  }

  // A keyboard user keeps their place across a live swap: the control at the same place in the
  // nearest element with an id (the comment, the row) is focused again.
  var FOCUSABLE = "a[href], button, input:not([type=hidden]), textarea, select, summary";
  function focusPlace(container) {
    var active = document.activeElement;
    if (!active || active === document.body || !container.contains(active)) return null;
    var anchor = active.closest("[id]");
    if (!anchor) return null;
    var index = Array.prototype.indexOf.call(anchor.querySelectorAll(FOCUSABLE), active);
    return { anchor: anchor.id, index: index };
  }
  function refocus(place) {
    var active = document.activeElement;
    if (!place || (active && active !== document.body)) return;
    var anchor = document.getElementById(place.anchor);
    if (!anchor) return;
    var control = place.index < 0 ? anchor : anchor.querySelectorAll(FOCUSABLE)[place.index];
    if (control && control.focus) control.focus({ preventScroll: true });
  }
  function swapKeepingFocus(element, html, style) {
    var place = focusPlace(element);
    var opened = openedIn(element);
    htmx.swap(element, html, { swapStyle: style });
    refocus(place);
    reopen(opened);
  }

  // What the reader opened stays open across a live swap: a panel ("Add a pro or con", opened
  // with a click, its form loaded on opening), and a row's pros and cons shown in full (the
  // fresh row holds the strongest only: they are fetched again).
  function openedIn(element) {
    var panels = [];
    Array.prototype.forEach.call(element.querySelectorAll("details[open]"), function (panel) {
      var anchor = panel.parentElement && panel.parentElement.closest("[id]");
      if (!anchor) return;
      var index = Array.prototype.indexOf.call(anchor.querySelectorAll("details"), panel);
      panels.push({ anchor: anchor.id, index: index });
    });
    var unfolded = Array.prototype.map.call(
      element.querySelectorAll(".argument-list[data-unfolded]"), function (list) {
        return list.dataset.idea;
      });
    return { panels: panels, unfolded: unfolded };
  }
  function reopen(opened) {
    opened.panels.forEach(function (place) {
      var anchor = document.getElementById(place.anchor);
      var panel = anchor && anchor.querySelectorAll("details")[place.index];
      if (panel && !panel.open) panel.open = true;
    });
    opened.unfolded.forEach(function (idea) {
      var id = "arguments-" + idea;
      var list = document.getElementById(id);
      if (!list || list.hasAttribute("data-unfolded")) return;
      fetchPart(id, base + "ideas/" + idea + "/?part=arguments", function (html) {
        var folded = document.getElementById(id);
        if (folded && !folded.hasAttribute("data-unfolded")) {
          htmx.swap(folded, html, { swapStyle: "outerHTML" });
        }
      }, null);
    });
  }

  // One fetch at a time per part of the page; changes that come in while it is on its way fetch
  // it once more when it is in (so a burst of 50 changes costs two fetches, and the newest
  // version wins). fetch() rather than htmx.ajax: htmx queues every request of a script on the
  // same element (the body) and drops all but the last queued one, so a burst of changes to
  // different ideas would leave some rows behind.
  var fetching = new Map(); // element id -> { again: what to run when this fetch is in }
  function fetchPart(id, url, place, again) {
    var state = fetching.get(id);
    if (state) { state.again = again; return; }
    fetching.set(id, { again: null });
    var asked = version;
    var finish = function () {
      var done = fetching.get(id);
      fetching.delete(id);
      if (done && done.again) done.again();
    };
    window.fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) { place(html, asked); })
      .then(finish, finish); // a failed fetch waits for the next change (or the reconnect)
  }

  // Replace part `id` with the fetched HTML, unless the reader began working in it meanwhile:
  // then it is refreshed once they are done.
  function replacing(id, refresh) {
    return function (html, asked) {
      var element = document.getElementById(id);
      if (!element) return;
      if (busyPart(id, element)) { deferred.set(id, refresh); return; }
      swapKeepingFocus(element, html, "outerHTML");
      patchTallies(asked);
    };
  }

  function refreshIdea(id) {
    var key = "idea-" + id;
    var row = document.getElementById(key);
    if (!row) return;
    var refresh = function () { refreshIdea(id); };
    if (busy(row)) { deferred.set(key, refresh); return; }
    deferred.delete(key);
    fetchPart(key, base + "ideas/" + id + "/?part=row", replacing(key, refresh), refresh);
  }

  function addIdea(id) {
    if (document.getElementById("idea-" + id)) return;
    var list = document.getElementById("idea-list");
    if (!list) return;
    // While some ideas are not shown, a new one (no votes yet) belongs among those.
    if (document.getElementById("more-ideas")) { announce(live.dataset.msgIdeaAdded); return; }
    // In an order or with a filter the reader chose (`?sort=`, `?q=`), the list knows where it
    // goes, or that it is not shown at all.
    if (list.dataset.query) {
      refreshPart("ideas", "ideas");
      announce(live.dataset.msgIdeaAdded);
      return;
    }
    fetchPart("new-idea-" + id, base + "ideas/" + id + "/?part=row", function (html) {
      var target = document.getElementById("idea-list");
      // The answer to one's own new idea may have added it meanwhile.
      if (!target || document.getElementById("idea-" + id)) return;
      htmx.swap(target, html, { swapStyle: "beforeend" });
    }, null);
    announce(live.dataset.msgIdeaAdded);
  }

  function refreshPart(part, id) {
    var element = document.getElementById(id);
    if (!element) return;
    var refresh = function () { refreshPart(part, id); };
    if (busyPart(id, element)) { deferred.set(id, refresh); return; }
    deferred.delete(id);
    // Keep what the reader opened: as many ideas as shown, every comment if asked for.
    var list = document.getElementById("idea-list");
    var extra = part === "ideas" && list && list.dataset.shown ? "&ideas=" + list.dataset.shown : "";
    // ... in the order and with the filter the reader chose (`?sort=`, `?q=`).
    if (part === "ideas" && list && list.dataset.query) extra += "&" + list.dataset.query;
    if (part === "comment_list" && element.dataset.all) extra = "&comments=all";
    fetchPart(id, base + "?part=" + part + extra, replacing(id, refresh), refresh);
  }

  function refreshAll() {
    refreshPart("ideas", "ideas");
    refreshPart("comment_list", "comment-list");
  }

  function runDeferred() {
    var waiting = Array.from(deferred.values());
    deferred.clear();
    waiting.forEach(function (refresh) { refresh(); }); // each defers itself again if still busy
  }
  // Once focus leaves a deferred part, or a swap closed the form that kept it (an edit saved),
  // bring it up to date.
  document.addEventListener("focusout", function () { window.setTimeout(runDeferred, 0); });
  document.addEventListener("htmx:afterSettle", function () { window.setTimeout(runDeferred, 0); });

  // Tallies patched in place ---------------------------------------------------------------

  function plural(forms, n) {
    var form = plurals && plurals.select(n) === "one" ? forms[0] : forms[1];
    return form.replace("%(n)s", numbers ? numbers.format(n) : String(n));
  }
  var unitForms = JSON.parse(live.dataset.msgVotes || '["vote","votes"]');
  var moreForms = JSON.parse(live.dataset.msgMoreVoters || '["%(n)s more","%(n)s more"]');

  function votersLine(id, tally) {
    var line = document.createElement("p");
    line.className = "voters";
    line.dataset.tally = "voters";
    // Each name in a <bdi> of its own, as the server draws it: a right-to-left name must not
    // reorder its neighbours.
    tally.voters.forEach(function (name, i) {
      var bdi = document.createElement("bdi");
      bdi.textContent = name;
      line.append(i ? ", " : "", bdi);
    });
    if (tally.more > 0) {
      var url = base + "ideas/" + id + "/";
      var link = document.createElement("a");
      link.href = url + "#voters";
      link.setAttribute("hx-get", url + "?part=voters");
      link.setAttribute("hx-target", "closest .voters");
      link.setAttribute("hx-swap", "outerHTML");
      link.textContent = plural(moreForms, tally.more);
      line.append(" " + (live.dataset.msgAnd || "and") + " ", link);
    }
    return line;
  }

  // Show `tally` in the idea's vote box: the count and the first voters every reader sees;
  // the reader's own vote button is theirs and stays as it is.
  function patchVotes(id, tally) {
    var box = document.getElementById("votes-" + id);
    var count = box && box.querySelector("[data-tally=count]");
    if (!count) return false;
    count.textContent = numbers ? numbers.format(tally.count) : String(tally.count);
    var unit = box.querySelector("[data-tally=unit]");
    if (unit) unit.textContent = plural(unitForms, tally.count);
    var old = box.querySelector("[data-tally=voters]");
    if (!tally.voters.length) {
      if (old) old.remove();
    } else {
      var line = votersLine(id, tally);
      if (old) old.replaceWith(line); else box.append(line);
      htmx.process(line);
    }
    return true;
  }

  // A fragment asked for at version `asked` may be older than a tally an event brought since:
  // put the newer tallies back.
  function patchTallies(asked) {
    tallies.forEach(function (tally, id) { if (tally.version > asked) patchVotes(id, tally); });
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.closest && elt.closest("[id^=votes-]")) elt.dataset.asked = String(version);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    // The answer to the reader's own vote shows the tally as it was read with their vote; an
    // event from a later vote may have come first.
    var config = event.detail && event.detail.requestConfig;
    var elt = config && config.elt;
    var asked = elt && elt.dataset && elt.dataset.asked;
    if (asked !== undefined) patchTallies(Number(asked));
  });

  function onVote(data) {
    if (typeof data.count !== "number") { refreshIdea(data.idea); return; } // not for everyone
    var tally = { version: data.version, count: data.count, voters: data.voters || [], more: data.more || 0 };
    tallies.set(data.idea, tally);
    if (!patchVotes(data.idea, tally)) refreshIdea(data.idea);
  }

  // Where the idea list changes ------------------------------------------------------------

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
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var row = event.detail.fragment && event.detail.fragment.querySelector("article.idea[id]");
    if (target && target.id === "idea-list" && row && document.getElementById(row.id)) {
      event.detail.shouldSwap = false;
    }
  });
  document.addEventListener("htmx:afterSettle", tidyIdeaList);
  document.addEventListener("htmx:oobAfterSwap", tidyIdeaList);

  // "Show more ideas": the keyboard goes on at the first idea it brought.
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail && event.detail.requestConfig;
    var link = config && config.elt;
    var first = link && link.dataset && link.dataset.focusIdea;
    if (first === undefined || first === null) return;
    var rows = document.querySelectorAll("#idea-list > .idea, .winners > .idea");
    var title = rows[Number(first)] && rows[Number(first)].querySelector(".idea-title");
    if (!title) return;
    title.setAttribute("tabindex", "-1");
    title.focus();
  });

  // The stream ---------------------------------------------------------------------------

  function onMessage(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (data.type === "hello") return;
    if (data.type === "access.ended") {
      // They may no longer read it (a revoked invitation, a new rule of who takes part), or it
      // was deleted: load the page again, which says so (its gate, or that it is gone).
      source.close();
      window.location.reload();
      return;
    }
    if (data.type === "refresh") {
      // The server cannot replay what we missed (too much, or its log is older than our page,
      // as after a restore): start again from its version, whatever ours was.
      version = data.version;
      refreshAll();
      return;
    }
    if (data.version <= version) return; // seen already (a replay after reconnecting)
    var gap = data.version > version + 1;
    version = data.version; // a new connection (after a refusal) resumes from here
    if (gap) { refreshAll(); return; }

    var kind = data.type.split(".")[0];
    if (data.type === "idea.added") addIdea(data.idea);
    else if (data.type === "idea.deleted") {
      var row = document.getElementById("idea-" + data.idea);
      if (row) row.remove();
    } else if (kind === "vote") {
      onVote(data);
    } else if (kind === "idea" || kind === "argument" || kind === "like") {
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
