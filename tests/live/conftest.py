"""Real services for the live-update tests: `ponder serve` processes, Redis, PostgreSQL.

Nothing is mocked. Each server is `python -m ponder serve` on a free port, as an operator would run
it; people talk to it over HTTP with their own cookies (`Visitor`), and programs listen to its
event stream (`EventStream`). Every process started here is stopped again, whatever happens.
"""

import contextlib
import http.client
import json
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], object], *, timeout: float, every: float = 0.05) -> object:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)


# Servers ------------------------------------------------------------------------------------


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                # Open live streams hold a graceful shutdown for seconds; tests need no grace.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:  # noqa: S310
            return response.status == 200
    except (OSError, http.client.HTTPException):
        return False


def _environ(data_dir: Path, **env: str) -> dict[str, str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environ |= {"PONDER_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING", "DEBUG": "0"}
    # Tests send many writes from one address; tests/live/test_rate_limits.py sets its own.
    environ |= {"PONDER_RATE_LIMITS": "off"}
    # As `ponder serve` does: static files under their collected, hashed names.
    environ |= {"PONDER_STATIC_MANIFEST": "1"}
    return environ | env


def ponder(data_dir: Path, *args: str, **env: str) -> None:
    """Run a `ponder` command the way an operator would, against that data directory."""
    subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "ponder", *args],
        cwd=ROOT,
        env=_environ(data_dir, **env),
        check=True,
        capture_output=True,
    )


def prepare(data_dir: Path) -> Path:
    """A data directory with a migrated SQLite database, a secret key and the collected static
    files, as `ponder serve` leaves it."""
    data_dir.mkdir(parents=True)
    ponder(data_dir, "migrate", "--noinput", "-v", "0")
    ponder(data_dir, "collectstatic", "--noinput", "-v", "0")
    return data_dir


@pytest.fixture(scope="session")
def prepared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Prepared once: each test starts from a copy instead of migrating again."""
    return prepare(tmp_path_factory.mktemp("prepared") / "data")


class Servers:
    """`ponder serve` processes that share one data directory, copied from the prepared one (so
    one secret key: a cookie from one is good on the other)."""

    def __init__(self, directory: Path, prepared: Path) -> None:
        self.directory = directory
        self.data_dir = directory / "data"
        # Static files are only read: links will do. The database is written: a real copy.
        shutil.copytree(prepared, self.data_dir, copy_function=os.link)
        for database in self.data_dir.glob("ponder.sqlite3*"):
            database.unlink()
            shutil.copy(prepared / database.name, database)
        self.started: list[Server] = []

    def start(self, count: int = 1, **env: str) -> list[Server]:
        """Start `count` servers side by side; returns them once all answer."""
        if "DATABASE_URL" in env and not self.started:
            ponder(self.data_dir, "migrate", "--noinput", "-v", "0", **env)
        servers = []
        for _ in range(count):
            port = free_port()
            log = self.directory / f"serve-{port}.log"
            command = [sys.executable, "-m", "ponder", "serve", "--port", str(port)]
            with log.open("wb") as out:
                process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
                    [*command, "--no-worker", "--no-migrate"],
                    cwd=ROOT,
                    env=_environ(self.data_dir, **env),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            servers.append(Server(port, process, log))
        self.started += servers
        for server in servers:
            wait_until(lambda s=server: s.process.poll() is not None or _healthy(s.url), timeout=30)
            if server.process.poll() is not None or not _healthy(server.url):
                pytest.fail(f"ponder serve did not start:\n{server.log_tail()}")
        return servers

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()


@pytest.fixture
def servers(tmp_path: Path, prepared_data_dir: Path) -> Iterator[Servers]:
    """Start `ponder serve` processes for this test; all are stopped at its end."""
    started = Servers(tmp_path, prepared_data_dir)
    try:
        yield started
    finally:
        started.stop_all()


@dataclass
class Redis:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                *(shutil.which("redis-server") or "redis-server", "--port", str(self.port)),
                *("--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_until(self.answers, timeout=20):
            self.stop()
            pytest.fail("redis-server did not start")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None


@pytest.fixture
def redis_server() -> Iterator[Redis]:
    """A private Redis on a spare port, so a test may stop and start it."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    redis = Redis(free_port())
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


def _postgres_admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    return "postgres://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A database of its own on the PostgreSQL at 127.0.0.1, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    admin = _postgres_admin_url()
    try:
        connection = psycopg.connect(admin, dbname="postgres", autocommit=True, connect_timeout=2)
    except psycopg.OperationalError:
        pytest.skip("needs PostgreSQL at 127.0.0.1:5432")
    name = f"ponder_live_{secrets.token_hex(4)}"
    with connection:
        connection.execute(f"CREATE DATABASE {name}")
        try:
            yield urllib.parse.urlparse(admin)._replace(path=f"/{name}").geturl()
        finally:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# People and programs ------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage  # case-insensitive
    body: str


class Visitor:
    """Someone with a browser that keeps its cookies and follows no redirects (so each answer
    can be checked). The cookies are good on every server: they share the secret key."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def _send(self, request: urllib.request.Request) -> Answer:
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            body = response.read().decode(errors="replace")
            return Answer(response.status, response.headers, body)

    def get(self, url: str) -> Answer:
        return self._send(urllib.request.Request(url))  # noqa: S310 - our own test server

    def post(self, url: str, data: dict[str, str] | None = None) -> Answer:
        token = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if token is None:
            home = urllib.parse.urlsplit(url)._replace(path="/", query="").geturl()
            self.get(home)  # the home page hands out the CSRF cookie
            token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **(data or {})}).encode()
        request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310
        return self._send(request)

    # What people do --------------------------------------------------------------------------

    def ask(self, server: Server, title: str) -> str:
        answer = self.post(server.url + "/", {"title": title})
        assert answer.status == 302, answer.body[:500]
        return answer.headers["Location"].strip("/").split("/")[-1]

    def join(self, server: Server, question: str) -> None:
        answer = self.post(f"{server.url}/q/{question}/join/", {"name": self.name})
        assert answer.status == 302, answer.body[:500]

    def add_idea(self, server: Server, question: str, title: str) -> str:
        answer = self.post(f"{server.url}/q/{question}/ideas/", {"title": title})
        assert answer.status == 302, answer.body[:500]
        return answer.headers["Location"].rsplit("#idea-", 1)[1]

    def vote(self, server: Server, question: str, idea: str, *, cast: bool = True) -> None:
        action = "vote" if cast else "unvote"
        answer = self.post(f"{server.url}/q/{question}/ideas/{idea}/{action}/")
        assert answer.status == 302, answer.body[:500]


@dataclass
class Message:
    id: str | None
    event: str
    data: dict[str, object]
    received: float  # time.monotonic() when it arrived

    @property
    def version(self) -> int:
        return int(self.data["version"])  # type: ignore[call-overload]


@dataclass
class EventStream:
    """A program listening to a question's event stream, reading in a thread of its own."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: str = ""
    messages: "queue.Queue[Message | None]" = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self._connection.request("GET", path, headers=self.headers)
        response = self._connection.getresponse()
        self.status = response.status
        self.response_headers = {k.lower(): v for k, v in response.getheaders()}
        if self.status != 200:
            self.body = response.read().decode(errors="replace")
            self._connection.close()
            return
        self._connection.sock.settimeout(None)  # the reader blocks until close() shuts it
        self._reader = threading.Thread(target=self._read, args=(response,), daemon=True)
        self._reader.start()

    def _read(self, response: http.client.HTTPResponse) -> None:
        fields: dict[str, str] = {}
        try:
            while line := response.readline():
                line = line.decode().rstrip("\r\n")
                if line == "":
                    if "data" in fields:
                        data = json.loads(fields["data"])
                        event = fields.get("event", "message")
                        message = Message(fields.get("id"), event, data, time.monotonic())
                        self.messages.put(message)
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # closed (AttributeError: http.client when the socket goes mid-read)
        self.messages.put(None)  # the stream ended

    def next(self, timeout: float = 15.0) -> Message:
        try:
            message = self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no event within {timeout} s on {self.url}") from None
        assert message is not None, f"the stream {self.url} ended"
        return message

    def nothing_more(self, wait: float) -> bool:
        try:
            self.messages.get(timeout=wait)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        if self.status == 200:
            with contextlib.suppress(OSError, AttributeError):
                self._connection.sock.shutdown(socket.SHUT_RDWR)
            self._reader.join(timeout=2)
        self._connection.close()


@pytest.fixture
def listen() -> Iterator[Callable[..., EventStream]]:
    """Open event streams; all are closed at the end of the test."""
    streams: list[EventStream] = []

    def open_stream(url: str, headers: dict[str, str] | None = None) -> EventStream:
        stream = EventStream(url, headers or {})
        streams.append(stream)
        return stream

    try:
        yield open_stream
    finally:
        for stream in streams:
            stream.close()


# The JSON API, as a program calls it ------------------------------------------------------------


def api_call(url: str, body: object = None, token: str = "", method: str = "") -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method or None)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            text = response.read().decode()
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{error.code}: {error.read().decode()[:300]}") from None
    return json.loads(text) if text else None


def api_ask(server: Server, **settings: object) -> tuple[str, str]:
    """A question with these settings, with the organiser taking part: its id and admin token."""
    api = server.url + "/api/v1"
    asked = api_call(f"{api}/questions", {"title": "Which venue?", "settings": settings})
    question, admin = asked["id"], asked["admin_token"]
    api_call(f"{api}/questions/{question}/participants", {"name": "Alice"}, admin)
    return question, admin
