"""What one connection may take from a real `ponder serve` (ponder/connections.py), over raw
sockets: a body announced too large is refused before it is read, one sent in chunks is cut at the
limit, one too slow is dropped, and so is a connection whose request head is too slow. None of
them leaves a temporary file behind. The limits are set small for the test."""

import contextlib
import json
import os
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import Server, Servers, Visitor

HUNDRED_MB = 100 * 1024 * 1024
LIMITS = {"PONDER_MAX_BODY": "65536", "PONDER_BODY_TIMEOUT": "1", "PONDER_HEADER_TIMEOUT": "1"}
WAIT = 30  # seconds to wait for something that should take about one


@pytest.fixture
def server(servers: Servers, tmp_path: Path) -> tuple[Server, Path]:
    """A server with small limits, and its directory for temporary files (TMPDIR)."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    (server,) = servers.start(**LIMITS, TMPDIR=str(temp))
    return server, temp


def temporary_files(server: Server, temp: Path) -> list[str]:
    """Files under `temp` the server process and its children hold open, deleted or not (Python's
    temporary files have no name in the directory once made)."""
    pids = [server.process.pid]
    children = Path(f"/proc/{pids[0]}/task/{pids[0]}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    held = []
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if (target := os.readlink(fd)).startswith(str(temp)):
                    held.append(target)
    return held


def connect(server: Server) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
    return connection


def head(server: Server, method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer_and_close(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a timeout fails the test).
    A server that closes with data of ours unread resets the connection: what came before the
    reset is kept, and the connection is closed all the same."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def send_quietly(connection: socket.socket, data: bytes) -> None:
    # The server may have answered and closed: the rest is not read, which is the point.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        connection.sendall(data)


def ask(server: Server) -> str:
    request = urllib.request.Request(  # noqa: S310 - our own test server
        f"{server.url}/api/v1/questions",
        data=json.dumps({"title": "Where should the team offsite be?"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=WAIT) as response:  # noqa: S310
        return json.loads(response.read())["id"]


def test_a_body_announced_too_large_is_refused_before_it_is_read(server) -> None:
    server, temp = server
    question = ask(server)
    paths = ["/api/v1/questions", f"/q/{question}/comments/", f"/q/{question}/events"]
    for path in paths:
        with connect(server) as connection:
            length = f"Content-Length: {HUNDRED_MB}"
            # A client that asks first whether to send its body (as curl does for large ones)
            # is told 413 at once, never "100 Continue": the server does not read it. (Django's
            # ASGI handler, the live stream's, used to write all of it to a temporary file
            # first, and answer after the last byte.)
            expect = "Expect: 100-continue"
            connection.sendall(head(server, "POST", path, length, expect, "Content-Type: x/y"))
            received = answer_and_close(connection)
        assert received.startswith(b"HTTP/1.1 413 "), (path, received[:200])
        assert b"connection: close" in received.lower()
    # Three clients that send all but the last byte of what they announced: each is cut off.
    connections = [connect(server) for _ in range(3)]
    for connection in connections:
        connection.sendall(head(server, "POST", paths[2], f"Content-Length: {HUNDRED_MB}"))
        send_quietly(connection, b"x" * (4 * 1024 * 1024))
    assert temporary_files(server, temp) == []  # Django's ASGI handler spooled them past 2.5 MB
    for connection in connections:
        with connection:
            assert answer_and_close(connection).startswith(b"HTTP/1.1 413 ")
    assert list(temp.iterdir()) == []
    assert Visitor("Bob").get(f"{server.url}/healthz").status == 200


def test_a_body_without_a_length_is_cut_at_the_limit(server) -> None:
    server, temp = server
    question = ask(server)
    for path in ("/api/v1/questions", f"/q/{question}/comments/", f"/q/{question}/events"):
        with connect(server) as connection:
            connection.sendall(head(server, "POST", path, "Transfer-Encoding: chunked"))
            piece = b"x" * 16384
            for _ in range(64):  # 1 MB, sixteen times the limit
                send_quietly(connection, f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            send_quietly(connection, b"0\r\n\r\n")
            received = answer_and_close(connection)
        assert received.startswith(b"HTTP/1.1 413 "), (path, received[:200])
    assert list(temp.iterdir()) == []


def test_a_body_that_arrives_too_slowly_is_dropped(server) -> None:
    server, _temp = server
    question = ask(server)
    with connect(server) as connection:
        path = f"/q/{question}/comments/"
        connection.sendall(head(server, "POST", path, "Content-Length: 1000"))
        connection.sendall(b"text=")
        received = answer_and_close(connection)  # nothing more is sent: closed by the server
    assert received.startswith(b"HTTP/1.1 408 "), received[:200]
    assert b"took too long to arrive" in received
    assert Visitor("Bob").get(f"{server.url}/healthz").status == 200


def test_a_connection_whose_request_head_is_too_slow_is_closed(server) -> None:
    server, _temp = server
    silent = [connect(server) for _ in range(20)]  # connected, and not a byte sent
    trickling = [connect(server) for _ in range(20)]
    for connection in trickling:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    # A header a byte at a time, ten a second: never idle, never done. Stopped when closed.
    deadline = time.monotonic() + WAIT
    open_ones = list(trickling)
    while open_ones and time.monotonic() < deadline:
        for connection in list(open_ones):
            try:
                connection.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                open_ones.remove(connection)
        time.sleep(0.1)
    assert open_ones == [], f"{len(open_ones)} trickling connections still open after {WAIT} s"
    for connection in silent + trickling:
        with connection:
            assert answer_and_close(connection) == b""
    # A request whose head comes in time is answered as ever.
    assert Visitor("Bob").get(f"{server.url}/healthz").status == 200
