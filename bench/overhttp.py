"""Figures over HTTP: `ponder serve` (uvicorn, production settings) with 1 or 2 workers, and the
load generator (`loadgen.py`) in a process of its own, both on 127.0.0.1.

Every scenario is bounded in time (and the write scenarios in count too); every server started
here is stopped in a `finally`, its whole process group (uvicorn's workers and the deadline
worker), by its own id.

The write scenarios act as many distinct participants, joined beforehand (`participant_join`
writes one row and announces nothing, so `data.add_participants` writes those rows directly):
each request carries its own participant cookie and CSRF token, or its own bearer token through
the API. Afterwards every acknowledged vote is looked up: none may be missing, none may be there
that was not acknowledged, and the question's version and event log must have grown by as many.
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import data

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PONDER = str(ROOT / ".venv/bin/ponder")
CONNECTIONS = 8
WRITERS = 2_000  # distinct participants per write scenario
MAX_WRITES = 20_000  # requests per write scenario, at most


# The server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(
    env: dict[str, str],
    *,
    workers: int,
    log: Path,
    command: list[str] | None = None,
    cwd: Path = ROOT,
) -> Iterator[tuple[int, int]]:
    """`ponder serve` on a free port; yields (port, pid). Stopped whatever happens.

    `command` starts another copy of the program (default: this checkout's `ponder`), run in
    `cwd`; the port and workers are added to it."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [*(command or [PONDER, "serve"]), "--port", str(port), "--workers", str(workers)],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"ponder serve exited with {process.returncode}; see {log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"ponder serve did not answer in 120 s; see {log}") from None
                time.sleep(0.5)
        if workers > 1:  # every worker must be up, not only the first
            while len(worker_pids(process.pid, workers)) < workers:
                time.sleep(0.2)
        yield port, process.pid
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    # Uvicorn's workers and the deadline worker share the group: make sure none is left.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the ppid follows the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def worker_pids(main_pid: int, workers: int) -> list[int]:
    """The processes that serve requests: uvicorn's spawned workers, or with one worker the
    `ponder serve` process itself."""
    if workers == 1:
        return [main_pid]
    return [
        pid
        for pid in children(main_pid)
        if "spawn_main" in cmdline(pid) and "resource_tracker" not in cmdline(pid)
    ]


def workers_memory(main_pid: int, workers: int) -> dict[str, dict[str, float]]:
    pids = worker_pids(main_pid, workers)
    return {f"worker {n + 1}": memory(pid) for n, pid in enumerate(pids)}


def memory(pid: int) -> dict[str, float]:
    """Peak (VmHWM) and current (VmRSS) resident memory, in MB."""
    figures = {}
    for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmHWM", "VmRSS"}:
            figures[key] = round(int(value.split()[0]) / 1024, 1)
    return figures


# Requests -------------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU the processes have used (all their threads), in seconds."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def measured(pids: list[int], port: int, requests: list[str], **options: Any) -> dict[str, Any]:
    """`load`, and the server's CPU per answer: the workers' CPU time over every answer they gave
    (warm-up and drain included). Unlike a rate, it hardly moves with what else the machine
    runs, so it compares a change with the code before it even on a busy shared machine."""
    before = [cpu_seconds([pid]) for pid in pids]
    result = load(port, requests, **options)
    answers = sum(result["statuses"].values())
    used = [cpu_seconds([pid]) - was for pid, was in zip(pids, before, strict=True)]
    if answers:
        result["server_cpu_ms"] = round(sum(used) * 1000 / answers, 3)
    # Each worker's part: the load generator's keep-alive connections stay with the worker
    # that accepted them, which need not be an even split.
    result["cpu_per_worker_s"] = [round(seconds, 2) for seconds in used]
    return result


def request(
    method: str,
    path: str,
    port: int,
    *,
    headers: dict[str, str] | None = None,
    body: str = "",
) -> str:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if method != "GET":
        lines.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


class Browser:
    """A returning browser of one participant: their cookie, a CSRF cookie, htmx headers."""

    def __init__(self, token: str, port: int) -> None:
        from django.conf import settings
        from inprocess import signed_cookie

        from ponder.questions.access import PARTICIPANT_COOKIE

        self.csrf = "".join(random.choices(data.BASE62, k=32))  # noqa: S311 - a bench value
        participant = signed_cookie(PARTICIPANT_COOKIE, token)
        self.cookie = f"{PARTICIPANT_COOKIE}={participant}; {settings.CSRF_COOKIE_NAME}={self.csrf}"
        self.port = port

    @classmethod
    def of(cls, cookie: str, csrf: str, port: int) -> "Browser":
        """A browser whose cookies were made elsewhere (by another checkout's code)."""
        browser = cls.__new__(cls)
        browser.cookie, browser.csrf, browser.port = cookie, csrf, port
        return browser

    def get(self, path: str) -> str:
        return request("GET", path, self.port, headers={"Cookie": self.cookie})

    def post(self, path: str, body: str = "", *, page: str) -> str:
        headers = {
            "Cookie": self.cookie,
            "X-CSRFToken": self.csrf,
            "Origin": f"http://127.0.0.1:{self.port}",
            "HX-Request": "true",
            "HX-Current-URL": f"http://127.0.0.1:{self.port}{page}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return request("POST", path, self.port, headers=headers, body=body)


def load(
    port: int,
    requests: list[str],
    *,
    duration: float,
    warmup: float = 0.0,
    connections: int = CONNECTIONS,
    mode: str = "repeat",
    max_requests: int | None = None,
    drain: float = 120.0,
) -> dict[str, Any]:
    spec = {
        "port": port,
        "requests": requests,
        "duration": duration,
        "warmup": warmup,
        "connections": connections,
        "mode": mode,
        "max_requests": max_requests,
        "drain": drain,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec_file:
        json.dump(spec, spec_file)
    try:
        done = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, str(BENCH / "loadgen.py"), spec_file.name],
            capture_output=True,
            check=True,
            timeout=warmup + duration + drain + 60,
        )
    finally:
        os.unlink(spec_file.name)
    return json.loads(done.stdout)


def wrk(port: int, path: str, *, duration: float) -> dict[str, Any] | None:
    """The same /healthz through wrk, when it is installed: shows whether our own load
    generator is what limits the ceiling."""
    if shutil.which("wrk") is None:
        return None
    out = subprocess.run(  # noqa: S603
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(duration))}s", "--latency",  # noqa: S607
         f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, timeout=duration + 30, check=True,
    ).stdout  # fmt: skip
    result: dict[str, Any] = {"latency_ms": {}}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(words[1])
        elif words[:1] in (["50%"], ["90%"], ["99%"]):
            value = words[1]
            factor = 1000.0 if value.endswith("s") and not value.endswith("ms") else 1.0
            factor = 0.001 if value.endswith("us") else factor
            result["latency_ms"]["p" + words[0][:-1]] = round(
                float(value.rstrip("msu")) * factor, 2
            )
    return result


# Write targets and their checks ----------------------------------------------------------------


def write_target(label: str, *, writers: int) -> dict[str, Any]:
    """A fresh open copy of S, and `writers` participants who have not done anything yet."""
    from ponder.questions.models import Question

    written = data.write_bulk(data.make_plan("S"), deterministic_ids=False, label=label)
    people = data.add_participants(written.question_id, writers, seed=f"{label}-{time.time_ns()}")
    question = Question.objects.get(pk=written.question_id)
    return {
        "question_id": written.question_id,
        "idea_ids": written.idea_ids,
        "people": people,  # [(participant id, token)]
        "version": question.version,
    }


def vote_pairs(target: dict[str, Any], count: int) -> list[tuple[int, int]]:
    """(person, idea) pairs, each once; neighbours differ in person and in idea."""
    people, ideas = len(target["people"]), len(target["idea_ids"])
    return [(k % people, (k // people + k) % ideas) for k in range(min(count, people * ideas))]


def api_votes(target: dict[str, Any], pairs: list[tuple[int, int]], port: int) -> list[bytes]:
    """`PUT /api/v1/ideas/{id}/vote` for each (person, idea) pair, with that person's token."""
    return [
        request(
            "PUT", f"/api/v1/ideas/{target['idea_ids'][i]}/vote", port,
            headers={"Authorization": f"Bearer {target['people'][p][1]}"},
        )
        for p, i in pairs
    ]  # fmt: skip


def check_votes(
    target: dict[str, Any], pairs: list[tuple[int, int]], acknowledged: list[int]
) -> dict[str, Any]:
    """Every acknowledged vote is counted, once; nothing else is."""
    from ponder.live.models import Event
    from ponder.questions.models import Question, Vote

    ids = [pid for pid, _token in target["people"]]
    acked = {(ids[pairs[i][0]], target["idea_ids"][pairs[i][1]]) for i in acknowledged}
    rows = set(Vote.objects.filter(participant_id__in=ids).values_list("participant_id", "idea_id"))
    version = Question.objects.get(pk=target["question_id"]).version
    events = Event.objects.filter(
        question_id=target["question_id"], version__gt=target["version"], type="vote.cast"
    ).count()
    result = {
        "acknowledged": len(acked),
        "rows": len(rows),
        "missing": len(acked - rows),
        "unacknowledged_but_counted": len(rows - acked),
        "version_growth": version - target["version"],
        "events": events,
    }
    result["exact"] = (
        result["missing"] == 0
        and result["unacknowledged_but_counted"] == 0
        and result["version_growth"] == result["rows"] == events
    )
    return result


def check_ideas(target: dict[str, Any], acknowledged: list[int]) -> dict[str, Any]:
    from ponder.questions.models import Idea

    ids = [pid for pid, _token in target["people"]]
    rows = Idea.objects.filter(author_id__in=ids).count()
    return {"acknowledged": len(acknowledged), "rows": rows, "exact": rows == len(acknowledged)}


def delete_target(target: dict[str, Any]) -> None:
    from ponder.questions import services
    from ponder.questions.models import Question

    question = Question.objects.filter(pk=target["question_id"]).first()
    if question is not None:
        services.question_delete(question=question)


# A run against one server -----------------------------------------------------------------------


def run(
    env: dict[str, str], manifest: dict[str, Any], *, workers: int, quick: bool, log: Path
) -> dict[str, Any]:
    from django.db import connection

    duration = 3.0 if quick else 10.0
    warmup = 0.5 if quick else 1.0
    targets = {
        "vote": write_target("vote", writers=WRITERS),
        "vote_api": write_target("vote-api", writers=WRITERS),
        "idea": write_target("idea", writers=200),
    }
    connection.close()  # nothing of ours holds the database while the server works
    results: dict[str, Any] = {"workers": workers, "scenarios": {}, "checks": {}}
    scenarios = results["scenarios"]
    try:
        with server(env, workers=workers, log=log) as (port, pid):
            pids = worker_pids(pid, workers)
            me = {size: Browser(manifest[size]["me_token"], port) for size in ("S", "L")}
            page = {size: f"/q/{manifest[size]['question_id']}/" for size in ("S", "L")}
            api_path = f"/api/v1/questions/{manifest['S']['question_id']}"
            bearer = {"Authorization": f"Bearer {manifest['S']['me_token']}"}
            api_get = request("GET", api_path, port, headers=bearer)
            probe = load(port, [api_get], duration=5, connections=1, max_requests=1)
            has_api = probe["statuses"].get("200") == 1

            # Time to first byte of one request at a time, on an idle server: 20 of each size,
            # after one that renders the page (its cost is the in-process "new version" figure).
            for size in ("S", "L"):
                load(port, [me[size].get(page[size])], duration=60, connections=1, max_requests=1)
                single = load(
                    port, [me[size].get(page[size])], duration=60, connections=1,
                    max_requests=20, warmup=0,
                )  # fmt: skip
                results[f"ttfb {size} ms"] = single["ttfb_ms_p50"]
                results[f"single {size} ms"] = single["latency_ms"]["p50"]
            results["memory after single requests"] = workers_memory(pid, workers)

            reads = [
                ("healthz", request("GET", "/healthz", port)),
                ("page S", me["S"].get(page["S"])),
                ("page L", me["L"].get(page["L"])),
            ]
            if has_api:
                reads.append(("api question S", api_get))
            healthz = request("GET", "/healthz", port)
            ceiling = 0.0  # /healthz's rate just before the scenario measured now

            def around(name: str, after: dict[str, Any] | None = None) -> None:
                """/healthz again right after the scenario (a short slice, unless `after` is
                given): its share is of the ceiling just before and just after it. The start and
                end of a run lie minutes apart, and a shared machine's speed moves meanwhile."""
                nonlocal ceiling
                if after is None:
                    after = load(port, [healthz], duration=duration / 2, warmup=warmup)
                scenarios[name]["healthz_around_rps"] = round((ceiling + after["rps"]) / 2, 2)
                ceiling = after["rps"]

            for name, raw in reads:
                seconds = duration
                if name == "page L":
                    # Slow answers: long enough for a few of them to count.
                    single = (results["single L ms"] or 1000) / 1000
                    seconds = min(60.0, max(duration, 6 * single / workers))
                scenarios[name] = measured(pids, port, [raw], duration=seconds, warmup=warmup)
                if name == "healthz":
                    ceiling = scenarios[name]["rps"]
                else:
                    around(name)
            wrk_healthz = wrk(port, "/healthz", duration=duration)
            if wrk_healthz:
                scenarios["healthz (wrk)"] = wrk_healthz

            # Votes through the page's own form (htmx answers with the idea's row).
            target = targets["vote"]
            pairs = vote_pairs(target, MAX_WRITES)
            browsers = [Browser(token, port) for _pid, token in target["people"]]
            voting_page = f"/q/{target['question_id']}/"
            raw_votes = [
                browsers[p].post(f"{voting_page}ideas/{idea_ids[i]}/vote/", page=voting_page)
                for p, i in pairs
                for idea_ids in [target["idea_ids"]]
            ]
            scenarios["vote"] = measured(pids, port, raw_votes, duration=duration, mode="once")
            results["checks"]["vote"] = check_votes(
                target, pairs, scenarios["vote"].pop("acknowledged")
            )
            around("vote")

            if has_api:
                target = targets["vote_api"]
                pairs = vote_pairs(target, MAX_WRITES)
                raw_votes = api_votes(target, pairs, port)
                scenarios["vote (API)"] = measured(
                    pids, port, raw_votes, duration=duration, mode="once"
                )
                results["checks"]["vote (API)"] = check_votes(
                    target, pairs, scenarios["vote (API)"].pop("acknowledged")
                )
                around("vote (API)")

            # New ideas through the page's form, each from one of 200 people in turn.
            target = targets["idea"]
            browsers = [Browser(token, port) for _pid, token in target["people"]]
            idea_page = f"/q/{target['question_id']}/"
            rng = random.Random(7)  # noqa: S311 - invented titles
            raw_ideas = []
            for n in range(MAX_WRITES):
                title = f"Idea {n + 1}: {rng.choice(data.FACILITIES)} {rng.choice(data.PLACES)}"
                body = urllib.parse.urlencode({"title": title, "description": ""})
                browser = browsers[n % len(browsers)]
                raw_ideas.append(browser.post(f"{idea_page}ideas/", body, page=idea_page))
            scenarios["add idea"] = measured(pids, port, raw_ideas, duration=duration, mode="once")
            results["checks"]["add idea"] = check_ideas(
                target, scenarios["add idea"].pop("acknowledged")
            )
            connection.close()

            # The ceiling again: other work on a shared machine comes and goes during a run.
            scenarios["healthz (end)"] = measured(
                pids, port, [healthz], duration=duration, warmup=warmup
            )
            around("add idea", after=scenarios["healthz (end)"])
            results["memory"] = workers_memory(pid, workers)
            deadline_worker = [c for c in children(pid) if "ponder worker" in cmdline(c)]
            if deadline_worker:
                results["memory"]["deadline worker"] = memory(deadline_worker[0])
            results["has_api"] = has_api
    finally:
        for target in targets.values():
            delete_target(target)
        connection.close()
    for scenario in scenarios.values():
        scenario.pop("acknowledged", None)
    return results
