// Live updates on a survey's page. One EventSource holds the survey's stream (#survey-live,
// data-stream): each `change` message names a question that changed, and that question's part
// (`#q-<id>-body`, data-version) is fetched again with the reader's own cookies and swapped in
// place (htmx), so their votes, likes and rights stay right. A `hello` (on connecting and on
// every reconnection) carries each question's version: a part showing an older one is fetched.
// Without JavaScript the page is not live; every action still works as a form post.
(function () {
  "use strict";
  var live = document.getElementById("survey-live");
  if (!live || !window.htmx || !window.EventSource) return;
  var page = live.dataset.page; // "/s/<id>/"
  var waiting = new Map(); // question id: timer of a fetch soon to come

  function busyIn(body) {
    // Not while the reader is typing or has a form open in it (a pro or con).
    var active = document.activeElement;
    return body.contains(active) && active.matches("input, textarea, select");
  }

  function refresh(questionId) {
    if (waiting.has(questionId)) return;
    // A burst of changes (votes by the dozen) fetches once.
    waiting.set(questionId, window.setTimeout(function () {
      waiting.delete(questionId);
      var body = document.getElementById("q-" + questionId + "-body");
      if (!body) return;
      if (busyIn(body)) {
        body.addEventListener("focusout", function () { refresh(questionId); }, { once: true });
        return;
      }
      window.htmx.ajax("GET", page + "?part=" + encodeURIComponent(questionId), {
        target: body, swap: "outerHTML"
      });
      var region = document.getElementById("live-status");
      if (region && live.dataset.msgChanged) region.textContent = live.dataset.msgChanged;
    }, 300));
  }

  var source = new EventSource(live.dataset.stream);
  source.addEventListener("hello", function (event) {
    var versions = JSON.parse(event.data).versions || {};
    Object.keys(versions).forEach(function (questionId) {
      var body = document.getElementById("q-" + questionId + "-body");
      if (body && Number(body.dataset.version) < versions[questionId]) refresh(questionId);
    });
  });
  source.addEventListener("change", function (event) {
    refresh(JSON.parse(event.data).question);
  });
  // They may no longer read one of its questions (a new rule of who takes part, a revoked
  // invitation): load the page again, which shows what they may see now.
  source.addEventListener("access.ended", function () {
    source.close();
    window.location.reload();
  });
})();
