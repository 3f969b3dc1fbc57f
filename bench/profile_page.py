"""Where the question page's time goes: pyinstrument over the real view, in-process.

    .venv/bin/python bench/profile_page.py [--db sqlite|postgres] [--size S L] [--runs N]

Run it after `bench/run.py` has built the bench data for that database. It renders the question
page of S and L as the bench's participant, several times under the profiler, and prints:

- the time by kind of work (self time, grouped by where the code lives: the template engine,
  URL reversing, translation, the ORM, SQL, forms, Ponder's own code...; a built-in such as
  getattr counts for the code that called it);
- the template tags and functions that cost the most, inclusive of what they call;
- the hottest functions by self time.

The full pyinstrument reports (HTML, to open in a browser) go to bench/results/profiles/.
"""

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"

# Self time is put in the first group whose marker is in the code's file path.
GROUPS = [
    ("SQL (database driver)", ("sqlite3", "psycopg", "django/db/backends")),
    ("ORM: rows to model objects", ("django/db/models",)),
    ("template: URL reversing", ("django/urls",)),
    ("template: translation", ("django/utils/translation", "gettext")),
    (
        "template: escaping, safe and lazy strings",
        ("django/utils/html", "django/utils/safestring", "django/utils/functional"),
    ),
    ("asgiref Local (active language, URL prefix)", ("asgiref/local",)),
    ("template: forms and widgets", ("django/forms",)),
    ("template: dates and formats", ("django/utils/dateformat", "django/utils/formats")),
    ("template: engine (nodes, variables, filters)", ("django/template",)),
    ("Ponder: template tags and text", ("ponder/questions/templatetags", "ponder/lib")),
    ("Ponder: building the page", ("ponder/questions",)),
    ("request, middleware, response", ("django/core", "django/middleware", "django/http")),
    ("markdown, nh3", ("markdown", "nh3")),
]
# Inclusive time of these (without counting a nested call twice).
WATCHED = [
    ("{% url %}", "URLNode.render"),
    ("{% blocktranslate %}", "BlockTranslateNode.render"),
    ("{% translate %}", "TranslateNode.render"),
    ("{% csrf_token %}", "CsrfTokenNode.render"),
    ("{% include %} (_entry_actions, _field)", "IncludeNode.render"),
    ("{% partial %}", "PartialNode.render"),
    ("{% argument_fields %} (the add-argument form)", "argument_fields"),
    ("|shorten", "shorten"),
    ("|linebreaksbr", "linebreaksbr"),
    ("|markdown and |plain_summary", "render_markdown"),
    ("|date", "date"),
    ("|yesno", "yesno"),
    ("question_page (queries + objects)", "question_page"),
    ("SQLCompiler.execute_sql", "SQLCompiler.execute_sql"),
    ("Model.from_db (rows to objects)", "Model.from_db"),
    ("render (the whole template)", "render"),
]


def group_of(path: str) -> str:
    for name, markers in GROUPS:
        if any(marker in path for marker in markers):
            return name
    return "other (Python, asgiref, stdlib)"


def walk(frame: Any, inside: frozenset[str], totals: dict[str, Any], parent: str = "") -> None:
    path = frame.file_path or ""
    name = frame.function or ""
    qualified = f"{frame.class_name}.{name}" if getattr(frame, "class_name", None) else name
    # A built-in (getattr, isinstance, str.join...) works for whoever called it.
    group = parent if (not path or path.startswith("<")) and parent else group_of(path)
    totals["groups"][group] += frame.total_self_time
    key = f"{qualified}  ({Path(path).name}:{frame.line_no})"
    totals["self"][key] += frame.total_self_time
    now_inside = inside
    for label, function in WATCHED:
        if function in (qualified, name) and label not in inside:
            totals["inclusive"][label] += frame.time
            now_inside = now_inside | {label}
    for child in frame.children:
        if not child.is_synthetic:  # a "[self]" child is already in total_self_time
            walk(child, now_inside, totals, group)


def profile(path: str, token: str, *, runs: int, out: Path) -> dict[str, Any]:
    from inprocess import client_for
    from pyinstrument import Profiler

    client = client_for(token)
    client.get(path)  # warm
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(runs):
        response = client.get(path)
    session = profiler.stop()
    assert response.status_code == 200
    out.write_text(profiler.output_html())
    totals: dict[str, Any] = {
        "groups": defaultdict(float),
        "self": defaultdict(float),
        "inclusive": defaultdict(float),
    }
    root = session.root_frame()
    walk(root, frozenset(), totals)
    per_run = 1000.0 / runs
    return {
        "ms_per_request": round(root.time * per_run, 1),
        "groups_ms": {
            k: round(v * per_run, 1)
            for k, v in sorted(totals["groups"].items(), key=lambda kv: -kv[1])
        },
        "inclusive_ms": {
            label: round(totals["inclusive"][label] * per_run, 1)
            for label, _function in WATCHED
            if label in totals["inclusive"]
        },
        "self_top_ms": {
            k: round(v * per_run, 2)
            for k, v in sorted(totals["self"].items(), key=lambda kv: -kv[1])[:25]
        },
        "html_report": str(out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--size", nargs="+", default=["S", "L"])
    parser.add_argument("--runs", type=int, default=0, help="default: 20 for S, 2 for L")
    args = parser.parse_args()

    import run

    os.environ.update(run.env_for(args.db))
    import data

    data.setup_django()
    manifest = json.loads((RESULTS / f"data-{args.db}" / "bench-manifest.json").read_text())
    folder = RESULTS / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    report = {}
    for size in args.size:
        runs = args.runs or (20 if size == "S" else 2)
        page = f"/q/{manifest[size]['question_id']}/"
        out = folder / f"page-{size}-{args.db}.html"
        report[size] = profile(page, manifest[size]["me_token"], runs=runs, out=out)
        result = report[size]
        print(f"\n== question page {size} ({args.db}): {result['ms_per_request']} ms a request")
        print("-- self time by kind of work (ms a request)")
        for name, ms in result["groups_ms"].items():
            print(f"{ms:9.1f}  {name}")
        print("-- inclusive (ms a request)")
        for name, ms in result["inclusive_ms"].items():
            print(f"{ms:9.1f}  {name}")
        print("-- hottest functions, self time (ms a request)")
        for name, ms in result["self_top_ms"].items():
            print(f"{ms:9.2f}  {name}")
    (folder / f"profile-{args.db}.json").write_text(json.dumps(report, indent=2))
    print(f"\nReports: {folder}")


if __name__ == "__main__":
    sys.exit(main())
