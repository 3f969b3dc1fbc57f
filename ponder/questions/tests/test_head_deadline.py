"""`HeadDeadline` (ponder/connections.py) around uvicorn's own HTTP protocol, in a uvicorn server
run in this process through its public API, with a keep-alive of 1 s: the deadline for the next
request's head starts again after each answer. (The first request's deadline, against a real
`ponder serve`: tests/live/test_connection_limits.py.)"""

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from ponder.connections import HeadDeadline, request_finished, request_started

WAIT = 30  # seconds to wait for what should take about two


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """As ponder/asgi.py's application does: tell the connection when a head came, and when the
    answer went."""
    request_started(scope)
    try:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
    finally:
        request_finished(scope)


@pytest.fixture
def port(settings: Any) -> Iterator[int]:
    settings.PONDER_HEADER_TIMEOUT = 1
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        hello, http=HeadDeadline, lifespan="off", timeout_keep_alive=1, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield listener.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def _answers(connection: socket.socket, count: int) -> bytes:
    received = b""
    while received.count(b"ok") < count:
        chunk = connection.recv(4096)
        assert chunk, f"closed after {received!r}"
        received += chunk
    return received


def test_after_an_answer_a_slow_next_head_is_closed_too(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as connection:
        request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        connection.sendall(request * 3)  # three requests in a row: each head came in time
        assert _answers(connection, 3).count(b"HTTP/1.1 200 OK") == 3
        connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        deadline = time.monotonic() + WAIT
        closed = False
        while not closed and time.monotonic() < deadline:
            try:
                connection.sendall(b"X")  # a header a byte at a time: never idle, never done
            except (BrokenPipeError, ConnectionResetError):
                closed = True
            time.sleep(0.1)
        assert closed, f"still open after {WAIT} s"
