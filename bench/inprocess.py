"""In-process figures: the question page and the results page, rendered by the real view through
the whole middleware stack (Django's test client, production settings: DEBUG off, collected
static files), with no server and no network in between.

For each page: the time per request (median of several), the SQL queries, the HTML in bytes (and
gzipped, as a compressing proxy would send it), and where the time goes: SQL (time in
`cursor.execute`), building the page's objects (`question_page` less its SQL), the template,
and the rest (middleware, the access check less its SQL, the response).

The results page is the question page of a closed question: the question is closed inside a
transaction that is rolled back afterwards, so the data stays as generated.

Each page is measured three ways: as most reads find it, with the page already rendered for the
question's current version (`ponder/questions/rendering.py`); "(after a vote)", the first read
after a vote: a vote for another idea each time (rolled back after the read), so the page is
rendered again around the rows kept, and the voted idea's row afresh; and "(new version)", the
first read with nothing kept at all, as after a restart. The breakdown is of the last; "template"
includes the shared render.
"""

import gzip
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Stopwatch:
    """Time spent in a few named places during one request."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.queries: dict[str, int] = {}
        self.where: list[str] = []
        self.statements: list[tuple[float, str]] = []  # (seconds, SQL) of each query

    def add(self, name: str, seconds: float) -> None:
        self.spent[name] = self.spent.get(name, 0.0) + seconds

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.where.append(name)
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - started)
                self.where.pop()

        return timed

    def sql(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - started
            self.add("sql", seconds)
            place = self.where[-1] if self.where else "other"
            self.add(f"sql in {place}", seconds)
            self.queries[place] = self.queries.get(place, 0) + 1
            self.statements.append((seconds, sql))


@contextmanager
def instrumented(watch: Stopwatch) -> Iterator[None]:
    """Time the view's three parts where the view calls them (the app's code is unchanged)."""
    from django.db import connection

    from ponder.questions import rendering, views

    wrapped = [
        (views, "question_for", "access"),
        (rendering, "question_page", "page data"),
        (rendering, "render_to_string", "template"),
        (views, "render", "template"),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in wrapped]
    for (module, name, part), (_, _, function) in zip(wrapped, saved, strict=True):
        setattr(module, name, watch.wrap(part, function))
    try:
        with connection.execute_wrapper(watch.sql):
            yield
    finally:
        for module, name, function in saved:
            setattr(module, name, function)


def signed_cookie(name: str, value: str) -> str:
    """A cookie value as the app itself signs it (the salt scheme is Django's business)."""
    from django.http import HttpResponse

    response = HttpResponse()
    response.set_signed_cookie(name, value)
    return response.cookies[name].value


def client_for(token: str | None) -> Any:
    from django.test import Client

    from ponder.questions.access import PARTICIPANT_COOKIE

    client = Client(HTTP_HOST="127.0.0.1")
    if token:
        client.cookies[PARTICIPANT_COOKIE] = signed_cookie(PARTICIPANT_COOKIE, token)
    return client


def measure_page(
    client: Any,
    path: str,
    *,
    runs: int,
    cold: bool = False,
    change: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """`cold`: nothing kept from earlier renders; `change(n)`: a change before the n-th read,
    rolled back after it."""
    from django.db import transaction

    from ponder.questions.rendering import latest, renders, rows

    response = client.get(path)  # warm: templates compiled, connection open
    assert response.status_code == 200, (path, response.status_code)
    html = response.content
    queries = set()
    times = []
    parts: dict[str, list[float]] = {}
    for run in range(runs):
        watch = Stopwatch()
        if cold or change is not None:
            latest.clear()  # what it costs to render, not what a lagging page may reuse
        if cold:
            renders.clear()
            rows.clear()
        with transaction.atomic():
            if change is not None:
                change(run)
            with instrumented(watch):
                started = time.perf_counter()
                client.get(path)
                total = time.perf_counter() - started
            if change is not None:
                transaction.set_rollback(True)
                renders.clear()  # the same version number comes again after the rollback
        times.append(total)
        queries.add(sum(watch.queries.values()))
        spent = watch.spent
        breakdown = {
            "sql": spent.get("sql", 0.0),
            "page objects (Python)": spent.get("page data", 0.0) - spent.get("sql in page data", 0),
            "template": spent.get("template", 0.0) - spent.get("sql in template", 0.0),
        }
        breakdown["middleware, access, rest"] = total - sum(breakdown.values())
        for name, seconds in breakdown.items():
            parts.setdefault(name, []).append(seconds)
    ms = 1000.0
    slowest = sorted(watch.statements, reverse=True)[:4]
    return {
        "ms": round(statistics.median(times) * ms, 2),
        "ms_min": round(min(times) * ms, 2),
        "runs": runs,
        "queries": max(queries),  # the same in every run: a fixed number
        "queries_by_part": watch.queries,
        "bytes": len(html),
        "gzip_bytes": len(gzip.compress(html, 6)),
        "breakdown_ms": {k: round(statistics.median(v) * ms, 2) for k, v in parts.items()},
        "voted_shown": html.count(b'class="vote-button voted"'),
        "slowest_sql": [{"ms": round(t * ms, 2), "sql": sql[:300]} for t, sql in slowest],
    }


def measure(manifest: dict[str, Any], *, quick: bool) -> dict[str, Any]:
    """Both pages of S and L, as the participant the bench reads as (votes of their own)."""
    from django.db import transaction

    from ponder.lib.ids import hash_secret
    from ponder.questions import services
    from ponder.questions.models import Idea, Participant, Question

    results: dict[str, Any] = {}
    for size in ("S", "L"):
        question_id = manifest[size]["question_id"]
        client = client_for(manifest[size]["me_token"])
        path = f"/q/{question_id}/"
        runs = (10 if quick else 40) if size == "S" else (2 if quick else 5)
        me = Participant.objects.get(
            question_id=question_id, token_hash=hash_secret(manifest[size]["me_token"])
        )
        # Ideas on the page that the bench reader has not voted for: one vote each, in turn.
        unvoted = list(
            Idea.objects.with_counts()
            .filter(question_id=question_id)
            .exclude(votes__participant=me)
            .values_list("pk", flat=True)[:30]
        )

        def vote(run: int, unvoted: list[str] = unvoted, me: Participant = me) -> None:
            idea = Idea.objects.select_related("question").get(pk=unvoted[run % len(unvoted)])
            services.vote_cast(idea=idea, participant=me)

        results[f"page {size}"] = measure_page(client, path, runs=runs)
        results[f"page {size} (after a vote)"] = measure_page(
            client, path, runs=min(runs, len(unvoted)), change=vote
        )
        results[f"page {size} (new version)"] = measure_page(client, path, runs=runs, cold=True)
        with transaction.atomic():
            services.question_close(question=Question.objects.get(pk=question_id))
            for cold, suffix in ((False, ""), (True, " (new version)")):
                results[f"results {size}{suffix}"] = measure_page(
                    client, path, runs=runs, cold=cold
                )
            transaction.set_rollback(True)
    return results
