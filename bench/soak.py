"""Load and soak (RELIABILITY.md #29): bench/locustfile.py against a real `ponder serve`.

    .venv/bin/pip install -e '.[load]'                 # locust, once
    .venv/bin/python bench/soak.py                      # SQLite, 200 users, 2 minutes
    .venv/bin/python bench/soak.py --database-url postgres://postgres@127.0.0.1:5432/mysoak
    .venv/bin/python bench/soak.py --minutes 60         # the one-hour soak

It makes a fresh data directory (and migrates the database: give PostgreSQL an empty database of
its own), writes the demo question into it (`ponder demo`: 36 ideas, 150 pros and cons, 500
votes), starts `ponder serve` on a spare port of 127.0.0.1 and runs locust headless against it.
Every 5 seconds it samples the server's memory (RSS of the process and its workers) and open file
descriptors. At the end it prints the figures beside the plan's bars and exits 1 if one is missed.

Rate limits are off for the run (PONDER_RATE_LIMITS=off): every simulated person comes from
127.0.0.1, which a real crowd does not.
"""

import argparse
import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from overhttp import children  # bench/ is on the path when run as a script

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SECONDS = 5.0
NO_EXTRAS = ("--no-worker", "--no-migrate")  # migrated here; no deadline worker in the tree


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(children(current))
    return pids


def _rss_kib(pid: int) -> int:
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


@dataclass
class Sample:
    at: float
    rss_mib: float
    fds: int


def sample(pid: int, started: float) -> Sample:
    # The deadline worker is off (--no-worker): the tree is uvicorn's process and its workers.
    pids = _tree(pid)
    rss = sum(_rss_kib(p) for p in pids) / 1024
    return Sample(time.monotonic() - started, rss, sum(_fds(p) for p in pids))


def run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and commands
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    return done.stdout


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def aggregated(stats_csv: Path) -> dict[str, str]:
    with stats_csv.open() as rows:
        for row in csv.DictReader(rows):
            if row["Name"] == "Aggregated":
                return row
    raise SystemExit(f"no aggregated row in {stats_csv}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200, help="simulated people (default 200)")
    parser.add_argument("--spawn-rate", type=float, default=20, help="people started per second")
    parser.add_argument("--minutes", type=float, default=2, help="how long (default 2)")
    parser.add_argument("--workers", type=int, default=1, help="ponder serve --workers")
    parser.add_argument(
        "--database-url", default="", help="an EMPTY PostgreSQL database (default: SQLite)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    args = parser.parse_args()
    if shutil.which("locust", path=str(Path(sys.executable).parent)) is None:
        sys.exit("locust is missing: .venv/bin/pip install -e '.[load]'")

    work = Path(tempfile.mkdtemp(prefix="ponder-soak-"))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {"PONDER_DATA_DIR": str(work / "data"), "PONDER_RATE_LIMITS": "off"}
    env |= {"LOG_LEVEL": "WARNING", "DEBUG": "0"}
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    database = "PostgreSQL" if args.database_url else "SQLite"
    ponder = [sys.executable, "-m", "ponder"]
    run([*ponder, "migrate", "--noinput", "-v", "0"], env)
    run([*ponder, "collectstatic", "--noinput", "-v", "0"], env | {"PONDER_STATIC_MANIFEST": "1"})
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    links = run([*ponder, "demo", "--base-url", url], env)
    question = re.search(r"/q/([0-9A-Za-z]+)/", links).group(1)  # type: ignore[union-attr]

    log = (work / "serve.log").open("wb")
    server = subprocess.Popen(  # noqa: S603
        [*ponder, "serve", "--port", str(port), "--workers", str(args.workers), *NO_EXTRAS],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    samples: list[Sample] = []
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 60
        while not healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"ponder serve did not start; see {work / 'serve.log'}")
            time.sleep(0.5)
        started = time.monotonic()

        def watch() -> None:
            while not stop.wait(SAMPLE_SECONDS):
                samples.append(sample(server.pid, started))

        samples.append(sample(server.pid, started))
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        statuses_file = work / "statuses.json"
        locust = [
            *(sys.executable, "-m", "locust", "-f", str(ROOT / "bench/locustfile.py")),
            *("--headless", "-u", str(args.users), "-r", str(args.spawn_rate)),
            *("-t", f"{int(args.minutes * 60)}s", "-H", url, "--csv", str(work / "locust")),
            *("--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"),
        ]
        print(
            f"{database}: {args.users} users for {args.minutes:g} min against {url} "
            f"(question {question}, {args.workers} worker(s)); data in {work}",
            flush=True,
        )
        subprocess.run(  # noqa: S603
            locust,
            cwd=ROOT,
            env=env | {"PONDER_QUESTION": question, "LOCUST_STATUS_FILE": str(statuses_file)},
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=(work / "locust.log").open("wb"),
            timeout=args.minutes * 60 + 300,
        )
        stop.set()
        watcher.join()
        samples.append(sample(server.pid, started))
    finally:
        stop.set()
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
        log.close()

    total = aggregated(work / "locust_stats.csv")
    requests = int(total["Request Count"])
    failures = int(total["Failure Count"])
    p95, p99 = float(total["95%"]), float(total["99%"])
    statuses = json.loads(statuses_file.read_text()) if statuses_file.exists() else {}
    server_errors = sum(n for code, n in statuses.items() if code.isdigit() and int(code) >= 500)
    error_rate = failures / requests if requests else 1.0
    # Memory and descriptors from the end of the ramp-up (all people started) to the end.
    ramp = args.users / args.spawn_rate + SAMPLE_SECONDS
    steady = [s for s in samples if s.at >= ramp] or samples
    first, last = steady[0], steady[-1]
    hours = max((last.at - first.at) / 3600, 1e-9)
    rss_growth = (last.rss_mib - first.rss_mib) / first.rss_mib
    fds = [s.fds for s in steady]
    fd_spread = (max(fds) - min(fds)) / min(fds) if min(fds) else 1.0

    rows = [
        ("p95", "< 300 ms", f"{p95:.0f} ms", p95 < 300),
        ("p99", "< 1 s", f"{p99:.0f} ms", p99 < 1000),
        ("5xx", "0", f"{server_errors}", server_errors == 0),
        ("errors", "< 0.1%", f"{error_rate:.2%} ({failures} of {requests})", error_rate < 0.001),
        (
            "RSS growth",
            "< 10% per hour",
            f"{rss_growth:+.1%} in {(last.at - first.at) / 60:.1f} min "
            f"({first.rss_mib:.0f} -> {last.rss_mib:.0f} MiB; {rss_growth / hours:+.0%}/h)",
            rss_growth / hours < 0.10 if hours >= 0.5 else rss_growth < 0.10,
        ),
        (
            "open fds",
            "stable ±5%",
            f"{min(fds)}..{max(fds)} ({fd_spread:.0%})",
            fd_spread <= 0.05,
        ),
    ]
    rate = requests / (last.at or 1)
    print(f"\n{database}, {args.users} users, {args.minutes:g} min, {rate:.1f} req/s")
    print(f"statuses: {statuses}")
    print(f"{'measure':<12} {'bar':<16} {'result':<52} met")
    for name, bar, result, met in rows:
        print(f"{name:<12} {bar:<16} {result:<52} {'yes' if met else 'NO'}")
    per_name = work / "locust_stats.csv"
    with per_name.open() as stats:
        print("\nper request: name, count, failures, p50, p95, p99 (ms)")
        for row in csv.DictReader(stats):
            print(
                f"  {row['Name']:<28} {row['Request Count']:>6} {row['Failure Count']:>5} "
                f"{row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
            )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if all(met for *_, met in rows) else 1)


if __name__ == "__main__":
    main()
