"""The fault suite (docs/reliability.md #5-#12): real `ponder serve` processes, private services.

Opt-in: these tests stop databases, kill processes and fill disks, and take minutes. They run
only with PONDER_FAULTS=1 (`.ci/run full` sets it); otherwise they are collected and skipped.
They never touch the shared PostgreSQL (5432) or Redis (6379): each starts its own PostgreSQL
cluster and redis-server on spare ports, in temporary directories, and stops them afterwards.
"""

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.live.conftest import (  # noqa: F401 - fixtures, shared with the live tests
    ROOT,
    EventStream,
    Redis,
    Server,
    _environ,
    _healthy,
    free_port,
    listen,
    prepared_data_dir,
    redis_server,
    wait_until,
)

HERE = Path(__file__).resolve().parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="fault suite: set PONDER_FAULTS=1 (or run .ci/run full)")
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.faults)
            if os.environ.get("PONDER_FAULTS") != "1":
                item.add_marker(skip)


# Processes ------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The direct children of a process (from /proc: no psutil needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def workers(server: Server) -> list[int]:
    """The worker processes of `ponder serve --workers N` (uvicorn's, started by spawn)."""
    return [pid for pid in children(server.process.pid) if "spawn_main" in command_line(pid)]


def start_server(
    directory: Path, data_dir: Path, *, workers: int = 1, port: int | None = None, **env: str
) -> Server:
    """`ponder serve` on `port` (a spare one by default), as an operator runs it (migrations
    already applied)."""
    port = port or free_port()
    log = directory / f"serve-{port}.log"
    command = [sys.executable, "-m", "ponder", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--no-worker", "--no-migrate"]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            command,
            cwd=ROOT,
            env=_environ(data_dir, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(port, process, log)
    answered = wait_until(lambda: process.poll() is None and _healthy(server.url), timeout=60)
    if not answered:
        server.stop()
        pytest.fail(f"ponder serve did not start:\n{server.log_tail()}")
    return server


def ponder_command(data_dir: Path, *args: str, **env: str) -> str:
    """Run a `ponder` command as an operator would; returns what it printed."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "ponder", *args],
        cwd=ROOT,
        env=_environ(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def started() -> Iterator[list[Server]]:
    """Servers a test starts go here; all are stopped at its end."""
    servers: list[Server] = []
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


# A private PostgreSQL -------------------------------------------------------------------------


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class Postgres:
    directory: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/ponder"

    def _ctl(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - the Debian PostgreSQL binaries
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        subprocess.run(  # noqa: S603
            _as_postgres(
                [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.start()
        subprocess.run(  # noqa: S603
            [
                *("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"),
                *("-qc", "CREATE DATABASE ponder"),
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        options += " -c fsync=off -c max_connections=200"
        self._ctl("-o", options, "-l", str(self.directory / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "stop")

    def restart(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        options += " -c fsync=off -c max_connections=200"
        log = str(self.directory / "log")
        self._ctl("-m", "fast", "-o", options, "-l", log, "-w", "restart")

    @property
    def postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def processes(self) -> list[int]:
        return [self.postmaster, *children(self.postmaster)]

    def pause(self) -> list[int]:
        """SIGSTOP the postmaster and every backend: hung, not down."""
        stopped = self.processes()
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        return stopped

    def resume(self, pids: list[int]) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def answers(self) -> bool:
        done = subprocess.run(  # noqa: S603
            [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            check=False,
            timeout=10,
        )
        return done.returncode == 0

    def query(self, sql: str) -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as connection:
            return connection.execute(sql).fetchall()  # type: ignore[arg-type]


@pytest.fixture
def private_postgres() -> Iterator[Postgres]:
    """A PostgreSQL cluster of this test's own, on a spare port; removed afterwards."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("needs PostgreSQL 15's server binaries")
    # Not under tmp_path: pytest's directories are closed to the postgres user.
    postgres = Postgres(Path(tempfile.mkdtemp(prefix="ponder-faults-pg-")))
    try:
        postgres.init()
        yield postgres
    finally:
        with contextlib.suppress(Exception):
            postgres.resume(postgres.processes())
        with contextlib.suppress(Exception):
            postgres.stop("immediate")
        shutil.rmtree(postgres.directory, ignore_errors=True)


def fresh_data_dir(directory: Path, prepared: Path) -> Path:
    """A copy of the prepared data directory (migrated SQLite, static files, secret key)."""
    data_dir = directory / "data"
    shutil.copytree(prepared, data_dir, copy_function=os.link)
    for database in data_dir.glob("ponder.sqlite3*"):
        database.unlink()
        shutil.copy(prepared / database.name, database)
    return data_dir


# Talking to Ponder through its API ------------------------------------------------------------


@dataclass
class Reply:
    status: int  # 0: no answer (connection refused, reset, timed out)
    started: float
    ended: float
    retry_after: str | None = None
    error: str = ""
    body: bytes = b""
    label: str = ""  # method and path

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def call(
    method: str,
    url: str,
    *,
    token: str | None = None,
    data: dict[str, object] | None = None,
    timeout: float = 15,
) -> Reply:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    label = f"{method} {urllib.parse.urlsplit(url).path}"
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            content = response.read()
            return Reply(response.status, started, time.monotonic(), body=content, label=label)
    except urllib.error.HTTPError as error:
        with error:
            content = error.read()
        retry_after = error.headers.get("Retry-After")
        return Reply(error.code, started, time.monotonic(), retry_after, body=content, label=label)
    except (OSError, ValueError) as error:
        return Reply(0, started, time.monotonic(), error=repr(error), label=label)


@dataclass
class Board:
    """A question with ideas and participants, made through the API."""

    url: str
    question: str
    admin: str
    ideas: list[str]
    people: list[tuple[str, str]]  # participant (id, token)

    @classmethod
    def make(cls, url: str, *, ideas: int, people: int) -> "Board":
        api = url + "/api/v1"
        created = call("POST", f"{api}/questions", data={"title": "What should we fix first?"})
        assert created.status == 201, created
        question = json.loads(created.body)
        admin = question["admin_token"]
        joined = call(
            "POST",
            f"{api}/questions/{question['id']}/participants",
            token=admin,
            data={"name": "Organiser"},
        )
        assert joined.status == 201, joined

        def idea(number: int) -> str:
            reply = call(
                "POST",
                f"{api}/questions/{question['id']}/ideas",
                token=admin,
                data={"title": f"Idea {number}"},
            )
            assert reply.status == 201, reply
            return json.loads(reply.body)["id"]

        def person(number: int) -> tuple[str, str]:
            reply = call(
                "POST",
                f"{api}/questions/{question['id']}/participants",
                data={"name": f"Person {number}"},
            )
            assert reply.status == 201, reply
            joined = json.loads(reply.body)
            return joined["id"], joined["token"]

        with ThreadPoolExecutor(8) as pool:
            made_ideas = list(pool.map(idea, range(ideas)))
            made_people = list(pool.map(person, range(people)))
        return cls(url, question["id"], admin, made_ideas, made_people)


@dataclass
class Probe:
    """Fires requests from a thread pool until told to stop (or for at most `limit` seconds),
    and keeps every reply with its times."""

    workers: int
    send: Callable[[int], Reply]  # given a running number
    limit: float = 120
    replies: list[Reply] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._counter = iter(range(10**9))
        self._threads = [
            threading.Thread(target=self._run, daemon=True) for _ in range(self.workers)
        ]

    def _run(self) -> None:
        deadline = time.monotonic() + self.limit
        while not self._stop.is_set() and time.monotonic() < deadline:
            with self._lock:
                number = next(self._counter)
            reply = self.send(number)
            with self._lock:
                self.replies.append(reply)
            if reply.status == 0:
                time.sleep(0.05)  # refused: do not spin

    def __enter__(self) -> "Probe":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)


def shuffled(items: list[tuple[str, str]], seed: int = 1) -> list[tuple[str, str]]:
    items = list(items)
    random.Random(seed).shuffle(items)
    return items


class Follower:
    """A program on the live stream that reconnects where it left off whenever the stream ends."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.versions: list[int] = []
        self.cuts = 0  # the stream ended under it
        self.failed_reconnects: list[str] = []  # a reconnect that did not give a stream
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last: int | None = None
        while not self._stop.is_set():
            headers = {"Last-Event-ID": str(last)} if last is not None else {}
            try:
                stream = EventStream(self.url, headers)
            except OSError as error:
                self.failed_reconnects.append(repr(error))
                time.sleep(0.2)
                continue
            if stream.status != 200:
                self.failed_reconnects.append(f"{stream.status} {stream.body[:100]}")
                time.sleep(0.2)
                continue
            while not self._stop.is_set():
                message = stream.messages.get()
                if message is None:  # cut
                    self.cuts += 1
                    break
                if message.event != "hello":
                    self.versions.append(message.version)
                last = message.version
            stream.close()

    @property
    def last(self) -> int:
        return self.versions[-1] if self.versions else 0

    def stop(self) -> None:
        self._stop.set()


def mixed_load(board: Board, url: str) -> Callable[[int], Reply]:
    """Requests as people make them, by running number: the page, the API's read of the
    question, a vote and a vote taken back, by the board's people in turn."""
    api = f"{url}/api/v1"

    def send(number: int) -> Reply:
        rng = random.Random(number)
        _, token = board.people[number % len(board.people)]
        idea = rng.choice(board.ideas)
        match number % 4:
            case 0:
                return call("GET", f"{url}/q/{board.question}/")
            case 1:
                return call("GET", f"{api}/questions/{board.question}", token=token)
            case 2:
                return call("PUT", f"{api}/ideas/{idea}/vote", token=token)
            case _:
                return call("DELETE", f"{api}/ideas/{idea}/vote", token=token)

    return send


def check_served_throughout(
    label: str, replies: list[Reply], followers: list[Follower], *, data_dir: Path, question: str
) -> None:
    """No request failed (no 5xx, none unanswered), every stream was cut and came back on its
    first reconnect, and each has every change in order up to the question's last version.
    Prints the figures, beginning with `label`."""
    with sqlite3.connect(data_dir / "ponder.sqlite3") as db:
        (version,) = db.execute(
            "SELECT version FROM questions_question WHERE id = ?", (question,)
        ).fetchone()
    caught_up = wait_until(lambda: all(f.last >= version for f in followers), timeout=10)
    for follower in followers:
        follower.stop()
    failed = [r for r in replies if r.status == 0 or r.status >= 500]
    print(
        f"\n{label}; {len(replies)} requests, {len(failed)} failed "
        f"({sorted({(r.status, r.error[:60]) for r in failed})[:3]}); streams cut "
        f"{[f.cuts for f in followers]}, failed reconnects "
        f"{sum(len(f.failed_reconnects) for f in followers)}; question at version {version}, "
        f"streams {'caught up' if caught_up else 'BEHIND'}"
    )
    assert not failed, [(r.label, r.status, r.error, r.body[:100]) for r in failed[:5]]
    assert all(200 <= r.status < 300 for r in replies), sorted({r.status for r in replies})
    assert sum(f.cuts for f in followers) > 0, "no stream was cut: nothing was restarted"
    assert not [f.failed_reconnects for f in followers if f.failed_reconnects]
    assert caught_up, [f.last for f in followers]
    for follower in followers:
        first = follower.versions[0]
        assert follower.versions == list(range(first, version + 1)), "missed or reordered"
