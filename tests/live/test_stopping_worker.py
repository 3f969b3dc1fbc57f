"""A worker told to stop (a reload with `kill -HUP`, or the end of the server) finishes what it
has begun and then stops by itself, as uvicorn does with the options of `ponder serve`
(`timeout_graceful_shutdown`): a request it is reading is answered, with `Connection: close`; a
connection with nothing in flight is closed; a live stream does not keep it from stopping.
"""

import os
import signal
import socket
import time

from .conftest import Servers, Visitor, wait_until

CSRF = "a" * 32  # any 32 letters: Django takes a token of that length as its unmasked secret
BODY = f"csrfmiddlewaretoken={CSRF}&language=de&next=/".encode()
HEAD = (
    "POST /i18n/setlang/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    f"Cookie: csrftoken={CSRF}\r\nContent-Length: {len(BODY)}\r\n\r\n"
).encode()


def _answer(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_a_request_the_worker_has_begun_is_answered_and_then_it_stops(servers: Servers) -> None:
    (server,) = servers.start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as begun:
        begun.sendall(HEAD + BODY[:10])  # a slow client: the rest of its form is on its way
        time.sleep(0.5)
        os.kill(server.process.pid, signal.SIGTERM)
        time.sleep(0.5)  # the worker is stopping, and waits for this request
        assert server.process.poll() is None
        begun.sendall(BODY[10:])
        answer = _answer(begun)
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 302"), answer  # the language switched
    assert b"set-cookie: django_language=de" in head, answer
    assert b"connection: close" in head, answer
    assert wait_until(lambda: server.process.poll() is not None, timeout=10), server.log_tail()


def test_a_stopping_worker_closes_an_idle_connection_and_stops(servers: Servers) -> None:
    (server,) = servers.start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle:
        time.sleep(0.3)
        os.kill(server.process.pid, signal.SIGTERM)
        assert _answer(idle) == b"", "nothing is sent on a connection that asked nothing"
    assert wait_until(lambda: server.process.poll() is not None, timeout=10), server.log_tail()


def test_an_open_live_stream_does_not_keep_a_worker_from_stopping(servers: Servers) -> None:
    (server,) = servers.start()
    question = Visitor("Ada").ask(server, "Where shall we meet?")
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as stream:
        stream.sendall(
            f"GET /api/v1/questions/{question}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        first = stream.recv(65536)
        assert first.startswith(b"HTTP/1.1 200"), first
        os.kill(server.process.pid, signal.SIGTERM)
        # The stream is cut after `timeout_graceful_shutdown` (5 s) at most, and the worker stops.
        assert wait_until(lambda: server.process.poll() is not None, timeout=20), server.log_tail()
        _answer(stream)  # closed
