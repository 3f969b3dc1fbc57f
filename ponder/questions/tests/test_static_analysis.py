"""The semgrep rules in .semgrep/ have teeth: each forbidden construct, written into a scratch
tree shaped like Ponder, makes semgrep fail, and the allowlists let through only what they name.

semgrep lives in .venv-tools (its pins clash with ours; .ci/run builds it before the tests run).
Where it is missing this file is skipped, with the command that installs it.
"""

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / ".semgrep"
SEMGREP = ROOT / ".venv-tools" / "bin" / "semgrep"

# Each scratch file: its path under the scratch tree, its text, and the lines semgrep must flag
# with the rule named. Lines not listed must not be flagged.
VIOLATIONS: dict[str, tuple[str, dict[int, str]]] = {
    "ponder/questions/views.py": (
        """\
        from django.db import connection
        from django.db.models.expressions import RawSQL
        from django.utils.html import format_html
        from django.utils.safestring import SafeString, mark_safe
        from django.views.decorators.csrf import csrf_exempt
        from django.utils.translation import gettext as _

        @csrf_exempt
        def vote(request, name):
            unsafe = mark_safe(request.GET["q"])
            also = SafeString(name)
            bad = format_html(f"<b>{name}</b>")
            worse = format_html("<b>%s</b>" % name)
            good = format_html("<b>{}</b>", name)
            translated = format_html(_("{kind} of {n}"), kind=name, n=2)
            Idea.objects.raw("SELECT * FROM idea WHERE title = '%s'" % name)
            Idea.objects.extra(where=[f"title = '{name}'"])
            Idea.objects.annotate(x=RawSQL("SELECT 1", []))
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM idea WHERE id = '{name}'")
                cursor.execute("SELECT 1")
                cursor.execute("SELECT count(*) FROM questions_idea")
            return unsafe, also, bad, worse, good, translated
        """,
        {
            8: "ponder-no-csrf-exempt",
            10: "ponder-no-mark-safe",
            11: "ponder-no-mark-safe",
            12: "ponder-format-html-literal-only",
            13: "ponder-format-html-literal-only",
            16: "ponder-no-raw-sql",
            17: "ponder-no-raw-sql",
            18: "ponder-no-raw-sql",
            20: "ponder-no-raw-sql",
            22: "ponder-no-raw-sql",  # constant, but not one of the statements allowed
        },
    ),
    "ponder/questions/templates/questions/page.html": (
        """\
        <h1>{{ question.title }}</h1>
        <p>{{ idea.description|safe }}</p>
        <ul>{{ names | safeseq }}</ul>
        {% autoescape off %}{{ comment.text }}{% endautoescape %}
        """,
        {
            2: "ponder-template-no-safe-filter",
            3: "ponder-template-no-safe-filter",
            4: "ponder-template-no-autoescape-off",
        },
    ),
    # On the mark_safe allowlist, but not on the raw SQL one: an allowlist covers one rule only.
    "ponder/lib/text.py": (
        """\
        from django.db import connection
        from django.utils.safestring import mark_safe

        def render(clean):
            connection.cursor().execute("DELETE FROM idea WHERE id = %s" % clean)
            return mark_safe(clean)
        """,
        {5: "ponder-no-raw-sql"},
    ),
    # On the raw SQL allowlist: `ponder backup` copies tables by name.
    "ponder/questions/management/commands/backup.py": (
        """\
        def copy(cursor, table):
            cursor.execute(f"DELETE FROM {table}")
        """,
        {},
    ),
}


def _semgrep(target: Path) -> subprocess.CompletedProcess:
    if not SEMGREP.exists():
        pytest.skip(
            "semgrep is not installed: run the static analysis step of .ci/run "
            "(it builds .venv-tools from the `security` extra of pyproject.toml)"
        )
    env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
    return subprocess.run(  # noqa: S603 - the pinned semgrep, on files this test wrote
        [
            str(SEMGREP),
            "scan",
            "--metrics=off",
            "--disable-version-check",
            "--error",
            "--json",
            "--config",
            str(RULES),
            ".",
        ],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[tuple[str, int], str]]:
    tree = tmp_path_factory.mktemp("semgrep-fixtures")
    for relative, (text, _) in VIOLATIONS.items():
        path = tree / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    result = _semgrep(tree)
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    assert not report["errors"], report["errors"]
    found = {
        (finding["path"], finding["start"]["line"]): finding["check_id"].rsplit(".", 1)[-1]
        for finding in report["results"]
    }
    shutil.rmtree(tree)
    return result.returncode, found


def test_a_forbidden_construct_makes_the_scan_fail(scan):
    returncode, found = scan
    assert found
    assert returncode == 1


@pytest.mark.parametrize("path", VIOLATIONS)
def test_every_forbidden_construct_is_flagged_by_its_rule_and_nothing_else_is(scan, path):
    _, found = scan
    expected = VIOLATIONS[path][1]
    flagged = {line: rule for (where, line), rule in found.items() if where == path}
    assert flagged == expected


def test_every_rule_in_the_repository_is_exercised_here(scan):
    rules = {
        line.split(":", 1)[1].strip()
        for line in (RULES / "ponder.yml").read_text().splitlines()
        if line.strip().startswith("- id:")
    }
    exercised = {rule for _, expected in VIOLATIONS.values() for rule in expected.values()}
    assert rules == exercised
