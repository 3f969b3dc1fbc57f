"""Load and soak (docs/reliability.md #29): bench/locustfile.py against a real `ponder serve`.

    .venv/bin/pip install -e '.[load]'                 # locust, once
    .venv/bin/python bench/soak.py                      # SQLite, 200 users, 2 minutes
    .venv/bin/python bench/soak.py --postgres           # a fresh PostgreSQL database, dropped after
    .venv/bin/python bench/soak.py --database-url postgres://postgres@127.0.0.1:5432/mysoak
    .venv/bin/python bench/soak.py --minutes 60         # the one-hour soak

It makes a fresh data directory (and migrates the database: `--database-url` must name an empty
database; `--postgres` creates `ponder_soak_<random hex>` on `--postgres-server` and drops it at
the end, also when the run fails), writes the demo question into it (`ponder demo`: 36 ideas,
150 pros and cons, 500 votes), starts `ponder serve` on a spare port of 127.0.0.1 and runs locust
headless against it. Every 5 seconds it samples the server's memory (RSS of the process and its
workers) and open file descriptors. At the end it prints the figures beside the plan's bars, a
table per minute of the run (requests/s, p95, p99: a slow drift shows there) and the size of the
question (the load keeps adding ideas and arguments), writes everything with every sample to
bench/results/soak-<database>-<UTC time>.json, and exits 1 if a bar is missed.

Memory and descriptors are judged after a warm-up (`--warmup`, default 10 minutes for runs of 30
minutes or more, else 2; never more than half the run): 200 people opening keep-alive connections
and the caches filling are not a leak. Of the samples after the warm-up:

- RSS growth per hour is the least-squares slope of RSS over time, extrapolated to an hour, in %
  of the first sample after the warm-up; the bar is < 10% per hour. A short run's slope is a
  rough guess (the one-hour soak is what the bar is for).
- open fds: the lowest and the highest sample within ±5% of the samples' median.

Both are judged only in runs of 30 minutes or more (shorter runs print them, unjudged).

Rate limits are off for the run (PONDER_RATE_LIMITS=off): every simulated person comes from
127.0.0.1, which a real crowd does not.
"""

import argparse
import csv
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from overhttp import children  # bench/ is on the path when run as a script
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SAMPLE_SECONDS = 5.0
SOAK_MINUTES = 30  # memory and descriptors are judged in runs this long or longer
NO_EXTRAS = ("--no-worker", "--no-migrate")  # migrated here; no deadline worker in the tree
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"


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


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """A new empty database on `server` for the run, dropped afterwards; yields its URL."""
    name = f"ponder_soak_{secrets.token_hex(4)}"
    parts = urlsplit(server)
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"created database {name} on {parts.hostname}:{parts.port or 5432}", flush=True)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        # FORCE: a server killed mid-request may leave connections behind.
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        print(f"dropped database {name}", flush=True)


def question_size(url: str, question: str) -> dict[str, int] | None:
    """The question's ideas and the arguments of the ideas the API returns."""
    try:
        api = f"{url}/api/v1/questions/{question}"
        with urllib.request.urlopen(api, timeout=120) as response:  # noqa: S310
            data = json.load(response)
    except (OSError, ValueError):
        return None
    ideas = data.get("ideas", [])
    return {
        "ideas": data.get("ideas_total", len(ideas)),
        "ideas_returned": len(ideas),
        "arguments": sum(len(idea.get("arguments", [])) for idea in ideas),
    }


def per_minute(history_csv: Path) -> list[dict[str, Any]]:
    """Requests/s, p95 and p99 per minute, from locust's history (written with --csv-full-history).

    The history's Aggregated row is written every second. Its percentiles are cumulative since
    the start unless --csv-full-history is on; with it they are of the last 10 seconds. A
    minute's p95 and p99 are the median of its seconds' values (`worst p99`: the highest), so
    a burst of slow answers shows in `worst`, not in the median. Requests/s and the mean are
    exact, from the running totals at the minute's end and the previous one's.
    """
    if not history_csv.exists():
        return []
    with history_csv.open() as lines:
        rows = [row for row in csv.DictReader(lines) if row["Name"] == "Aggregated"]
    if not rows:
        return []
    start = int(rows[0]["Timestamp"])
    minutes: dict[int, list[dict[str, str]]] = {}
    for row in rows:
        minutes.setdefault((int(row["Timestamp"]) - start) // 60, []).append(row)
    last = max(minutes)
    if last and len(minutes[last]) < 10:  # locust's last second or two: part of the minute before
        minutes.setdefault(last - 1, []).extend(minutes.pop(last))

    def values(seconds: list[dict[str, str]], column: str) -> list[int]:
        # "N/A" before the first answer; 0 while locust has no figures from 10 s ago.
        return [int(s[column]) for s in seconds if s[column].isdigit() and int(s[column])]

    table, count_before, at_before, time_before = [], 0, start, 0.0
    for minute, seconds in sorted(minutes.items()):
        end = seconds[-1]
        count, at = int(end["Total Request Count"]), int(end["Timestamp"])
        # The running mean times the count is the total time: the minute's mean is exact.
        time_total = float(end["Total Average Response Time"]) * count
        requests = count - count_before
        p95s, p99s = values(seconds, "95%"), values(seconds, "99%")
        table.append(
            {
                "minute": minute,
                "users": int(end["User Count"]),
                "requests": requests,
                "requests_per_second": round(requests / max(at - at_before, 1), 1),
                "mean_ms": round((time_total - time_before) / requests) if requests else None,
                "p95_ms": statistics.median(p95s) if p95s else None,
                "p99_ms": statistics.median(p99s) if p99s else None,
                "worst_p99_ms": max(p99s, default=None),
            }
        )
        count_before, at_before, time_before = count, at, time_total
    return table


def warmup_minutes(minutes: float, asked: float | None) -> float:
    default = 10.0 if minutes >= 30 else 2.0
    return min(default if asked is None else asked, minutes / 2)


def rss_growth_per_hour(steady: list[Sample]) -> float:
    """Least-squares slope of RSS over time, per hour, as a share of the first sample's RSS."""
    if len(steady) < 2 or not steady[0].rss_mib:
        return 0.0
    fit = statistics.linear_regression([s.at for s in steady], [s.rss_mib for s in steady])
    return fit.slope * 3600 / steady[0].rss_mib


@dataclass
class Run:
    question: str
    work: Path
    samples: list[Sample]
    size_start: dict[str, int] | None
    size_end: dict[str, int] | None


def load(args: argparse.Namespace, database_url: str, database: str) -> Run:
    """Serve a fresh Ponder, let locust loose on it and sample the server meanwhile."""
    work = Path(tempfile.mkdtemp(prefix="ponder-soak-"))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {"PONDER_DATA_DIR": str(work / "data"), "PONDER_RATE_LIMITS": "off"}
    env |= {"LOG_LEVEL": "WARNING", "DEBUG": "0"}
    if database_url:
        env["DATABASE_URL"] = database_url
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
        size_start = question_size(url, question)
        started = time.monotonic()

        def watch() -> None:
            while not stop.wait(SAMPLE_SECONDS):
                samples.append(sample(server.pid, started))

        samples.append(sample(server.pid, started))
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        locust = [
            *(sys.executable, "-m", "locust", "-f", str(ROOT / "bench/locustfile.py")),
            *("--headless", "-u", str(args.users), "-r", str(args.spawn_rate)),
            *("-t", f"{int(args.minutes * 60)}s", "-H", url, "--csv", str(work / "locust")),
            # Full history: its percentiles are of the last 10 s, not cumulative (per_minute).
            *("--csv-full-history", "--only-summary", "--stop-timeout", "10"),
            *("--loglevel", "WARNING"),
        ]
        print(
            f"{database}: {args.users} users for {args.minutes:g} min against {url} "
            f"(question {question}, {args.workers} worker(s)); data in {work}",
            flush=True,
        )
        locust_env = env | {"PONDER_QUESTION": question}
        locust_env["LOCUST_STATUS_FILE"] = str(work / "statuses.json")
        with (work / "locust.log").open("wb") as locust_log:
            subprocess.run(  # noqa: S603
                locust,
                cwd=ROOT,
                env=locust_env,
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=locust_log,
                timeout=args.minutes * 60 + 300,
            )
        stop.set()
        watcher.join()
        samples.append(sample(server.pid, started))
        size_end = question_size(url, question)
    finally:
        stop.set()
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
    return Run(question, work, samples, size_start, size_end)


def _size(size: dict[str, int] | None) -> str:
    if size is None:
        return "unreadable"
    returned = (
        f" ({size['ideas_returned']} returned)" if size["ideas_returned"] != size["ideas"] else ""
    )
    return f"{size['ideas']} ideas{returned}, {size['arguments']} arguments"


def report(args: argparse.Namespace, database: str, soak: Run, warmup: float) -> bool:
    """Print the figures beside the bars, write them to bench/results; True if all are met."""
    work, samples = soak.work, soak.samples
    total = aggregated(work / "locust_stats.csv")
    requests = int(total["Request Count"])
    failures = int(total["Failure Count"])
    p95, p99 = float(total["95%"]), float(total["99%"])
    statuses_file = work / "statuses.json"
    statuses = json.loads(statuses_file.read_text()) if statuses_file.exists() else {}
    server_errors = sum(n for code, n in statuses.items() if code.isdigit() and int(code) >= 500)
    error_rate = failures / requests if requests else 1.0

    # From the warm-up to locust's end: the last sample, taken as locust has closed its
    # connections, is in the JSON but not judged.
    steady = [s for s in samples if warmup * 60 <= s.at <= args.minutes * 60] or samples
    first, last = steady[0], steady[-1]
    span = (last.at - first.at) / 60
    rss_per_hour = rss_growth_per_hour(steady)
    fds = [s.fds for s in steady]
    fd_median = statistics.median(fds)
    fd_low, fd_high = min(fds) / fd_median - 1, max(fds) / fd_median - 1
    rsss = [s.rss_mib for s in steady]
    # Memory and descriptors are the soak's bars: a shorter run shows them, unjudged (its slope
    # is mostly the caches filling and the question growing).
    soaked = args.minutes >= SOAK_MINUTES

    rows = [
        ("p95", "< 300 ms", f"{p95:.0f} ms", p95 < 300),
        ("p99", "< 1 s", f"{p99:.0f} ms", p99 < 1000),
        ("5xx", "0", f"{server_errors}", server_errors == 0),
        ("errors", "< 0.1%", f"{error_rate:.2%} ({failures} of {requests})", error_rate < 0.001),
        (
            "RSS growth",
            "< 10% per hour",
            f"{rss_per_hour:+.1%}/h (slope over {span:.1f} min after the warm-up)",
            rss_per_hour < 0.10 if soaked else None,
        ),
        (
            "open fds",
            "stable ±5%",
            f"{min(fds)}..{max(fds)}, median {fd_median:g} ({fd_low:+.1%} / {fd_high:+.1%})",
            abs(fd_low) <= 0.05 and fd_high <= 0.05 if soaked else None,
        ),
    ]
    minutes = per_minute(work / "locust_stats_history.csv")
    with (work / "locust_stats.csv").open() as stats:
        per_request = list(csv.DictReader(stats))

    rate = requests / (samples[-1].at or 1)
    print(f"\n{database}, {args.users} users, {args.minutes:g} min, {rate:.1f} req/s")
    print(f"statuses: {statuses}")
    print(f"question: {_size(soak.size_start)} at the start, {_size(soak.size_end)} at the end")
    print(
        f"after the {warmup:g} min warm-up ({len(steady)} samples of {len(samples)}): "
        f"RSS {first.rss_mib:.0f} -> {last.rss_mib:.0f} MiB (min {min(rsss):.0f}, "
        f"max {max(rsss):.0f}); fds {first.fds} -> {last.fds} (min {min(fds)}, max {max(fds)})"
    )
    print(f"{'measure':<12} {'bar':<16} {'result':<52} met")
    for name, bar, result, met in rows:
        verdict = {True: "yes", False: "NO", None: f"not judged (< {SOAK_MINUTES} min)"}[met]
        print(f"{name:<12} {bar:<16} {result:<52} {verdict}")
    print("\nper minute, ms (p95, p99: median of its 10-second windows; worst: highest p99 window)")
    print(
        f"  {'minute':>6} {'users':>5} {'req/s':>6} {'mean':>6} {'p95':>6} {'p99':>6} {'worst':>6}"
    )
    for m in minutes:
        figures = (m["mean_ms"], m["p95_ms"], m["p99_ms"], m["worst_p99_ms"])
        print(
            f"  {m['minute']:>6} {m['users']:>5} {m['requests_per_second']:>6} "
            + " ".join(f"{'-' if x is None else f'{x:.0f}':>6}" for x in figures)
        )
    print("\nper request: name, count, failures, p50, p95, p99 (ms)")
    for row in per_request:
        print(
            f"  {row['Name']:<28} {row['Request Count']:>6} {row['Failure Count']:>5} "
            f"{row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )

    now = datetime.now(UTC)
    kind = "postgres" if database == "PostgreSQL" else "sqlite"
    path = RESULTS / f"soak-{kind}-{now:%Y%m%d-%H%M%S}.json"
    results = {
        "database": database,
        "finished_utc": now.isoformat(timespec="seconds"),
        "users": args.users,
        "spawn_rate": args.spawn_rate,
        "minutes": args.minutes,
        "workers": args.workers,
        "warmup_minutes": warmup,
        "requests_per_second": round(rate, 1),
        "statuses": statuses,
        "question": soak.question,
        "question_start": soak.size_start,
        "question_end": soak.size_end,
        "table": [
            {"measure": name, "bar": bar, "result": result, "met": met}
            for name, bar, result, met in rows
        ],
        "judged_seconds": [round(first.at, 1), round(last.at, 1)],
        "rss_growth_per_hour": rss_per_hour,
        "fds_median": fd_median,
        "per_minute": minutes,
        "per_request": [
            {
                "name": row["Name"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                **{f"p{q}_ms": row[f"{q}%"] for q in (50, 95, 99)},
            }
            for row in per_request
        ],
        "samples": [
            {"seconds": round(s.at, 1), "rss_mib": round(s.rss_mib, 1), "fds": s.fds}
            for s in samples
        ],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return all(met is not False for *_, met in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200, help="simulated people (default 200)")
    parser.add_argument("--spawn-rate", type=float, default=20, help="people started per second")
    parser.add_argument("--minutes", type=float, default=2, help="how long (default 2)")
    parser.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="minutes before memory and fds are judged (default 10 for runs of 30 minutes or "
        "more, else 2; at most half the run)",
    )
    parser.add_argument("--workers", type=int, default=1, help="ponder serve --workers")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--database-url", default="", help="an EMPTY PostgreSQL database (default: SQLite)"
    )
    where.add_argument(
        "--postgres",
        action="store_true",
        help="a fresh PostgreSQL database on --postgres-server, dropped at the end",
    )
    parser.add_argument(
        "--postgres-server", default=POSTGRES_SERVER, help=f"for --postgres ({POSTGRES_SERVER})"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    args = parser.parse_args()
    if shutil.which("locust", path=str(Path(sys.executable).parent)) is None:
        sys.exit("locust is missing: .venv/bin/pip install -e '.[load]'")
    warmup = warmup_minutes(args.minutes, args.warmup)
    if args.warmup is not None and warmup < args.warmup:
        print(f"warm-up cut to {warmup:g} min, half the run", flush=True)
    # A SIGTERM unwinds like Ctrl-C: the server is stopped and a --postgres database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with ExitStack() as stack:
        database_url = args.database_url
        if args.postgres:
            database_url = stack.enter_context(fresh_database(args.postgres_server))
        database = "PostgreSQL" if database_url else "SQLite"
        soak = load(args, database_url, database)
        met = report(args, database, soak, warmup)
    if not args.keep:
        shutil.rmtree(soak.work, ignore_errors=True)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
