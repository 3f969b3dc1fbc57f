"""docs/reliability.md #11: the disk under SQLite fills up while people write.

The data directory sits on a small tmpfs of its own; a ballast file takes every free byte. Then
300 ideas are added through the API: each either succeeds (201) or gets 503 with Retry-After and
a message that says the disk is full, never 500; pages and the API keep reading (200). Once the
ballast is gone, writes succeed again without a restart. Afterwards SQLite's integrity check
says ok, and every idea that was acknowledged is in the database.
"""

import contextlib
import json
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import Board, Reply, Server, call, start_server

SIZE = "24m"


@pytest.fixture
def small_disk() -> Iterator[Path]:
    mount = Path(tempfile.mkdtemp(prefix="ponder-faults-disk-"))
    done = subprocess.run(  # noqa: S603
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mount)],  # noqa: S607
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)  # noqa: S603, S607
        with contextlib.suppress(OSError):
            mount.rmdir()


def fill(path: Path) -> int:
    """Write zeros until the disk is full; returns how many bytes fitted."""
    written = 0
    with path.open("wb") as ballast, contextlib.suppress(OSError):
        while True:
            ballast.write(b"\0" * 65536)
            ballast.flush()
            written += 65536
    with contextlib.suppress(OSError), path.open("ab") as ballast:  # the last few bytes
        while True:
            ballast.write(b"\0" * 512)
            ballast.flush()
    return written


def test_a_full_disk_refuses_writes_with_503_keeps_reads_and_loses_nothing_acknowledged(
    small_disk: Path, prepared_data_dir: Path, tmp_path: Path, started: list[Server]
) -> None:
    data_dir = small_disk / "data"
    shutil.copytree(prepared_data_dir, data_dir)
    server = start_server(tmp_path, data_dir)
    started.append(server)
    board = Board.make(server.url, ideas=3, people=10)
    api = f"{server.url}/api/v1"

    def add_idea(number: int) -> Reply:
        _, token = board.people[number % len(board.people)]
        title = f"Idea number {number} " + "with a longer title " * 8
        return call(
            "POST", f"{api}/questions/{board.question}/ideas", token=token, data={"title": title}
        )

    ballast = small_disk / "ballast"
    filled = fill(ballast)
    with ThreadPoolExecutor(5) as pool:
        while_full = list(pool.map(add_idea, range(300)))
    reads = [
        call("GET", f"{api}/questions/{board.question}"),
        call("GET", f"{server.url}/q/{board.question}/"),
        call("GET", f"{server.url}/healthz"),
    ]
    ballast.unlink()
    with ThreadPoolExecutor(5) as pool:
        after = list(pool.map(add_idea, range(300, 350)))
    server.stop()

    refused = [r for r in while_full if r.status == 503]
    statuses = sorted({r.status for r in while_full})
    print(
        f"\n#11 ballast {filled / 1e6:.1f} MB; while full: {len(while_full)} writes, statuses "
        f"{statuses}, {len(refused)} refused; reads {[r.status for r in reads]}; after freeing: "
        f"{sorted({r.status for r in after})}"
    )
    assert refused, "the disk never filled up: nothing was tested"
    assert set(statuses) <= {201, 503}, [
        r.body[:200] for r in while_full if r.status not in (201, 503)
    ]
    message = json.loads(refused[0].body)["detail"]
    assert "disk is full" in message
    assert all(r.retry_after for r in refused)
    assert [r.status for r in reads] == [200, 200, 200]
    assert {r.status for r in after} == {201}, "writes did not come back after space was freed"

    acknowledged = {json.loads(r.body)["id"] for r in while_full + after if r.status == 201}
    with sqlite3.connect(data_dir / "ponder.sqlite3") as db:
        (integrity,) = db.execute("PRAGMA integrity_check").fetchone()
        stored = {row[0] for row in db.execute("SELECT id FROM questions_idea")}
    assert integrity == "ok"
    assert acknowledged <= stored
