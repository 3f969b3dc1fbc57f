"""Two versions of Ponder served side by side and measured interleaved (A B A B ...).

    .venv/bin/python bench/ab.py --a 8aeddb7 --b . [--db sqlite|postgres|both]
                                 [--workers 1 2] [--rounds 2] [--seconds 8]

A side is a commit (checked out with `git worktree add` into a temporary folder, removed
afterwards) or a folder holding a checkout (served as it is, uncommitted changes included). Each
side runs its own code: `python -m ponder serve` in its folder (the virtualenv is shared), on a
database of its own that the side's own `bench/data.py` builds and its own migrations shape. The
same seed gives both databases the same questions, ids and tokens; a digest of each question's
rows, taken by each side, says whether they are identical.

For each database and number of workers both sides are served at once, and each scenario runs on
A, then B, then A, then B (`--rounds`), with the same connections and seconds: `/healthz`, page
S, page L, the idea's own page, the page's vote form and the API's vote (`overhttp.py` and
`loadgen.py` do the serving and the load). It prints rates and the servers' CPU per answer, the
median of the rounds for each side, and B/A; every acknowledged vote is looked up afterwards by
the side that took it (`overhttp.check_votes`). Everything goes to bench/results/ab-<time>.json.

Every step is bounded in time; the servers, the temporary checkouts and databases are removed at
the end, also when the run fails or is stopped (Ctrl-C, SIGTERM).

This file imports the bench's other modules only inside functions: the steps that build and
check a side's data run in a process of their own, in the side's folder, with the side's own
`data.py` and `overhttp.py`; the orchestrator uses this checkout's.
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
# Each side its own Redis database, so that nothing one side keeps there is read by the other.
REDIS_DATABASES = {"A": 12, "B": 13}
SCENARIOS = ["healthz", "page S", "page L", "idea page", "vote", "vote (API)"]
WRITES = {"vote": "page", "vote (API)": "api"}  # scenario: kind of write target
# Seconds, for the estimate printed at the start: building one side's data (S, L and the write
# targets) and starting one server (migrations and static files first), from test runs.
BUILD_SECONDS = {"sqlite": 50, "postgres": 50}
START_SECONDS = 10
OVERHEAD_SECONDS = 1.5  # per measurement: the load generator's start, the drain
# Every page read once by every worker before anything is measured: the first read of a page in a
# process renders it whole (hundreds of ms for L), which a short warm-up did not always cover
# (with 2 workers it put page L at 5 ms of CPU a page against 1.8 ms).
PRIME_SECONDS = 3.0


@dataclass
class Side:
    name: str  # "A" or "B"
    given: str
    root: Path
    described: str  # the commit, and "+ changes" for a folder with uncommitted changes
    temporary: bool  # a checkout of ours, removed at the end


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(  # noqa: S603 - our own arguments
        ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
        cwd=cwd, capture_output=True, text=True, check=True, timeout=120,
    ).stdout.strip()  # fmt: skip


def resolve_side(name: str, given: str, tmp: Path) -> Side:
    """A folder is served as it is; anything else must name a commit, checked out for the run."""
    folder = Path(given).expanduser()
    if folder.is_dir():
        root = folder.resolve()
        if not (root / "ponder" / "__init__.py").exists() or not (root / "bench/data.py").exists():
            raise SystemExit(f"{given}: not a checkout of Ponder (no ponder/ or bench/data.py)")
        commit = git("rev-parse", "--short", "HEAD", cwd=root)
        dirty = git("status", "--porcelain", "--", "ponder", "bench", cwd=root)
        return Side(name, given, root, commit + (" + changes" if dirty else ""), temporary=False)
    try:
        commit = git("rev-parse", "--verify", "--quiet", f"{given}^{{commit}}")
    except subprocess.CalledProcessError:
        raise SystemExit(f"{given}: neither a folder nor a commit") from None
    root = tmp / f"checkout-{name}"
    git("worktree", "add", "--detach", "--quiet", str(root), commit)
    return Side(name, given, root, commit[:9], temporary=True)


def remove_checkout(side: Side) -> None:
    if side.temporary and side.root.exists():
        subprocess.run(  # noqa: S603 - our own arguments
            ["git", "worktree", "remove", "--force", str(side.root)],  # noqa: S607
            cwd=ROOT, capture_output=True, check=False, timeout=120,
        )  # fmt: skip
    if side.temporary:
        shutil.rmtree(side.root, ignore_errors=True)
        git("worktree", "prune")


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def side_env(side: Side, db: str, data_dir: Path, pg_name: str) -> dict[str, str]:
    """`run.env_for`'s production settings, with the side's own data folder, database, Redis
    database and code."""
    import run

    env = run.env_for(db)
    env["PONDER_DATA_DIR"] = str(data_dir)
    if db == "postgres":
        env["DATABASE_URL"] = f"{PG_SERVER}/{pg_name}"
    if "REDIS_URL" in env:
        env["REDIS_URL"] = f"redis://127.0.0.1:6379/{REDIS_DATABASES[side.name]}"
    # The side's `ponder` before the virtualenv's editable install, in every process it starts.
    env["PYTHONPATH"] = str(side.root)
    return env


def server_pids(group: int) -> list[int]:
    """Every process of the server's process group: its workers, and whatever else the side's
    `ponder serve` runs (a supervisor, the deadline worker), so that CPU a side moves to another
    process of its own is counted too. What is not a worker sleeps almost all the time."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[2]) == group:  # state, ppid, pgrp
                found.append(int(entry.name))
    return sorted(found)


def in_side(side: Side, env: dict[str, str], job: dict[str, Any], timeout: float) -> Any:
    """Run `job` (see `phase`) with the side's own code, in a process of its own."""
    with tempfile.TemporaryDirectory(prefix="ponder-ab-job-") as folder:
        job_path, out_path = Path(folder) / "job.json", Path(folder) / "out.json"
        job_path.write_text(json.dumps(job))
        subprocess.run(  # noqa: S603 - our own script
            [sys.executable, __file__, "--phase", str(job_path), str(out_path)],
            env=env, cwd=side.root, check=True, timeout=timeout,
        )  # fmt: skip
        return json.loads(out_path.read_text())


# The steps run with a side's code ----------------------------------------------------------------


def phase(job_path: str, out_path: str) -> None:
    """Build a side's bench data, or check its votes, with the side's own modules: its folder
    (the working directory) and its bench/ come first on the path, this file's folder not at
    all."""
    root = Path.cwd()
    sys.path[:] = [str(root / "bench"), str(root)] + [p for p in sys.path if Path(p) != BENCH]
    import data
    import overhttp

    data.setup_django()
    job = json.loads(Path(job_path).read_text())
    if job["kind"] == "prepare":
        out = prepare(data, overhttp, job["targets"])
    else:
        out = [
            overhttp.check_votes(c["target"], c["pairs"], c["acknowledged"]) for c in job["checks"]
        ]
    Path(out_path).write_text(json.dumps(out, default=str))


def prepare(data: Any, overhttp: Any, labels: list[str]) -> dict[str, Any]:
    """Migrate; write S and L as `run.py` does; a fresh copy of S with 2,000 participants for
    each write target; the cookies and tokens the requests carry."""
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    out: dict[str, Any] = {"targets": {}}
    for size in ("S", "L"):
        plan = data.make_plan(size)
        written = data.write_bulk(plan)
        me = overhttp.Browser(plan.people[plan.bench_person()][1], 0)
        digest = None
        if hasattr(data, "snapshot"):
            rows = json.dumps(data.snapshot(written.question_id), sort_keys=True, default=str)
            digest = hashlib.sha256(rows.encode()).hexdigest()[:16]
        out[size] = {
            "question_id": written.question_id,
            # The first idea has the most pros and cons (data.py): the heaviest idea page.
            "idea_id": written.idea_ids[0],
            "cookie": me.cookie,
            "csrf": me.csrf,
            "digest": digest,
        }
    for label in labels:
        target = overhttp.write_target(label, writers=overhttp.WRITERS)
        if label.startswith("page"):
            browsers = [overhttp.Browser(token, 0) for _pid, token in target["people"]]
            target["browsers"] = [(b.cookie, b.csrf) for b in browsers]
        out["targets"][label] = target
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would within a minute of the bulk load
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


# The orchestrator -------------------------------------------------------------------------------


def target_label(scenario: str, workers: int, n: int) -> str:
    """The write target of one measurement: each has its own question and people."""
    return f"{WRITES[scenario]}-{workers}w-{n}"


def target_labels(args: argparse.Namespace) -> list[str]:
    return [
        target_label(scenario, workers, n)
        for workers in args.workers
        for n in range(args.rounds)
        for scenario in args.scenarios
        if scenario in WRITES
    ]


def requests_for(
    scenario: str, prepared: dict[str, Any], port: int, label: str | None
) -> tuple[list[str], list[Any] | None, dict[str, Any] | None]:
    """The raw requests of one measurement, and for a write its (person, idea) pairs and
    target."""
    import overhttp
    from overhttp import Browser, request

    if scenario == "healthz":
        return [request("GET", "/healthz", port)], None, None
    if scenario in ("page S", "page L", "idea page"):
        size = "L" if scenario == "page L" else "S"
        me = Browser.of(prepared[size]["cookie"], prepared[size]["csrf"], port)
        path = f"/q/{prepared[size]['question_id']}/"
        if scenario == "idea page":
            path += f"ideas/{prepared[size]['idea_id']}/"
        return [me.get(path)], None, None
    assert label is not None
    target = prepared["targets"][label]
    pairs = overhttp.vote_pairs(target, overhttp.MAX_WRITES)
    ideas = target["idea_ids"]
    if scenario == "vote":
        browsers = [Browser.of(cookie, csrf, port) for cookie, csrf in target["browsers"]]
        page = f"/q/{target['question_id']}/"
        raw = [browsers[p].post(f"{page}ideas/{ideas[i]}/vote/", page=page) for p, i in pairs]
    else:
        raw = overhttp.api_votes(target, pairs, port)
    return raw, pairs, target


def one_database(
    args: argparse.Namespace, db: str, sides: list[Side], tmp: Path, report: dict[str, Any]
) -> None:
    import overhttp

    result: dict[str, Any] = {"sides": {}, "runs": []}
    report["databases"][db] = result
    envs, prepared = {}, {}
    for side in sides:
        pg_name = f"bench_ab_{os.getpid()}_{side.name.lower()}"
        if db == "postgres":
            pg_admin(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
            pg_admin(f"CREATE DATABASE {pg_name}")
            report["created_databases"].append(pg_name)
        envs[side.name] = side_env(side, db, tmp / f"data-{db}-{side.name}", pg_name)
        print(f"[{db}] {side.name}: bench data, built by its own code", flush=True)
        prepared[side.name] = in_side(
            side, envs[side.name], {"kind": "prepare", "targets": target_labels(args)}, 1800
        )
        result["sides"][side.name] = {
            size: {k: prepared[side.name][size][k] for k in ("question_id", "digest")}
            for size in ("S", "L")
        } | {"build_seconds": prepared[side.name]["seconds"]}
    # None: a side's data.py cannot take the digest.
    digests = [prepared[side][size]["digest"] for side in ("A", "B") for size in ("S", "L")]
    same = None if None in digests else digests[:2] == digests[2:]
    result["same_data"] = same
    if same is False:
        print(f"[{db}] WARNING: the two sides' bench data differ (digests)", flush=True)

    checks: dict[str, list[dict[str, Any]]] = {side.name: [] for side in sides}
    warmup = 1.0 if args.seconds >= 5 else 0.5
    for workers in args.workers:
        run: dict[str, Any] = {"workers": workers, "scenarios": {}}
        result["runs"].append(run)
        with ExitStack() as servers:
            ports, groups = {}, {}
            for side in sides:
                print(f"[{db}] {side.name}: ponder serve, {workers} worker(s)", flush=True)
                log = RESULTS / "logs" / f"ab-{db}-{side.name}-{workers}.log"
                port, pid = servers.enter_context(
                    overhttp.server(
                        envs[side.name], workers=workers, log=log, cwd=side.root,
                        command=[sys.executable, "-m", "ponder", "serve"],
                    )
                )  # fmt: skip
                ports[side.name], groups[side.name] = port, pid
            for side in sides:
                pages = [
                    requests_for(scenario, prepared[side.name], ports[side.name], None)[0][0]
                    for scenario in ("page S", "page L", "idea page")
                ]
                overhttp.load(
                    ports[side.name], pages, duration=PRIME_SECONDS, connections=args.connections
                )
            for scenario in args.scenarios:
                rounds: dict[str, list[dict[str, Any]]] = {side.name: [] for side in sides}
                run["scenarios"][scenario] = rounds
                for n in range(args.rounds):
                    for side in sides:
                        label = target_label(scenario, workers, n) if scenario in WRITES else None
                        raw, pairs, target = requests_for(
                            scenario, prepared[side.name], ports[side.name], label
                        )
                        figures = overhttp.measured(
                            server_pids(groups[side.name]), ports[side.name], raw,
                            duration=args.seconds,
                            warmup=0.0 if target else warmup,
                            connections=args.connections,
                            mode="once" if target else "repeat",
                        )  # fmt: skip
                        acknowledged = figures.pop("acknowledged", None)
                        if target is not None:
                            checks[side.name].append(
                                {"target": target, "pairs": pairs, "acknowledged": acknowledged}
                            )
                            figures["check"] = len(checks[side.name]) - 1
                        rounds[side.name].append(figures)
                        print(
                            f"[{db}, {workers}w] {scenario}, round {n + 1}, {side.name}: "
                            f"{figures['rps']:,.1f} req/s, "
                            f"{figures.get('server_cpu_ms', 0):.2f} ms CPU/answer",
                            flush=True,
                        )
    for side in sides:
        print(f"[{db}] {side.name}: checking every acknowledged vote", flush=True)
        found = in_side(side, envs[side.name], {"kind": "check", "checks": checks[side.name]}, 600)
        for run in result["runs"]:
            for scenario in WRITES:
                for figures in run["scenarios"].get(scenario, {}).get(side.name, []):
                    figures["check"] = found[figures["check"]]


def estimate(args: argparse.Namespace, dbs: list[str]) -> float:
    """Seconds the run should take on an idle machine."""
    reads = sum(1 for s in args.scenarios if s not in WRITES)
    writes = sum(1 for s in args.scenarios if s in WRITES)
    warmup = 1.0 if args.seconds >= 5 else 0.5
    per_round = 2 * (
        reads * (warmup + args.seconds + OVERHEAD_SECONDS)
        + writes * (args.seconds + OVERHEAD_SECONDS)
    )
    per_workers = 2 * (START_SECONDS + PRIME_SECONDS) + args.rounds * per_round
    total = 0.0
    for db in dbs:
        targets = len(target_labels(args))
        total += 2 * (BUILD_SECONDS[db] + 2 * targets) + len(args.workers) * per_workers + 20
    return total


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarize(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per database, workers and scenario: the median of the rounds for each side."""
    rows = []
    for db, result in report["databases"].items():
        for run in result["runs"]:
            healthz: dict[str, float | None] = {}
            for scenario, by_side in run["scenarios"].items():
                row: dict[str, Any] = {"scenario": scenario, "db": db, "workers": run["workers"]}
                for name, rounds in by_side.items():
                    row[f"{name} rps"] = median([r["rps"] for r in rounds if r.get("rps")])
                    row[f"{name} cpu"] = median(
                        [r["server_cpu_ms"] for r in rounds if "server_cpu_ms" in r]
                    )
                    row[f"{name} rough"] = any(r.get("rps_basis") == "whole run" for r in rounds)
                    row[f"{name} failed"] = sum(
                        sum(n for s, n in r["statuses"].items() if int(s) >= 400)
                        + sum(r["errors"].values())
                        for r in rounds
                    )
                    checks = [r["check"] for r in rounds if isinstance(r.get("check"), dict)]
                    if checks:
                        row[f"{name} exact"] = all(c["exact"] for c in checks)
                        row[f"{name} acknowledged"] = sum(c["acknowledged"] for c in checks)
                    if scenario == "healthz":
                        healthz[name] = row[f"{name} rps"]
                    elif healthz.get(name) and row[f"{name} rps"]:
                        row[f"{name} of healthz"] = round(row[f"{name} rps"] / healthz[name], 3)
                a_rounds, b_rounds = by_side.get("A", []), by_side.get("B", [])
                row["ratios"] = [
                    round(b["rps"] / a["rps"], 2)
                    for a, b in zip(a_rounds, b_rounds, strict=False)
                    if a.get("rps") and b.get("rps")
                ]
                if row.get("A rps") and row.get("B rps"):
                    row["B/A"] = round(row["B rps"] / row["A rps"], 3)
                rows.append(row)
    return rows


def table(report: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    def rate(row: dict[str, Any], side: str) -> str:
        value = row.get(f"{side} rps")
        if value is None:
            return "-"
        return f"{'≈' if row[f'{side} rough'] else ''}{value:,.1f}"

    def cpu(row: dict[str, Any], side: str) -> str:
        value = row.get(f"{side} cpu")
        return "-" if value is None else f"{value:.2f}"

    def notes(row: dict[str, Any]) -> str:
        parts = []
        if row.get("A cpu") and row.get("B cpu"):
            parts.append(f"CPU B/A {row['B cpu'] / row['A cpu']:.2f}")
        if row["scenario"] != "healthz" and "A of healthz" in row and "B of healthz" in row:
            parts.append(f"/healthz share A {row['A of healthz']:.0%}, B {row['B of healthz']:.0%}")
        for side in ("A", "B"):
            if f"{side} exact" in row:
                mark = "exact" if row[f"{side} exact"] else "NOT EXACT"
                parts.append(f"{side} {row[f'{side} acknowledged']:,} votes {mark}")
            if row.get(f"{side} failed"):
                parts.append(f"{side} {row[f'{side} failed']:,} failed")
        return "; ".join(parts)

    header = [
        "scenario", "db", "workers", "A req/s", "B req/s", "B/A", "B/A by round",
        "A CPU ms/answer", "B CPU ms/answer", "notes",
    ]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [
            row["scenario"],
            row["db"],
            str(row["workers"]),
            rate(row, "A"),
            rate(row, "B"),
            f"{row['B/A']:.2f}" if "B/A" in row else "-",
            ", ".join(f"{r:.2f}" for r in row["ratios"]),
            cpu(row, "A"),
            cpu(row, "B"),
            notes(row),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    sides = report["sides"]
    verdicts = {True: "yes", False: "NO", None: "unknown"}
    same = ", ".join(
        f"{db} {verdicts[result.get('same_data')]}" for db, result in report["databases"].items()
    )
    lines += [
        "",
        f"A = {sides['A']['given']} ({sides['A']['described']}), B = {sides['B']['given']} "
        f"({sides['B']['described']}); {report['started']}, {report.get('seconds', '?')} s; "
        f"{report['rounds']} rounds of {report['seconds_each']} s, {report['connections']} "
        f"connections, closed loop; rates and CPU are the median of the rounds; ≈ = few "
        f"answers, rate over the whole run; same bench data on both sides: {same}; "
        f"{report['machine']}, load average before "
        f"{' '.join(f'{x:.2f}' for x in report['load_before'])}, after "
        f"{' '.join(f'{x:.2f}' for x in report.get('load_after', ()))}.",
    ]
    if report.get("stopped"):
        lines.append(f"Stopped early: {report['stopped']}")
    return "\n".join(lines)


def orchestrate(args: argparse.Namespace) -> None:
    import run

    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    seconds = estimate(args, dbs)
    print(
        f"A/B: {args.a} against {args.b}, {' and '.join(dbs)}, workers {args.workers}, "
        f"{args.rounds} rounds of {args.seconds} s per scenario and side: about "
        f"{seconds / 60:.0f} minutes ({seconds:.0f} s) on an idle machine",
        flush=True,
    )
    RESULTS.mkdir(exist_ok=True)
    machine = run.machine()
    started = datetime.now(UTC)
    clock = time.monotonic()
    report: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "machine": f"{machine['cpu']}, {machine['cores']} cores",
        "load_before": os.getloadavg(),
        "rounds": args.rounds,
        "seconds_each": args.seconds,
        "connections": args.connections,
        "databases": {},
        "created_databases": [],
        "sides": {},
    }

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    # Ctrl-C, also for a run started in the background (whose shell may have ignored SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    tmp = Path(tempfile.mkdtemp(prefix="ponder-ab-"))
    sides: list[Side] = []
    try:
        for name, given in (("A", args.a), ("B", args.b)):
            side = resolve_side(name, given, tmp)
            sides.append(side)
            report["sides"][name] = {"given": given, "described": side.described}
        for db in dbs:
            one_database(args, db, sides, tmp, report)
    except KeyboardInterrupt as stopped:
        report["stopped"] = f"interrupted ({str(stopped) or 'Ctrl-C'})"
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, RuntimeError) as failed:
        report["stopped"] = f"failed: {failed}"
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the clean-up is not to be cut short
        for name in report["created_databases"]:
            try:
                pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except Exception as error:  # said, and the rest is still cleaned up
                print(f"could not drop the database {name}: {error}", file=sys.stderr)
        for side in sides:
            remove_checkout(side)
        shutil.rmtree(tmp, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    report["load_after"] = os.getloadavg()
    report["seconds"] = round(time.monotonic() - clock)
    rows = summarize(report) if "A" in report["sides"] and "B" in report["sides"] else []
    report["rows"] = rows
    if rows or "stopped" not in report:
        report["table"] = table(report, rows)
        print()
        print(report["table"])
    path = RESULTS / f"ab-{started:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nWritten: {path}")
    if "stopped" in report:
        print(report["stopped"], file=sys.stderr)
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Serve two versions of Ponder side by side and measure them interleaved."
    )
    parser.add_argument("--a", help="the code before: a commit, or a folder (required)")
    parser.add_argument("--b", default=".", help="the code after (default: this folder, as is)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--rounds", type=int, default=2, help="A B pairs per scenario")
    parser.add_argument("--seconds", type=float, default=8.0, help="per scenario and side")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--scenarios", nargs="+", choices=SCENARIOS, default=SCENARIOS, metavar="SCENARIO",
        help=f"some of: {', '.join(repr(s) for s in SCENARIOS)} (default: all)",
    )  # fmt: skip
    parser.add_argument("--phase", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(*args.phase)
        return
    if not args.a:
        parser.error("--a is required")
    if args.rounds < 1 or args.seconds <= 0 or min(args.workers) < 1:
        parser.error("--rounds, --seconds and --workers must be positive")
    orchestrate(args)


if __name__ == "__main__":
    main()
