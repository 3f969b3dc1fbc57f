"""Where the question page's time goes.

    .venv/bin/python bench/profile_page.py [--tool py-spy|pyinstrument] [--db sqlite|postgres]
                                           [--size S L] [--seconds N]

Run it after `bench/run.py` has built the bench data for that database.

- `py-spy` (the default): `ponder serve` with one worker, the load generator on the page (and on
  /healthz, for the cost of the stack itself), and py-spy sampling the worker from outside, only
  the threads holding the GIL: where the CPU goes in the real server, at almost no cost to it.
- `pyinstrument`: the real view in-process through Django's test client, a few requests under
  the profiler; its HTML reports (to open in a browser) go to bench/results/profiles/. It slows
  small calls down more than big ones: trust its shares less than py-spy's.

Both print the time by kind of work (self time, grouped by where the code lives: the template
engine, URL reversing, translation, the ORM, SQL...; a built-in such as getattr counts for the
code that called it), the template tags and functions that cost the most (inclusive of what they
call), and the hottest lines.
"""

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PY_SPY = str(ROOT / ".venv/bin/py-spy")

# Self time goes to the first group whose marker is in the code's file path.
GROUPS = [
    ("SQL (database driver, connections)", ("sqlite3", "psycopg", "django/db/backends")),
    # Every model instance sends pre_init and post_init.
    ("ORM: queries to model objects", ("django/db/models", "django/dispatch")),
    ("template: URL reversing", ("django/urls", "urllib/parse")),
    ("template: translation", ("django/utils/translation", "gettext")),
    (
        "template: escaping, safe and lazy strings",
        ("django/utils/html", "django/utils/safestring", "django/utils/functional", "/html/"),
    ),
    ("template: forms and widgets", ("django/forms",)),
    (
        "dates: parsing, time zones, formats",
        ("django/utils/dateformat", "django/utils/formats", "dateparse", "django/utils/timezone"),
    ),
    ("template: engine (nodes, variables, filters)", ("django/template",)),
    ("asgiref Local (active language, URL prefix)", ("asgiref/local",)),
    ("Ponder: template tags and text", ("ponder/questions/templatetags", "ponder/lib")),
    ("Ponder: reading the page", ("ponder/questions", "ponder/api")),
    ("markdown, nh3", ("markdown", "nh3")),
    (
        "middleware, request, response",
        ("django/core", "django/middleware", "django/contrib", "django/http"),
    ),
    (
        "server: uvicorn, asyncio, threads",
        ("uvicorn", "asyncio", "asgiref", "concurrent/futures", "threading", "httptools"),
    ),
]
# Inclusive time of these (a nested call is not counted twice): (label, qualified name).
WATCHED = [
    ("{% url %}", "URLNode.render"),
    ("{% blocktranslate %}", "BlockTranslateNode.render"),
    ("{% translate %}", "TranslateNode.render"),
    ("{% csrf_token %}", "CsrfTokenNode.render"),
    ("{% include %} (_entry_actions, _field)", "IncludeNode.render"),
    ("{% argument_fields %} (one add-argument form per idea)", "argument_fields"),
    ("|date", "date"),
    ("|markdown, |plain_summary", "render_markdown"),
    ("question_page (queries and objects)", "question_page"),
    ("  of which SQLCompiler.execute_sql", "SQLCompiler.execute_sql"),
    ("Template.render (the whole template)", "Template.render"),
    ("the view (question_detail)", "question_detail"),
    ("healthz view", "healthz"),
    ("database connect (per request)", "BaseDatabaseWrapper.connect"),
]


def group_of(path: str) -> str | None:
    if not path or path.startswith("<"):
        return None  # a built-in: counted for its caller
    for name, markers in GROUPS:
        if any(marker in path for marker in markers):
            return name
    return "other Python (stdlib, ...)"


class Totals:
    def __init__(self) -> None:
        self.groups: dict[str, float] = defaultdict(float)
        self.inclusive: dict[str, float] = defaultdict(float)
        self.lines: dict[str, float] = defaultdict(float)
        self.total = 0.0

    def stack(self, frames: list[tuple[str, str, int]], weight: float) -> None:
        """One sampled stack, root first: (qualified function, file, line) per frame."""
        self.total += weight
        group = "other Python (stdlib, ...)"
        for _function, path, _line in frames:
            group = group_of(path) or group
        self.groups[group] += weight
        function, path, line = frames[-1]
        self.lines[f"{function}  ({short(path)}:{line})"] += weight
        names = {qualified for qualified, _path, _line in frames}
        names |= {qualified.rsplit(".", 1)[-1] for qualified in names}
        for label, watched in WATCHED:
            if watched in names:
                self.inclusive[label] += weight

    def report(self, requests: int) -> dict[str, Any]:
        per = 1000.0 / max(requests, 1)

        def ms(values: dict[str, float], top: int = 99) -> dict[str, float]:
            ordered = sorted(values.items(), key=lambda kv: -kv[1])[:top]
            return {k: round(v * per, 2) for k, v in ordered}

        return {
            "ms_per_request": round(self.total * per, 2),
            "groups_ms": ms(self.groups),
            "inclusive_ms": {
                label: round(self.inclusive[label] * per, 2)
                for label, _w in WATCHED
                if self.inclusive.get(label)
            },
            "hottest_lines_ms": ms(self.lines, 20),
        }


def short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3.12/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


@cache
def _definitions(path: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function in a file."""
    try:
        tree = ast.parse(Path(path).read_text())
    except (OSError, SyntaxError, ValueError):
        return []
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = prefix + child.name
                found.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return found


def qualified_name(function: str, path: str, line: int) -> str:
    """py-spy gives the function's name; the class it belongs to comes from the source."""
    best = None
    for first, last, name in _definitions(path):
        innermost = best is None or first > best[0]
        if first <= line <= last and name.rsplit(".", 1)[-1] == function and innermost:
            best = (first, name)
    return best[1] if best else function


FRAME = re.compile(r"^(.*) \((.*):(\d+)\)$")


def read_py_spy(path: Path) -> Totals:
    totals = Totals()
    for row in path.read_text().splitlines():
        stack, _, count = row.rpartition(" ")
        frames = []
        for frame in stack.split(";"):
            match = FRAME.match(frame)
            if match:
                function, file, line = match.group(1), match.group(2), int(match.group(3))
                frames.append((qualified_name(function, file, line), file, line))
        if frames:
            totals.stack(frames, int(count))
    return totals


def py_spy(db: str, sizes: list[str], seconds: float) -> dict[str, Any]:
    """Sample one uvicorn worker while the load generator asks for one page after another."""
    import overhttp
    import run

    env = run.env_for(db)
    manifest_path = RESULTS / f"data-{db}" / "bench-manifest.json"
    if not manifest_path.exists():
        raise SystemExit(
            f"No bench data for {db} yet: run `.venv/bin/python bench/run.py --db {db} "
            "--workers 1 --skip-http` first (it builds S and L)."
        )
    manifest = json.loads(manifest_path.read_text())
    folder = RESULTS / "profiles"
    report = {}
    log = RESULTS / "logs" / f"profile-{db}.log"
    with overhttp.server(env, workers=1, log=log) as (port, pid):
        os.environ.update(env)
        import data

        data.setup_django()
        scenarios = [("healthz", overhttp.request("GET", "/healthz", port))]
        for size in (size for size in sizes if size != "vote"):
            browser = overhttp.Browser(manifest[size]["me_token"], port)
            scenarios.append((f"page {size}", browser.get(f"/q/{manifest[size]['question_id']}/")))
        votes: list[str] = []
        if "vote" in sizes:
            # Votes through the page's own form, each (person, idea) once, as bench/run.py casts.
            target = overhttp.write_target("profile-vote", writers=overhttp.WRITERS)
            browsers = [overhttp.Browser(token, port) for _pid, token in target["people"]]
            voting_page = f"/q/{target['question_id']}/"
            votes = [
                browsers[p].post(
                    f"{voting_page}ideas/{target['idea_ids'][i]}/vote/", page=voting_page
                )
                for p, i in overhttp.vote_pairs(target, overhttp.MAX_WRITES)
            ]
            scenarios.append(("vote", ""))
        for name, raw in scenarios:
            out = folder / f"py-spy-{name.replace(' ', '-')}-{db}.txt"
            rate = 250
            spy = subprocess.Popen(  # noqa: S603 - our own tool on our own server
                [PY_SPY, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", str(rate),
                 "--gil", "--full-filenames", "--format", "raw", "-o", str(out)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(0.5)
            # One connection: one request at a time, so every sample belongs to one request.
            if name == "vote":
                loaded = overhttp.load(
                    port, votes, duration=seconds - 1, connections=1, mode="once"
                )
            else:
                loaded = overhttp.load(port, [raw], duration=seconds - 1, connections=1)
            spy.wait(timeout=seconds + 60)
            answered = loaded["whole_run"]["answers"]
            totals = read_py_spy(out)
            # Samples to seconds, and per request.
            for table in (totals.groups, totals.inclusive, totals.lines):
                for key in table:
                    table[key] /= rate
            totals.total /= rate
            report[name] = {
                **totals.report(answered),
                "requests": answered,
                "cpu_share_of_wall": round(totals.total / (seconds - 1), 2),
                "raw_samples": str(out),
            }
    return report


def pyinstrument(db: str, sizes: list[str]) -> dict[str, Any]:
    import run

    os.environ.update(run.env_for(db))
    import data

    data.setup_django()
    from inprocess import client_for
    from pyinstrument import Profiler

    manifest = json.loads((RESULTS / f"data-{db}" / "bench-manifest.json").read_text())
    report = {}
    for size in sizes:
        runs = 20 if size == "S" else 2
        client = client_for(manifest[size]["me_token"])
        path = f"/q/{manifest[size]['question_id']}/"
        client.get(path)  # warm
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(runs):
            client.get(path)
        session = profiler.stop()
        out = RESULTS / "profiles" / f"pyinstrument-page-{size}-{db}.html"
        out.write_text(profiler.output_html())
        totals = Totals()

        def walk(frame: Any, stack: list[tuple[str, str, int]], totals: Totals = totals) -> None:
            name = frame.function or ""
            qualified = f"{frame.class_name}.{name}" if frame.class_name else name
            here = [*stack, (qualified, frame.file_path or "", frame.line_no or 0)]
            if frame.total_self_time:
                totals.stack(here, frame.total_self_time)
            for child in frame.children:
                if not child.is_synthetic:  # a "[self]" child is in total_self_time already
                    walk(child, here, totals)

        walk(session.root_frame(), [])
        report[f"page {size}"] = {**totals.report(runs), "html_report": str(out)}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tool", choices=["py-spy", "pyinstrument"], default="py-spy")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--size", nargs="+", default=["S", "L"], help="S, L and/or vote")
    parser.add_argument("--seconds", type=float, default=20.0, help="per scenario (py-spy)")
    args = parser.parse_args()
    (RESULTS / "profiles").mkdir(parents=True, exist_ok=True)
    if args.tool == "py-spy":
        report = py_spy(args.db, args.size, args.seconds)
    else:
        report = pyinstrument(args.db, args.size)
    for name, result in report.items():
        print(f"\n== {name} ({args.db}, {args.tool}): {result['ms_per_request']} ms a request")
        for title, key in (
            ("self time by kind of work", "groups_ms"),
            ("inclusive", "inclusive_ms"),
            ("hottest lines, self time", "hottest_lines_ms"),
        ):
            print(f"-- {title} (ms a request)")
            for label, ms in result[key].items():
                print(f"{ms:10.2f}  {label}")
    out = RESULTS / "profiles" / f"{args.tool}-{args.db}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"\nWritten: {out}")


if __name__ == "__main__":
    sys.exit(main())
