"""A worker told to stop answers the requests already on their way to it (ponder/lib/serving.py).

A reload (`kill -HUP`) or a stop reaches a worker between a client's connect and its request, or
between two requests on a kept connection. uvicorn on its own closes such connections at once and
the client gets "connection reset" (docs/reliability.md #6: 1 request in 4,466 failed that way).
Here the request that comes within a second is answered, with `Connection: close`, and the server
still stops by itself.
"""

import os
import signal
import socket
import time

from .conftest import Servers, wait_until

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _answer(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_requests_on_their_way_to_a_stopping_worker_are_answered(servers: Servers) -> None:
    (server,) = servers.start()
    fresh = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    kept = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    kept.sendall(REQUEST)
    first = b""
    while not first.endswith(b"}"):  # the JSON body of /healthz, after the head
        first += kept.recv(65536)
    assert first.startswith(b"HTTP/1.1 200"), first
    assert b"connection: close" not in first.lower()
    time.sleep(0.3)  # the worker has taken the fresh connection; no request on it yet

    os.kill(server.process.pid, signal.SIGTERM)
    time.sleep(0.3)  # the worker is stopping: it no longer accepts connections
    stopped_at = time.monotonic()
    fresh.sendall(REQUEST)
    kept.sendall(REQUEST)
    for connection in (fresh, kept):
        answer = _answer(connection)  # the server closes the connection after answering
        connection.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer
        assert b"connection: close" in answer.lower(), answer
        assert answer.endswith(b"}"), answer

    # And a worker with only an idle connection still stops soon, by itself.
    assert wait_until(lambda: server.process.poll() is not None, timeout=5), server.log_tail()
    assert time.monotonic() - stopped_at < 5


def test_a_stopping_worker_closes_an_idle_connection_after_a_second(servers: Servers) -> None:
    (server,) = servers.start()
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    time.sleep(0.3)
    stopping = time.monotonic()
    os.kill(server.process.pid, signal.SIGTERM)
    assert _answer(idle) == b"", "nothing is sent on a connection that asked nothing"
    idle.close()
    waited = time.monotonic() - stopping
    assert 0.8 < waited < 4, waited
    assert wait_until(lambda: server.process.poll() is not None, timeout=5), server.log_tail()
