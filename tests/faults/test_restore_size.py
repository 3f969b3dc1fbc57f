"""docs/reliability.md #13 at full size: a backup with 100,000 votes restores in under 5 minutes.

The L question of bench/data.py (1,000 ideas, 10,000 pros and cons, 20,000 likes, 100,000 votes,
2,000 comments, 133,000 events) is backed up from SQLite and restored into an empty SQLite
database and into a private PostgreSQL; each restore is timed, and the exports hash the same.
(tests/backup/ runs the same round trip at CI size on every run.)
"""

import json
import subprocess
import sys
import time
from pathlib import Path

from .conftest import ROOT, Postgres, _environ, ponder_command

BAR_SECONDS = 300


def fingerprint(data_dir: Path, **env: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.backup.fingerprint"],
        cwd=ROOT,
        env=_environ(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(done.stdout)


def timed(data_dir: Path, *args: str, **env: str) -> float:
    started = time.monotonic()
    ponder_command(data_dir, *args, **env)
    return time.monotonic() - started


def test_a_backup_of_100000_votes_restores_within_five_minutes_into_either_database(
    tmp_path: Path, private_postgres: Postgres
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    ponder_command(source, "migrate", "--noinput", "-v", "0")
    subprocess.run(
        [sys.executable, "bench/data.py", "--size", "L"],
        cwd=ROOT,
        env=_environ(source),
        check=True,
        capture_output=True,
        timeout=900,
    )
    before = fingerprint(source)
    assert before["counts"]["questions_vote"] == 100_000  # type: ignore[index]

    backup = tmp_path / "L.backup"
    backed_up = timed(source, "backup", str(backup))
    into_sqlite = timed(tmp_path / "sqlite", "restore", str(backup))
    on_postgres = {"DATABASE_URL": private_postgres.url}
    into_postgres = timed(tmp_path, "restore", str(backup), **on_postgres)
    print(
        f"\n#13 L ({backup.stat().st_size / 1e6:.0f} MB): backup {backed_up:.0f} s, restore into "
        f"SQLite {into_sqlite:.0f} s, into PostgreSQL {into_postgres:.0f} s"
    )
    assert fingerprint(tmp_path / "sqlite") == before
    assert fingerprint(tmp_path, **on_postgres) == before
    assert into_sqlite < BAR_SECONDS
    assert into_postgres < BAR_SECONDS
