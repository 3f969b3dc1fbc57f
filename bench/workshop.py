"""A workshop room voting at once: N open pages and M voters on one question.

    .venv/bin/python bench/workshop.py [--browsers 800] [--voters 800] [--seconds 60]
        [--workers 2] [--ideas 12] [--mode patch|fetch] [--database-url URL] [--redis-url URL]

It starts `ponder serve --workers W` on PostgreSQL (the database at --database-url is dropped and
made afresh) and Redis, asks a question with `--ideas` ideas, and opens N simulated browsers.
Each joins with a name of its own (its own cookies), loads the question page, opens the page's
event stream and then does for every event what ponder.js does: patch a vote box from a vote's
tally when the event carries one (`--mode patch`, the page as it is), or fetch the row
(`?part=row`) for it (`--mode fetch`, the page before events carried tallies); one fetch per part
in flight, a change meanwhile fetching it once more afterwards; a gap, a refresh or a comment
fetching its part; a change to the question reloading the page. M of the browsers (the voters)
each vote once for a random idea, at a random moment within T seconds, through the page's vote
form as htmx posts it (with the form's CSRF token and cookies), from a process of its own.

It prints, and writes to bench/results/workshop-<time>.json:

- votes accepted, and the vote's latency (request to answer) p50 and p99;
- for each browser, the time from the last vote's answer until its tallies equal the database's
  (p50, p99, max; and how many never got there within --settle seconds);
- requests served per vote, and page requests (fetches of parts and pages) per vote per open
  browser;
- CPU seconds of each worker process during the burst, and as a share of one core;
- how many answers were 5xx; bytes received per browser during the burst (gzip accepted).

Clients and server share the machine: the clients' own CPU is in every figure. Everything is
bounded in time and stops by itself.
"""

import argparse
import asyncio
import contextlib
import gc
import gzip
import json
import multiprocessing
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
sys.path[:0] = [str(BENCH)]

import results  # noqa: E402  (bench/ is not a package)
from sse import free_port, percentile  # noqa: E402

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="(\w+)"')
LIVE_VERSION = re.compile(rb'id="live"[^>]*?data-version="(\d+)"', re.S)
TALLY = re.compile(rb'id="votes-(\w+)".*?data-tally="count">([^<]*)<', re.S)
CONNECT_AT_ONCE = 100
REQUEST_TIMEOUT = 20.0  # seconds: an answer that takes longer counts as lost


# The server ---------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg

    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"\w+", name):
        raise SystemExit(f"an unusual database name: {name!r}")
    admin = urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path

    def workers(self) -> list[int]:
        """The worker processes (children of the supervisor), or the server itself."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        children = [int(pid) for pid in path.read_text().split()] if path.exists() else []
        return children or [self.process.pid]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def start_server(args: argparse.Namespace) -> Server:
    data_dir = Path(tempfile.mkdtemp(prefix="ponder-workshop-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env |= {
        "PONDER_DATA_DIR": str(data_dir),
        "PONDER_MAX_STREAMS": str(args.browsers + 100),
        "PONDER_RATE_LIMITS": "off",  # the whole room comes from one address here
        "LOG_LEVEL": "WARNING",
    }
    if args.database_url:
        recreate_database(args.database_url)
        env["DATABASE_URL"] = args.database_url
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    command = [sys.executable, "-m", "ponder", "serve", "--port", str(port), "--no-worker"]
    command += ["--workers", str(args.workers)]
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    server = Server(process, port, data_dir)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError):
            import urllib.request

            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return server
        time.sleep(0.3)
    print((data_dir / "serve.log").read_text()[-3000:], file=sys.stderr)
    server.stop()
    raise SystemExit("ponder serve did not start")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# HTTP, as small as it can be ----------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, list[str]]
    body: bytes
    size: int  # bytes on the wire (body as sent)


class Http:
    """Keep-alive connections to the server, shared by every simulated browser (each sends its
    own cookies). Counts what it is asked for, by kind, and the 5xx answers."""

    def __init__(self, port: int, connections: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(connections)
        self.counts: dict[str, int] = {}
        self.errors = 0
        self.timeouts: list[str] = []  # requests not answered within REQUEST_TIMEOUT
        self.counting = False

    async def request(
        self,
        method: str,
        path: str,
        *,
        kind: str,
        cookies: dict[str, str],
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Answer:
        head = {
            "Host": f"127.0.0.1:{self.port}",
            "Accept-Encoding": "gzip",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            **(headers or {}),
        }
        if method == "POST":
            head["Content-Type"] = "application/x-www-form-urlencoded"
            head["Content-Length"] = str(len(body))
        raw = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items())
        async with self.slots:
            for attempt in range(2):
                reader, writer = await self._connection()
                try:
                    writer.write(raw.encode() + b"\r\n" + body)
                    answer = await asyncio.wait_for(read_answer(reader), REQUEST_TIMEOUT)
                    break
                except TimeoutError:
                    writer.close()
                    self.timeouts.append(f"{method} {path}")
                    raise
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    writer.close()
                    if attempt:
                        raise
            if answer.headers.get("connection", [""])[0].lower() == "close":
                writer.close()
            else:
                self.idle.append((reader, writer))
        if self.counting:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if answer.status >= 500:
                self.errors += 1
        for cookie in answer.headers.get("set-cookie", []):
            name, _, value = cookie.split(";", 1)[0].partition("=")
            cookies[name.strip()] = value.strip()
        return answer

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self.idle:
            reader, writer = self.idle.pop()
            if not writer.is_closing() and not reader.at_eof():
                return reader, writer
        return await asyncio.open_connection("127.0.0.1", self.port, limit=2**22)


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, list[str]]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    return status, headers


async def read_answer(reader: asyncio.StreamReader) -> Answer:
    status, headers = await read_head(reader)
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"][0]))
    elif headers.get("transfer-encoding", [""])[0] == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            body += await reader.readexactly(size + 2)
            body = body[:-2]
            if size == 0:
                break
    else:
        body = await reader.read()
    size = len(body)
    if headers.get("content-encoding", [""])[0] == "gzip":
        body = gzip.decompress(body)
    return Answer(status, headers, body, size)


# A browser with the question page open ------------------------------------------------------


@dataclass(eq=False)
class Browser:
    """What ponder.js keeps, and does, for one open page (never busy: nobody types here)."""

    number: int
    http: Http
    question: str
    patch: bool
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""
    version: int = 0
    tallies: dict[str, int] = field(default_factory=dict)
    event_tallies: dict[str, tuple[int, int]] = field(default_factory=dict)  # version, count
    fetching: dict[str, Any] = field(default_factory=dict)  # part -> what to do again, or None
    changed_at: float = 0.0  # when its tallies last changed
    received: int = 0  # bytes, while counting
    stream_task: asyncio.Task[None] | None = None
    writer: asyncio.StreamWriter | None = None

    @property
    def base(self) -> str:
        return f"/q/{self.question}/"

    def _set(self, idea: str, count: int) -> None:
        if self.tallies.get(idea) != count:
            self.tallies[idea] = count
            self.changed_at = time.monotonic()

    def _take_tallies(self, html: bytes, asked: int) -> None:
        for idea, count in TALLY.findall(html):
            idea_id = idea.decode()
            newer = self.event_tallies.get(idea_id)
            if newer is not None and newer[0] > asked:
                self._set(idea_id, newer[1])  # patchTallies: the event's tally is newer
            else:
                self._set(idea_id, int(re.sub(rb"\D", b"", count) or b"0"))

    async def get(self, path: str, kind: str, **headers: str) -> Answer:
        answer = await self.http.request(
            "GET", path, kind=kind, cookies=self.cookies, headers=headers
        )
        if self.http.counting:
            self.received += answer.size
        return answer

    async def load(self) -> None:
        """Join (a name of its own) and load the page, as someone in the room does."""
        if not self.cookies:
            await self.get("/", "setup")
            token = self.cookies["csrftoken"]
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "name": f"P{self.number}"})
            await self.http.request(
                "POST", self.base + "join/", kind="setup", cookies=self.cookies, body=body.encode()
            )
        for _attempt in range(5):
            page = await self.get(self.base, "page")
            token, version = CSRF.search(page.body), LIVE_VERSION.search(page.body)
            if page.status == 200 and token and version:
                break
            await asyncio.sleep(1)
        else:
            raise SystemExit(f"browser {self.number}: the page answered {page.status}")
        self.token = token[1].decode()
        self.version = int(version[1])
        self.event_tallies.clear()
        self._take_tallies(page.body, self.version)

    # What ponder.js does -------------------------------------------------------------------

    def fetch_part(self, key: str, path: str, again: Any) -> None:
        if key in self.fetching:
            self.fetching[key] = again
            return
        self.fetching[key] = None
        asyncio.get_running_loop().create_task(self._fetch(key, path))

    async def _fetch(self, key: str, path: str) -> None:
        asked = self.version
        try:
            answer = await self.get(path, "fetch", **{"HX-Request": "true"})
            if answer.status == 200:
                self._take_tallies(answer.body, asked)
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError):
            pass
        again = self.fetching.pop(key, None)
        if again is not None:
            again()

    def refresh_idea(self, idea: str) -> None:
        self.fetch_part(
            f"idea-{idea}", f"{self.base}ideas/{idea}/?part=row", lambda: self.refresh_idea(idea)
        )

    def refresh_all(self) -> None:
        self.fetch_part("ideas", f"{self.base}?part=ideas", lambda: self.fetch_part_ideas())
        self.fetch_part(
            "comment-list", f"{self.base}?part=comment_list", lambda: self.refresh_comments()
        )

    def fetch_part_ideas(self) -> None:
        self.fetch_part("ideas", f"{self.base}?part=ideas", self.fetch_part_ideas)

    def refresh_comments(self) -> None:
        self.fetch_part("comment-list", f"{self.base}?part=comment_list", self.refresh_comments)

    def on_message(self, data: dict[str, Any]) -> None:
        kind = str(data.get("type", ""))
        if kind == "hello":
            return
        if kind == "refresh":
            self.version = int(data["version"])
            self.refresh_all()
            return
        version = int(data["version"])
        if version <= self.version:
            return
        gap = version > self.version + 1
        self.version = version
        if gap:
            self.refresh_all()
            return
        family = kind.split(".")[0]
        idea = str(data.get("idea", ""))
        if family == "vote":
            if self.patch and isinstance(data.get("count"), int):
                self.event_tallies[idea] = (version, data["count"])
                self._set(idea, data["count"])
            else:
                self.refresh_idea(idea)
        elif family in {"idea", "argument", "like"}:  # idea.added too: all ideas are shown
            self.refresh_idea(idea)
        elif family == "comment":
            self.refresh_comments()
        elif family == "question":
            asyncio.get_running_loop().create_task(self.load())
        else:
            self.refresh_all()

    async def open_stream(self, ready: asyncio.Future[None]) -> None:
        """The page's EventSource: reconnects with Last-Event-ID when dropped."""
        while True:
            try:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", self.http.port, limit=2**22
                )
                self.writer = writer
                cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
                writer.write(
                    f"GET {self.base}events?since={self.version} HTTP/1.1\r\n"
                    f"Host: 127.0.0.1:{self.http.port}\r\nAccept: text/event-stream\r\n"
                    f"Accept-Encoding: gzip\r\n"
                    f"Last-Event-ID: {self.version}\r\nCookie: {cookie}\r\n\r\n".encode()
                )
                status, headers = await read_head(reader)
                if status >= 500 and self.http.counting:
                    self.http.errors += 1
                if status != 200:
                    raise ConnectionError(status)
                if self.http.counting:
                    self.http.counts["stream"] = self.http.counts.get("stream", 0) + 1
                if not ready.done():
                    ready.set_result(None)
                zipped = headers.get("content-encoding", [""])[0] == "gzip"
                await self._read_stream(
                    reader, zlib.decompressobj(16 + zlib.MAX_WBITS) if zipped else None
                )
            except asyncio.CancelledError:
                raise
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
                pass
            await asyncio.sleep(3)  # retry: 3000

    async def _read_stream(self, reader: asyncio.StreamReader, inflate: Any) -> None:
        buffer = b""
        while True:
            size_line = await reader.readuntil(b"\r\n")  # chunked
            size = int(size_line.strip(), 16)
            if size == 0:
                return
            chunk = (await reader.readexactly(size + 2))[:-2]
            if self.http.counting:
                self.received += size
            buffer += inflate.decompress(chunk) if inflate is not None else chunk
            while b"\n\n" in buffer:
                message, buffer = buffer.split(b"\n\n", 1)
                for line in message.split(b"\n"):
                    if line.startswith(b"data: "):
                        self.on_message(json.loads(line[6:]))


# The voters, in a process of their own ------------------------------------------------------


def cast_votes(port: int, start: float, plan: list[tuple[float, str, dict[str, str], str]]) -> dict:
    """Cast the votes of `plan` (at seconds after `start`, a `time.monotonic()` of the parent:
    the same clock in every process; the path, the voter's cookies, the form's token) as htmx
    posts the vote form. In a process of its own, so that reading 800 streams in the parent does
    not count as the vote's latency."""
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

    async def all_votes() -> dict:
        http = Http(port, 64)
        http.counting = True
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        answered = [0.0]

        async def cast(at: float, path: str, cookies: dict[str, str], token: str) -> None:
            await asyncio.sleep(max(0.0, start + at - time.monotonic()))
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode()
            sent = time.monotonic()
            try:
                answer = await http.request(
                    "POST",
                    path,
                    kind="vote",
                    cookies=cookies,
                    body=body,
                    headers={"HX-Request": "true"},
                )
            except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError):
                statuses[0] = statuses.get(0, 0) + 1
                return
            statuses[answer.status] = statuses.get(answer.status, 0) + 1
            latencies.append(time.monotonic() - sent)
            answered[0] = max(answered[0], time.monotonic())

        await asyncio.gather(*(cast(*vote) for vote in plan))
        for _reader, writer in http.idle:
            writer.close()
        return {
            "latencies": latencies,
            "statuses": statuses,
            "last_answer": answered[0],
            "errors": http.errors,
            "timeouts": http.timeouts,
        }

    return asyncio.run(all_votes())


# The run ------------------------------------------------------------------------------------


LAGS: list[float] = []


async def loop_lag() -> None:
    """How late the browsers' event loop runs (10 times a second): when it is late, so is every
    page's view of the events, and the figures say more about the bench than about the server."""
    while True:
        asked = time.monotonic()
        await asyncio.sleep(0.1)
        LAGS.append(time.monotonic() - asked - 0.1)


def summary(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    return {
        "p50": round(percentile(samples, 50) * 1000, 1),
        "p99": round(percentile(samples, 99) * 1000, 1),
        "max": round(max(samples) * 1000, 1),
        "mean": round(statistics.fmean(samples) * 1000, 1),
        "samples": len(samples),
    }


async def setup_question(http: Http, ideas: int) -> tuple[str, list[str], dict[str, str]]:
    organiser: dict[str, str] = {}
    await http.request("GET", "/", kind="setup", cookies=organiser)
    token = organiser["csrftoken"]
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "title": "Where to next?"})
    answer = await http.request("POST", "/", kind="setup", cookies=organiser, body=body.encode())
    question = answer.headers["location"][0].strip("/").split("/")[-1]
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "name": "Organiser"})
    await http.request(
        "POST", f"/q/{question}/join/", kind="setup", cookies=organiser, body=body.encode()
    )
    ids = []
    for n in range(ideas):
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "title": f"Place {n + 1}"})
        answer = await http.request(
            "POST", f"/q/{question}/ideas/", kind="setup", cookies=organiser, body=body.encode()
        )
        ids.append(answer.headers["location"][0].rsplit("#idea-", 1)[1])
    return question, ids, organiser


async def truth(http: Http, question: str, organiser: dict[str, str]) -> dict[str, int]:
    answer = await http.request(
        "GET", f"/api/v1/questions/{question}/ideas?limit=100", kind="truth", cookies=organiser
    )
    return {idea["id"]: int(idea["votes"]) for idea in json.loads(answer.body)["ideas"]}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    server = start_server(args)
    http = Http(server.port, args.connections)
    browsers: list[Browser] = []
    try:
        question, ideas, organiser = await setup_question(http, args.ideas)
        browsers = [Browser(n, http, question, args.mode == "patch") for n in range(args.browsers)]
        for start in range(0, len(browsers), CONNECT_AT_ONCE):
            batch = browsers[start : start + CONNECT_AT_ONCE]
            await asyncio.gather(*(browser.load() for browser in batch))
            readies = []
            for browser in batch:
                ready = asyncio.get_running_loop().create_future()
                browser.stream_task = asyncio.create_task(browser.open_stream(ready))
                readies.append(ready)
            await asyncio.wait_for(asyncio.gather(*readies), 60)
        opened = time.monotonic() - started
        print(f"{len(browsers)} pages open, streaming ({opened:.0f} s)", flush=True)

        gc.collect()
        gc.freeze()
        rng = random.Random(args.seed)  # noqa: S311 (a reproducible plan, no secret)
        voters = browsers[: args.voters]
        plan = [(rng.uniform(0, args.seconds), voter, rng.choice(ideas)) for voter in voters]
        workers = server.workers()
        cpu_before = {pid: cpu_seconds(pid) for pid in workers}
        http.counting = True
        lag = asyncio.create_task(loop_lag())
        voting = [
            (at, f"/q/{question}/ideas/{idea}/vote/", voter.cookies, voter.token)
            for at, voter, idea in plan
        ]
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            # Started before the burst: a new interpreter takes a while to import.
            await asyncio.get_running_loop().run_in_executor(pool, time.sleep, 0)
            burst_start = time.monotonic() + 0.5
            votes = await asyncio.get_running_loop().run_in_executor(
                pool, cast_votes, server.port, burst_start, voting
            )
        latencies, statuses = votes["latencies"], votes["statuses"]
        last_answer = votes["last_answer"]
        http.errors += votes["errors"]
        http.timeouts += votes["timeouts"]
        http.counts["vote"] = sum(statuses.values())
        final = await truth(http, question, organiser)
        settle_until = time.monotonic() + args.settle
        while time.monotonic() < settle_until:
            if all(
                all(b.tallies.get(i, 0) == n for i, n in final.items()) and not b.fetching
                for b in browsers
            ):
                break
            await asyncio.sleep(0.05)
        burst_end = time.monotonic()
        http.counting = False
        lag.cancel()
        cpu_after = {pid: cpu_seconds(pid) for pid in workers if Path(f"/proc/{pid}").exists()}
        burst = burst_end - burst_start

        behind: list[float] = []
        never = 0
        for browser in browsers:
            if all(browser.tallies.get(i, 0) == n for i, n in final.items()):
                behind.append(max(0.0, browser.changed_at - last_answer))
            else:
                never += 1
                if os.environ.get("WORKSHOP_DEBUG"):
                    wrong = {
                        i: (browser.tallies.get(i), n)
                        for i, n in final.items()
                        if browser.tallies.get(i, 0) != n
                    }
                    print(browser.number, wrong, browser.fetching, browser.version, file=sys.stderr)
        accepted = statuses.get(200, 0)
        counts = dict(http.counts)
        counts.pop("truth", None)  # the bench's own read of the final tallies
        requests = sum(counts.values())
        page_requests = counts.get("fetch", 0) + counts.get("page", 0)
        result = {
            "browsers": len(browsers),
            "voters": len(voters),
            "seconds": args.seconds,
            "workers": args.workers,
            "ideas": args.ideas,
            "mode": args.mode,
            "database": "postgresql" if args.database_url else "sqlite",
            "redis": bool(args.redis_url),
            "votes_accepted": accepted,
            "vote_statuses": {str(k): v for k, v in sorted(statuses.items())},
            "vote_latency_ms": summary(latencies),
            "behind_after_last_vote_ms": summary(behind),
            "browsers_never_up_to_date": never,
            "requests": counts,
            "requests_per_vote": round(requests / max(accepted, 1), 2),
            "page_requests_per_vote_per_browser": round(
                page_requests / max(accepted, 1) / max(len(browsers), 1), 4
            ),
            "cpu_seconds_per_worker": {
                str(pid): round(cpu_after.get(pid, 0) - cpu_before[pid], 1) for pid in workers
            },
            "cpu_share_per_worker": {
                str(pid): round((cpu_after.get(pid, 0) - cpu_before[pid]) / burst, 2)
                for pid in workers
            },
            "http_5xx": http.errors,
            "client_loop_late_ms": summary(LAGS),
            "unanswered": http.timeouts,
            "kib_received_per_browser": round(
                sum(b.received for b in browsers) / 1024 / max(len(browsers), 1), 1
            ),
            "burst_seconds": round(burst, 1),
            "run_seconds": round(time.monotonic() - started, 1),
        }
    finally:
        gc.unfreeze()
        for browser in browsers:
            if browser.stream_task is not None:
                browser.stream_task.cancel()
            if browser.writer is not None:
                browser.writer.close()
        for _reader, writer in http.idle:
            writer.close()
        server.stop()
    return result


def print_result(r: dict[str, Any]) -> None:
    lat, behind = r["vote_latency_ms"], r["behind_after_last_vote_ms"]
    print(
        f"N={r['browsers']} M={r['voters']} T={r['seconds']} s, {r['workers']} workers, "
        f"{r['database']}{' + redis' if r['redis'] else ''}, mode={r['mode']}\n"
        f"  votes accepted      {r['votes_accepted']} {r['vote_statuses']}\n"
        f"  vote latency        p50 {lat.get('p50')} ms  p99 {lat.get('p99')} ms\n"
        f"  up to date after    p50 {behind.get('p50')} ms  p99 {behind.get('p99')} ms  "
        f"max {behind.get('max')} ms  (never: {r['browsers_never_up_to_date']})\n"
        f"  requests per vote   {r['requests_per_vote']}  {r['requests']}\n"
        f"  page requests per vote per open browser  {r['page_requests_per_vote_per_browser']}\n"
        f"  CPU per worker      {r['cpu_seconds_per_worker']} s  "
        f"(share of a core {r['cpu_share_per_worker']})\n"
        f"  browsers' loop late p50 {r['client_loop_late_ms'].get('p50')} ms  "
        f"p99 {r['client_loop_late_ms'].get('p99')} ms (the bench's own delay)\n"
        f"  5xx                 {r['http_5xx']}  (unanswered in {REQUEST_TIMEOUT:.0f} s: "
        f"{len(r['unanswered'])})\n"
        f"  received per browser {r['kib_received_per_browser']} KiB in {r['burst_seconds']} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--browsers", type=int, default=800, help="open pages N (default 800)")
    parser.add_argument("--voters", type=int, default=800, help="voters M, among them (800)")
    parser.add_argument("--seconds", type=float, default=60, help="the burst T (default 60 s)")
    parser.add_argument("--workers", type=int, default=2, help="ponder serve --workers (2)")
    parser.add_argument("--ideas", type=int, default=12, help="ideas on the question (12)")
    parser.add_argument(
        "--mode",
        choices=("patch", "fetch"),
        default="patch",
        help="patch: vote boxes patched from the events' tallies (ponder.js now); fetch: every "
        "vote fetches its row (ponder.js before)",
    )
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/ponder_bench_workshop",
        help="PostgreSQL database, DROPPED and made afresh; '' for SQLite",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9", help="'' for none")
    parser.add_argument("--connections", type=int, default=64, help="client keep-alive pool")
    parser.add_argument("--settle", type=float, default=30, help="wait after the last vote (s)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.voters > args.browsers:
        parser.error("the voters are among the browsers: --voters <= --browsers")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (min(hard, max(soft, args.browsers * 3 + 1000)), hard)
    )
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    result = asyncio.run(run(args))
    print_result(result)
    results.save("workshop", {"result": result})


if __name__ == "__main__":
    main()
