"""Huge bodies sent to a real `ponder serve` (docs/reliability.md #14): 10 MB streamed in chunks (no
Content-Length to refuse it by) and 10 MB with its length announced, to the API and to a form.
Each gets 413, the server's memory hardly grows, and it goes on answering.
The test client cannot stream a body; uvicorn and Django's ASGI handler can, so this needs the
real server."""

import socket
from pathlib import Path

import pytest

from .conftest import Servers, Visitor

TEN_MB = 10 * 1024 * 1024


def rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (the uvicorn worker), in KB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    for one in pids:
        for line in Path(f"/proc/{one}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def send(port: int, path: str, content_type: str, *, chunked: bool, headers: str = "") -> str:
    """POST 10 MB of "x" in 64 KB pieces; returns the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
        head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {TEN_MB}\r\n"
        connection.sendall(head.encode() + headers.encode() + b"\r\n")
        piece = b"x" * 65536
        try:
            for _ in range(TEN_MB // len(piece)):
                connection.sendall(
                    f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
                )
            if chunked:
                connection.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading it all: that is the point
        answer = b""
        while b"\r\n" not in answer:
            received = connection.recv(4096)
            if not received:
                break
            answer += received
        return answer.split(b"\r\n", 1)[0].decode()


@pytest.mark.parametrize("chunked", [True, False], ids=["streamed", "with its length"])
def test_ten_megabytes_get_413_quickly_and_the_server_goes_on(
    servers: Servers, chunked: bool
) -> None:
    (server,) = servers.start()
    someone = Visitor("Bob")
    question = someone.ask(server, "Where should the team offsite be?")
    csrf = next(c.value for c in someone.jar if c.name == "csrftoken")
    cookies = "; ".join(f"{c.name}={c.value}" for c in someone.jar)
    # As htmx sends it: the CSRF token in a header, so the body need not be read to check it.
    headers = f"Cookie: {cookies}\r\nX-CSRFToken: {csrf}\r\n"
    before = rss_kb(server.process.pid)

    for path, content_type in (
        ("/api/v1/questions", "application/json"),
        (f"/q/{question}/comments/", "application/x-www-form-urlencoded"),
    ):
        status = send(server.port, path, content_type, chunked=chunked, headers=headers)
        assert status == "HTTP/1.1 413 Request Entity Too Large", (path, status)

    grown_mb = (rss_kb(server.process.pid) - before) / 1024
    assert grown_mb < 50, f"{grown_mb:.0f} MB"
    assert someone.get(f"{server.url}/healthz").status == 200
    # (Django logs each refusal as a security event, with its traceback; a 500 it logs so.)
    assert "Internal Server Error" not in server.log.read_text()
