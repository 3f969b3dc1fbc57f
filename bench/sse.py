"""Live updates under load: N event streams on `ponder serve`.

    .venv/bin/python bench/sse.py [--clients 100 1000 5000] [--votes 20] [--page]
        [--workers 1] [--redis-url redis://127.0.0.1:6379/0]

For each N it starts its own `ponder serve` (SQLite in a temporary data directory; one process
and no Redis, the in-process fan-out, unless `--workers` asks for more, which fan out through
Redis), creates a question with one idea, lets `--votes` people join,
opens N SSE clients on the question's event stream, then has the people vote one after the other
through the vote form. It prints, and writes to bench/results/sse-<time>.json:

- connections held: clients that got their `hello` and were still open at the end;
- server memory per connection: VmRSS of the server before and after opening the streams;
- latency from each vote's HTTP response to the event's arrival at every client (p50, p99,
  max; one sample per client and vote). An event can reach the clients before the voter reads
  its own response, so small negative samples are possible; they count as they are.

The clients are one asyncio process (uvloop when installed) with a minimal reader: it only looks
for `id:` lines. Client and server share the machine, so the figures include the clients' own
delay in reading 5,000 sockets. Everything is bounded in time and stops by itself.
"""

import argparse
import asyncio
import contextlib
import gc
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
sys.path[:0] = [str(BENCH)]

import results  # noqa: E402  (bench/ is not a package)

CONNECT_BATCH = 250  # clients connecting at once: the listen backlog is finite
EVENT_ID = re.compile(rb"(?:^|\n)id: (\d+)\n")


# The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    """VmRSS of the process and its children (the worker processes of `--workers`)."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total += int(line.split()[1])
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(OSError):
                total += rss_kib(int(child))
    return total


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)  # ponder serve gives streams 5 s to end
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def start_server(clients: int, workers: int = 1, redis_url: str = "") -> Server:
    data_dir = Path(tempfile.mkdtemp(prefix="ponder-sse-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env |= {
        "PONDER_DATA_DIR": str(data_dir),
        # The limit is per worker process; the streams spread over the workers unevenly.
        "PONDER_MAX_STREAMS": str(clients + 100),
        "LOG_LEVEL": "WARNING",
    }
    if workers > 1:
        env["REDIS_URL"] = redis_url
    log = (data_dir / "serve.log").open("wb")
    command = [sys.executable, "-m", "ponder", "serve", "--port", str(port), "--no-worker"]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [*command, "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(process, port, data_dir)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=1):  # noqa: S310
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise SystemExit("ponder serve did not start")


# People voting through the form -------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Visitor:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )
        self.opener.open(base + "/", timeout=30).close()  # the CSRF cookie

    def post(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **(data or {})}).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")  # noqa: S310
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            response.read()
            return response.status, response.headers.get("Location", "")


# The clients --------------------------------------------------------------------------------


@dataclass(eq=False)
class Client(asyncio.Protocol):
    request: bytes
    hello: asyncio.Future[int]
    arrivals: dict[int, float] = field(default_factory=dict)
    closed: bool = False
    transport: asyncio.Transport | None = None
    _tail: bytes = b""
    _answered: bool = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self._answered:
            self._answered = True
            if not data.startswith(b"HTTP/1.1 200"):
                self.hello.set_exception(ConnectionError(data.split(b"\r\n", 1)[0].decode()))
                self.transport.close()  # type: ignore[union-attr]
                return
        data = self._tail + data
        end = data.rfind(b"\n\n") + 2
        if end < 2:
            self._tail = data
            return
        self._tail = data[end:]
        for match in EVENT_ID.finditer(data, 0, end):
            version = int(match.group(1))
            if not self.hello.done():
                self.hello.set_result(version)  # the first message is the hello
                continue
            self.arrivals.setdefault(version, now)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.hello.done():
            self.hello.set_exception(ConnectionError("closed before hello"))


async def open_clients(port: int, path: str, count: int, deadline: float) -> list[Client]:
    loop = asyncio.get_running_loop()
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
    clients: list[Client] = []

    async def one() -> Client | None:
        client = Client(request.encode(), loop.create_future())
        try:
            await loop.create_connection(lambda: client, "127.0.0.1", port)
            await asyncio.wait_for(client.hello, max(1.0, deadline - time.monotonic()))
        except (OSError, TimeoutError, ConnectionError):
            if client.transport is not None:
                client.transport.close()
            return None
        return client

    for start in range(0, count, CONNECT_BATCH):
        if time.monotonic() > deadline:
            break
        batch = await asyncio.gather(*(one() for _ in range(min(CONNECT_BATCH, count - start))))
        clients += [client for client in batch if client is not None]
    return clients


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(
    clients_wanted: int,
    votes: int,
    page: bool,
    budget: float,
    profile: bool = False,
    workers: int = 1,
    redis_url: str = "",
) -> dict[str, Any]:
    started = time.monotonic()
    deadline = started + budget
    server = start_server(clients_wanted, workers, redis_url)
    loop = asyncio.get_running_loop()
    clients: list[Client] = []
    try:
        organiser = Visitor(server.url)
        _, location = organiser.post("/", {"title": "How fast are live updates?"})
        question = location.strip("/").split("/")[-1]
        organiser.post(f"/q/{question}/join/", {"name": "Olga"})
        _, location = organiser.post(f"/q/{question}/ideas/", {"title": "Very"})
        idea = location.rsplit("#idea-", 1)[1]
        voters = []
        for i in range(votes):
            voter = Visitor(server.url)
            voter.post(f"/q/{question}/join/", {"name": f"Voter {i}"})
            voters.append(voter)

        time.sleep(0.5)
        rss_before = rss_kib(server.process.pid)
        path = f"/q/{question}/events" if page else f"/api/v1/questions/{question}/events"
        connect_started = time.monotonic()
        clients = await open_clients(server.port, path, clients_wanted, deadline - 30)
        connect_seconds = time.monotonic() - connect_started
        await asyncio.sleep(1.0)
        rss_after = rss_kib(server.process.pid)
        # The clients' own garbage collector would pause them all at once and count as latency.
        gc.collect()
        gc.freeze()
        gc.disable()
        start_version = max(client.hello.result() for client in clients) if clients else 0

        profiler = None
        if profile:
            # py-spy (the `bench` extra) samples the server while the votes fan out; collapsed
            # stacks with their counts go to bench/results/sse-profile-<N>.txt.
            RESULTS.mkdir(exist_ok=True)
            profiler = subprocess.Popen(  # noqa: S603
                [
                    shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
                    *("record", "--format", "raw", "--rate", "200"),
                    *("-o", str(RESULTS / f"sse-profile-{clients_wanted}.txt")),
                    *("-p", str(server.process.pid)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            await asyncio.sleep(1)

        latencies: list[float] = []
        from_request: list[float] = []
        last_arrivals: list[float] = []
        per_vote: list[dict[str, float]] = []
        missing = 0
        for number, voter in enumerate(voters, start=1):
            if time.monotonic() > deadline - 10:
                break
            version = start_version + number
            sent = time.monotonic()
            status, _ = await loop.run_in_executor(
                None, voter.post, f"/q/{question}/ideas/{idea}/vote/"
            )
            answered = time.monotonic()
            assert status == 302, status
            wait_until = answered + 10
            while time.monotonic() < wait_until:
                if all(version in client.arrivals for client in clients):
                    break
                await asyncio.sleep(0.01)
            arrivals = [c.arrivals[version] for c in clients if version in c.arrivals]
            missing += len(clients) - len(arrivals)
            latencies += [arrival - answered for arrival in arrivals]
            from_request += [arrival - sent for arrival in arrivals]
            if arrivals:
                last_arrivals.append(max(arrivals) - answered)
                per_vote.append(
                    {
                        "vote_ms": round((answered - sent) * 1000, 1),
                        "first_ms": round((min(arrivals) - answered) * 1000, 1),
                        "last_ms": round((max(arrivals) - answered) * 1000, 1),
                    }
                )
            await asyncio.sleep(0.2)

        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=30)
        held = sum(1 for client in clients if not client.closed)
        result = {
            "clients_wanted": clients_wanted,
            "workers": workers,
            "connections_held": held,
            "connect_seconds": round(connect_seconds, 2),
            "endpoint": "page" if page else "api",
            "votes": len(last_arrivals),
            "events_missing": missing,
            "server_rss_kib_before": rss_before,
            "server_rss_kib_after": rss_after,
            "server_rss_kib_per_connection": round((rss_after - rss_before) / max(held, 1), 1),
            "latency_ms": summary(latencies),
            "latency_from_request_ms": summary(from_request),
            "last_client_ms_per_vote": summary(last_arrivals),
            "per_vote": per_vote,
            "seconds": round(time.monotonic() - started, 1),
        }
    finally:
        gc.enable()
        gc.unfreeze()
        for client in clients:
            if client.transport is not None:
                client.transport.close()
        server.stop()
    return result


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


def raise_fd_limit(clients: int) -> None:
    """Client and server (which inherits it) each need a descriptor per connection."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = clients + 1000
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    if min(wanted, hard) < wanted:
        print(f"warning: the descriptor limit ({hard}) is below {wanted}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--votes", type=int, default=20, help="votes per run (default 20)")
    parser.add_argument("--page", action="store_true", help="the page's stream, not the API's")
    parser.add_argument(
        "--profile", action="store_true", help="sample the server with py-spy during the votes"
    )
    parser.add_argument("--budget", type=float, default=180, help="seconds per run at most")
    parser.add_argument(
        "--workers", type=int, default=1, help="ponder serve's worker processes (default 1)"
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/0",
        help="the Redis that carries events between workers (with --workers 2 or more)",
    )
    args = parser.parse_args()

    raise_fd_limit(max(args.clients))
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    runs = []
    for clients in args.clients:
        result = asyncio.run(
            run(
                clients,
                args.votes,
                args.page,
                args.budget,
                args.profile,
                args.workers,
                args.redis_url,
            )
        )
        runs.append(result)
        print_row(result)
    results.save("sse", {"runs": runs})


def print_row(r: dict[str, Any]) -> None:
    lat = r["latency_ms"]
    print(
        f"N={r['clients_wanted']:>5}  workers={r['workers']}  held={r['connections_held']:>5}  "
        f"RSS/conn={r['server_rss_kib_per_connection']:>6} KiB  "
        f"latency p50={lat.get('p50')} ms p99={lat.get('p99')} ms max={lat.get('max')} ms  "
        f"missing={r['events_missing']}  votes={r['votes']}  ({r['seconds']} s)",
        flush=True,
    )


if __name__ == "__main__":
    main()
