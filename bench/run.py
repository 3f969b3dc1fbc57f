"""Ponder's benchmark suite: figures, not pass/fail.

    .venv/bin/python bench/run.py [--quick] [--db sqlite|postgres|both] [--workers 1 2]
                                  [--skip-http] [--skip-inprocess] [--fresh]

For each database it builds the bench data once (`data.py`: S and L, cached under
bench/results/ until the generator changes), checks that the bulk writer writes what the
services write, measures the pages in-process (`inprocess.py`), then serves them with
`ponder serve` (1 and 2 workers) and loads them over HTTP (`overhttp.py`, `loadgen.py`). It
prints one table and writes every figure to bench/results/bench-<time>.json (and latest.json).

Absolute figures move with the machine and with whatever else runs on it: compare the ratios
to /healthz of the same run, and see the load average printed with them.
"""

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PG_DATABASE = "ponder_bench"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own, away from the app's
# Not a secret: it signs the bench's own cookies, for its own server, on 127.0.0.1.
BENCH_SECRET_KEY = "ponder-bench-only-not-a-secret-0123456789-abcdefghij"  # noqa: S105
DB_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
ORDER = [
    "healthz", "healthz (end)", "healthz (wrk)", "page S", "page L", "api question S", "vote",
    "vote (API)", "add idea",
]  # fmt: skip


# The orchestrator -----------------------------------------------------------------------------


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def env_for(db: str) -> dict[str, str]:
    """Production settings (DEBUG off, collected static files), the bench's own data folder,
    database and Redis database; nothing of the caller's Ponder configuration."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PONDER_")
        and k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}
    }
    env.update(
        PONDER_DATA_DIR=str(RESULTS / f"data-{db}"),
        SECRET_KEY=BENCH_SECRET_KEY,
        DEBUG="0",
        PONDER_STATIC_MANIFEST="1",
        DJANGO_SETTINGS_MODULE="ponder.settings",
        # The load comes from one address, far beyond what one person may send.
        PONDER_RATE_LIMITS="off",
    )
    if db == "postgres":
        env["DATABASE_URL"] = PG_URL
    if redis_up():
        env["REDIS_URL"] = REDIS_URL
    return env


def database_exists(db: str) -> bool:
    if db == "sqlite":
        return (RESULTS / "data-sqlite" / "ponder.sqlite3").exists()
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DATABASE])
        return found.fetchone() is not None


def fresh_database(db: str) -> None:
    """Start from an empty database (the data is then generated again)."""
    if db == "sqlite":
        for path in (RESULTS / "data-sqlite").glob("ponder.sqlite3*"):
            path.unlink()
    else:
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    (RESULTS / f"data-{db}" / "bench-manifest.json").unlink(missing_ok=True)


def machine() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT, capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "ponder"],  # noqa: S607
        cwd=ROOT, capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "commit": commit + (" + uncommitted changes in ponder/" if dirty else ""),
        "wrk": shutil.which("wrk") is not None,
    }


def orchestrate(args: argparse.Namespace) -> None:
    import data

    RESULTS.mkdir(exist_ok=True)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine(),
        "load_before": os.getloadavg(),
        "databases": {},
    }
    for db in dbs:
        manifest_path = RESULTS / f"data-{db}" / "bench-manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        stale = manifest.get("fingerprint") != data.fingerprint() or not database_exists(db)
        if args.fresh or stale:
            print(f"[{db}] new bench data (generator changed, or none yet)", flush=True)
            fresh_database(db)
        out = RESULTS / f".phase-{db}.json"
        command = [sys.executable, __file__, "--phase", db, "--out", str(out)]
        command += ["--workers", *map(str, args.workers)]
        command += ["--quick"] * args.quick + ["--skip-http"] * args.skip_http
        command += ["--skip-inprocess"] * args.skip_inprocess
        subprocess.run(command, env=env_for(db), cwd=ROOT, check=True)  # noqa: S603
        report["databases"][db] = json.loads(out.read_text())
        out.unlink()
    report["load_after"] = os.getloadavg()
    report["seconds"] = round((datetime.now(UTC) - started).total_seconds())
    add_ratios(report)
    table = render_table(report)
    report["table"] = table
    print()
    print(table)
    name = f"bench-{started:%Y%m%d-%H%M%S}{'-quick' if args.quick else ''}.json"
    for path in (RESULTS / name, RESULTS / "latest.json"):
        path.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nWritten: {RESULTS / name}")


def add_ratios(report: dict[str, Any]) -> None:
    """Each throughput also as a share of /healthz on the same server in the same run: the mean
    of /healthz measured first and last (the machine's other work moves both)."""
    for result in report["databases"].values():
        for run in result.get("http", []):
            scenarios = run["scenarios"]
            ceilings = [scenarios[n]["rps"] for n in ("healthz", "healthz (end)") if n in scenarios]
            ceiling = sum(ceilings) / len(ceilings) if ceilings else 0
            run["ceiling_rps"] = round(ceiling, 1)
            cpus = [
                scenarios[n]["server_cpu_ms"]
                for n in ("healthz", "healthz (end)")
                if "server_cpu_ms" in scenarios.get(n, {})
            ]
            healthz_cpu = sum(cpus) / len(cpus) if cpus else 0
            for name, scenario in scenarios.items():
                if ceiling and "rps" in scenario and not name.startswith("healthz"):
                    scenario["vs_healthz"] = round(scenario["rps"] / ceiling, 3)
                if scenario.get("healthz_around_rps"):
                    # Of /healthz measured just before and just after it: what the targets use.
                    scenario["vs_healthz_around"] = round(
                        scenario["rps"] / scenario["healthz_around_rps"], 3
                    )
                if healthz_cpu and scenario.get("server_cpu_ms") and not name.startswith("healthz"):
                    # The same share from the server's CPU per answer: steadier than rates.
                    scenario["cpu_vs_healthz"] = round(healthz_cpu / scenario["server_cpu_ms"], 3)


# The table ----------------------------------------------------------------------------------


def _kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB" if n < 10 * 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MB"


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def render_table(report: dict[str, Any]) -> str:
    dbs = list(report["databases"])
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cell: Any) -> None:
        rows.append((label, [cell(report["databases"][db]) for db in dbs]))

    def inproc(name: str) -> Any:
        def cell(result: dict[str, Any]) -> str:
            page = result.get("inprocess", {}).get(name)
            if not page:
                return "-"
            return (
                f"{_ms(page['ms'])} ms · {page['queries']} queries · {_kb(page['bytes'])} "
                f"({_kb(page['gzip_bytes'])} gz)"
            )

        return cell

    def split(name: str) -> Any:
        def cell(result: dict[str, Any]) -> str:
            page = result.get("inprocess", {}).get(name)
            if not page:
                return "-"
            return " / ".join(_ms(v) for v in page["breakdown_ms"].values())

        return cell

    if any(r.get("inprocess") for r in report["databases"].values()):
        for name in ("page S", "page L", "results S", "results L"):
            row(f"in-process {name}: time · SQL · HTML", inproc(name))
            if name.startswith("page"):
                row(f"in-process {name} (after a vote)", inproc(f"{name} (after a vote)"))
            row(f"in-process {name} (new version)", inproc(f"{name} (new version)"))
        for name in ("page S", "page L"):
            row(
                f"in-process {name} (new version) ms: SQL / objects / template / rest",
                split(f"{name} (new version)"),
            )
        row("bench data: S, L written (bulk)", _data_cell)
        row("bulk writer = services (S, row by row)", _check_cell)

    workers_seen = sorted(
        {run["workers"] for r in report["databases"].values() for run in r.get("http", [])}
    )
    for workers in workers_seen:
        prefix = f"{workers} worker{'s' if workers > 1 else ''}:"

        def run_of(result: dict[str, Any], workers: int = workers) -> dict[str, Any] | None:
            return next((r for r in result.get("http", []) if r["workers"] == workers), None)

        names: list[str] = []
        for result in report["databases"].values():
            run = run_of(result)
            for name in run["scenarios"] if run else []:
                if name not in names:
                    names.append(name)
        names.sort(key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER))
        for name in names:

            def scenario_cell(result: dict[str, Any], name: str = name) -> str:
                run = run_of(result)
                scenario = run and run["scenarios"].get(name)
                if not scenario:
                    return "-"
                rough = "≈" if scenario.get("rps_basis") == "whole run" else ""
                text = f"{rough}{scenario['rps']:,.1f} req/s"
                if "vs_healthz_around" in scenario:
                    text += (
                        f" ({scenario['vs_healthz_around']:.0%}; "
                        f"{scenario['vs_healthz']:.0%} of first and last)"
                    )
                elif "vs_healthz" in scenario:
                    text += f" ({scenario['vs_healthz']:.0%})"
                lat = scenario["latency_ms"]
                text += f" · p50 {_ms(lat.get('p50'))} · p99 {_ms(lat.get('p99'))} ms"
                if "server_cpu_ms" in scenario:
                    text += f" · CPU {scenario['server_cpu_ms']:.2f} ms"
                    if "cpu_vs_healthz" in scenario:
                        text += f" ({scenario['cpu_vs_healthz']:.0%})"
                bad = sum(n for s, n in scenario.get("statuses", {}).items() if int(s) >= 400)
                bad += sum(scenario.get("errors", {}).values())
                return text + (f" · {bad} failed" if bad else "")

            row(f"{prefix} {name}", scenario_cell)

        def ttfb(result: dict[str, Any]) -> str:
            run = run_of(result)
            if not run or run.get("ttfb S ms") is None:
                return "-"
            s, big = run["ttfb S ms"], run["ttfb L ms"]
            return f"{_ms(s)} / {_ms(big)} ms (L = {big / s:.1f}x S)"

        row(f"{prefix} TTFB page S / L, one at a time", ttfb)

        def checks(result: dict[str, Any]) -> str:
            run = run_of(result)
            if not run:
                return "-"
            parts = []
            for name, check in run["checks"].items():
                mark = "exact" if check["exact"] else "NOT EXACT"
                parts.append(f"{name}: {check['rows']}/{check['acknowledged']} {mark}")
            return "; ".join(parts)

        row(f"{prefix} writes counted / acknowledged", checks)

        def rss(result: dict[str, Any]) -> str:
            run = run_of(result)
            if not run:
                return "-"

            def peaks(memory: dict[str, dict[str, float]]) -> str:
                return " + ".join(
                    f"{m['VmHWM']:.0f}" for n, m in memory.items() if n.startswith("worker")
                )

            single = run.get("memory after single requests", {})
            return f"{peaks(run['memory'])} MB (after one L at a time: {peaks(single)} MB)"

        row(f"{prefix} peak RSS per worker (L served)", rss)

        def targets(result: dict[str, Any]) -> str:
            run = run_of(result)
            if not run:
                return "-"
            return " · ".join(
                " ".join(filter(None, (label, value, "yes" if met else "no")))
                for label, value, met in goals(run)
            )

        row(f"{prefix} targets met?", targets)

    header = ["measure", *(DB_NAMES[db] for db in dbs)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join([label, *cells]) + " |" for label, cells in rows]
    m = report["machine"]
    lines.append("")
    lines.append(
        f"{'Quick run' if report['quick'] else 'Full run'} {report['started']}, "
        f"{report['seconds']} s; {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; "
        f"Python {m['python']}; commit {m['commit']}; load average before "
        f"{' '.join(f'{x:.2f}' for x in report['load_before'])}, after "
        f"{' '.join(f'{x:.2f}' for x in report['load_after'])}. "
        "Load generator: 8 connections, closed loop; (%) = share of /healthz on the same server, "
        "measured just before and just after the scenario (the targets use it), then of "
        "/healthz measured first and last in the run; ≈ = few answers, rate over the whole run; "
        "CPU = the workers' CPU time per answer, (%) = /healthz's CPU per answer over this one's."
    )
    return "\n".join(lines)


def goals(run: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """The suite's targets, as far as one run shows them."""
    scenarios = run["scenarios"]
    out = []
    for name, label, least in (
        ("page S", "page S ≥ 50%:", 0.5),
        ("page L", "page L ≥ 25%:", 0.25),
        ("vote", "vote ≥ 30%:", 0.3),
    ):
        scenario = scenarios.get(name, {})
        share = scenario.get("vs_healthz_around", scenario.get("vs_healthz"))
        if share is not None:
            out.append((label, f"{share:.0%}", share >= least))
    if run.get("ttfb S ms") and run.get("ttfb L ms"):
        times = run["ttfb L ms"] / run["ttfb S ms"]
        out.append(("TTFB L ≤ 2x S:", f"{times:.0f}x", times <= 2))
    peak = max((m["VmHWM"] for n, m in run["memory"].items() if n.startswith("worker")), default=0)
    out.append(("RSS < 150 MB:", f"{peak:.0f} MB", peak < 150))
    exact = all(check["exact"] for check in run["checks"].values())
    out.append(("writes exact:", "", exact))
    return out


def _data_cell(result: dict[str, Any]) -> str:
    d = result.get("data", {})
    return " · ".join(f"{size} {d[size]['seconds']:.1f} s" for size in ("S", "L") if size in d)


def _check_cell(result: dict[str, Any]) -> str:
    c = result.get("data_check")
    if not c:
        return "-"
    verdict = "identical" if c["identical"] else f"DIFFERENT: {', '.join(c['differences'])}"
    return f"{verdict} (services {c['services_seconds']} s, bulk {c['bulk_seconds']} s)"


# One database, in its own process (its settings come from the environment) ------------------


def phase(args: argparse.Namespace) -> None:
    import data

    data.setup_django()
    import inprocess
    import overhttp
    from django.core.management import call_command
    from django.db import connection

    from ponder.questions.models import Question

    db = args.phase
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest_path = Path(os.environ["PONDER_DATA_DIR"]) / "bench-manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    result: dict[str, Any] = {"data": {}}
    for size in ("S", "L"):
        plan = data.make_plan(size)
        known = manifest.get(size)
        if (
            known
            and Question.objects.filter(pk=known["question_id"], version=plan.changes()).exists()
        ):
            result["data"][size] = {**known["generated"], "cached": True}
            continue
        print(f"[{db}] writing {size} (bulk)", flush=True)
        started = time.perf_counter()
        written = data.write_bulk(plan)
        seconds = time.perf_counter() - started
        me = plan.bench_person()
        manifest[size] = {
            "question_id": written.question_id,
            "me_token": plan.people[me][1],
            "me_name": plan.people[me][0],
            "me_votes": sum(1 for _i, p in plan.votes if p == me),
            "generated": {"seconds": round(seconds, 1), "rows": plan.changes()},
        }
        result["data"][size] = {**manifest[size]["generated"], "cached": False}
    manifest["fingerprint"] = data.fingerprint()
    manifest_path.write_text(json.dumps(manifest, indent=2))
    if connection.vendor == "postgresql":
        # Autovacuum would gather the planner's statistics within a minute of the bulk load;
        # gather them now rather than measure the plans of an unanalysed table.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result["manifest"] = {
        size: {k: v for k, v in manifest[size].items() if k != "me_token"} for size in ("S", "L")
    }

    print(f"[{db}] checking the bulk writer against the services (S)", flush=True)
    result["data_check"] = data.check("S")
    if not args.skip_inprocess:
        print(f"[{db}] in-process pages", flush=True)
        result["inprocess"] = inprocess.measure(manifest, quick=args.quick)
    result["http"] = []
    if not args.skip_http:
        for workers in args.workers:
            print(f"[{db}] over HTTP, {workers} worker(s)", flush=True)
            log = RESULTS / "logs" / f"serve-{db}-{workers}.log"
            env = dict(os.environ)
            run = overhttp.run(env, manifest, workers=workers, quick=args.quick, log=log)
            run["load_average"] = os.getloadavg()
            result["http"].append(run)
    Path(args.out).write_text(json.dumps(result, indent=2, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Ponder's benchmark suite: prints one table, writes bench/results/*.json."
    )
    parser.add_argument("--quick", action="store_true", help="3 s per scenario instead of 10 s")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-inprocess", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="generate the bench data again")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
