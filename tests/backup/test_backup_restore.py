"""`ponder backup` and `ponder restore`, run as an operator runs them (docs/reliability.md #13).

Two demo questions (one open, one closed: ideas, pros and cons, likes, votes, comments and their
events) go through a backup into a fresh database. Afterwards every table has as many rows as
before, and every export (CSV tables and the JSON of the API) hashes the same. On PostgreSQL too,
in both directions: the backup file is one format for both engines.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live.conftest import ROOT, _environ, ponder


def run(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=_environ(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def fingerprint(data_dir: Path, **env: str) -> dict[str, object]:
    done = run(data_dir, "tests.backup.fingerprint", **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with two demo questions, one of them closed."""
    data_dir = tmp_path_factory.mktemp("original") / "data"
    data_dir.mkdir()
    ponder(data_dir, "migrate", "--noinput", "-v", "0")
    ponder(data_dir, "demo", "--seed", "1")
    ponder(data_dir, "demo", "--seed", "2", "--closed")
    return data_dir


@pytest.fixture
def backup(original: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ponder.backup"
    done = run(original, "ponder", "backup", str(path))
    assert done.returncode == 0, done.stderr
    assert "2 questions, 72 ideas, 300 arguments, 1000 votes" in done.stdout
    return path


def test_a_backup_restores_into_an_empty_database_with_the_same_rows_and_exports(
    original: Path, backup: Path, tmp_path: Path
) -> None:
    before = fingerprint(original)
    assert before["counts"]["questions_vote"] == 1000  # type: ignore[index]
    assert len(before["exports"]) == 2  # type: ignore[arg-type]

    fresh = tmp_path / "fresh"
    done = run(fresh, "ponder", "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert fingerprint(fresh) == before


def test_restore_refuses_a_database_that_holds_data_unless_forced(
    original: Path, backup: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    ponder(other, "migrate", "--noinput", "-v", "0")
    ponder(other, "demo", "--seed", "3")
    kept = fingerprint(other)

    refused = run(other, "ponder", "restore", str(backup))
    assert refused.returncode == 1
    assert "database is not empty (questions_question: 1," in refused.stderr
    assert "add --force to delete everything in it first" in refused.stderr
    assert fingerprint(other) == kept

    forced = run(other, "ponder", "restore", "--force", str(backup))
    assert forced.returncode == 0, forced.stderr
    assert fingerprint(other) == fingerprint(original)


def test_restore_refuses_what_is_not_a_ponder_backup(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    missing = run(fresh, "ponder", "restore", str(tmp_path / "nowhere.backup"))
    assert missing.returncode == 1
    assert "There is no backup file at" in missing.stderr

    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100)
    garbage = run(fresh, "ponder", "restore", str(text))
    assert garbage.returncode == 1
    assert "is not a Ponder backup" in garbage.stderr
    assert "Traceback" not in garbage.stderr


def test_a_damaged_backup_is_refused(backup: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.backup"
    data = bytearray(backup.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\xff" * 4096
    damaged.write_bytes(bytes(data))
    done = run(tmp_path / "fresh", "ponder", "restore", str(damaged))
    assert done.returncode == 1
    assert "damaged" in done.stderr or "not a Ponder backup" in done.stderr
    assert "Traceback" not in done.stderr


def test_backup_keeps_an_existing_file_unless_forced(original: Path, backup: Path) -> None:
    before = backup.read_bytes()
    refused = run(original, "ponder", "backup", str(backup))
    assert refused.returncode == 1
    assert "exists already" in refused.stderr
    assert backup.read_bytes() == before
    forced = run(original, "ponder", "backup", "--force", str(backup))
    assert forced.returncode == 0, forced.stderr


def test_both_commands_explain_themselves(tmp_path: Path) -> None:
    for command, words in (("backup", "consistently"), ("restore", "empty")):
        done = run(tmp_path, "ponder", command, "--help")
        assert done.returncode == 0
        assert words in done.stdout
        assert "--force" in done.stdout


# PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A database of its own on the PostgreSQL at 127.0.0.1, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    admin = os.environ.get("DATABASE_URL", "")
    if not admin.startswith(("postgres://", "postgresql://")):
        admin = "postgres://postgres@127.0.0.1:5432/postgres"
    try:
        connection = psycopg.connect(admin, dbname="postgres", autocommit=True, connect_timeout=2)
    except psycopg.OperationalError:
        pytest.skip("needs PostgreSQL at 127.0.0.1:5432")
    name = f"ponder_backup_{secrets.token_hex(4)}"
    with connection:
        connection.execute(f"CREATE DATABASE {name}")
        try:
            yield urllib.parse.urlparse(admin)._replace(path=f"/{name}").geturl()
        finally:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.postgres
def test_a_backup_moves_from_sqlite_to_postgresql_and_back(
    original: Path, backup: Path, tmp_path: Path, postgres_database: str
) -> None:
    before = fingerprint(original)
    on_postgres = {"DATABASE_URL": postgres_database}

    restored = run(tmp_path, "ponder", "restore", str(backup), **on_postgres)
    assert restored.returncode == 0, restored.stderr
    assert fingerprint(tmp_path, **on_postgres) == before

    again = tmp_path / "from-postgresql.backup"
    done = run(tmp_path, "ponder", "backup", str(again), **on_postgres)
    assert done.returncode == 0, done.stderr
    assert "Backed up the postgresql database" in done.stdout
    back = tmp_path / "back"
    done = run(back, "ponder", "restore", str(again))
    assert done.returncode == 0, done.stderr
    assert fingerprint(back) == before

    # Into PostgreSQL, a refused restore changes nothing; a forced one replaces everything.
    refused = run(tmp_path, "ponder", "restore", str(again), **on_postgres)
    assert refused.returncode == 1
    assert "postgresql database is not empty" in refused.stderr
    forced = run(tmp_path, "ponder", "restore", "--force", str(again), **on_postgres)
    assert forced.returncode == 0, forced.stderr
    assert fingerprint(tmp_path, **on_postgres) == before
    shutil.rmtree(back)
