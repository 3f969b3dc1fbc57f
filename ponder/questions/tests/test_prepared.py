"""On PostgreSQL a statement run again and again on one connection is prepared there, so that
PostgreSQL plans the page's read once, not on every request (settings.py, PONDER_DB_PREPARE)."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from ponder.lib.ids import hash_secret
from ponder.questions import hot
from ponder.questions.models import Question


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_page_read_is_prepared_after_a_few_runs(question: Question) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    for _ in range(6):
        read, _participant = hot.reader(question.pk, hash_secret("nobody's token"))
        assert read == question
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("p_votes" in statement for statement in prepared), prepared


@pytest.mark.parametrize(("setting", "threshold"), [(None, 5), ("0", None)])
def test_prepared_statements_can_be_turned_off(setting: str | None, threshold: int | None) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
        "DJANGO_SETTINGS_MODULE": "ponder.settings",
    }
    env.pop("PONDER_DB_PREPARE", None)
    if setting is not None:
        env["PONDER_DB_PREPARE"] = setting
    show = "from django.conf import settings; import json; o = settings.DATABASES['default']"
    show += (
        "['OPTIONS']; print(json.dumps([o.get('prepare_threshold'), o.get('server_side_binding')]))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", f"import django; django.setup(); {show}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == [threshold, threshold is not None or None]
