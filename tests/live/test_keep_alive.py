"""`ponder serve` keeps an idle keep-alive connection open for 65 seconds (uvicorn's default of 5
closed connections that clients were about to reuse: "connection reset" under load, the first
load test's 1.7% errors). A client that pauses between requests, as people do, keeps its
connection."""

import http.client
import time

from .conftest import Servers

PAUSE = 7  # longer than uvicorn's default of 5 s


def test_an_idle_connection_is_kept_for_the_next_request(servers: Servers) -> None:
    (server,) = servers.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        first = connection.getresponse()
        first.read()
        assert first.status == 200
        assert first.getheader("Connection", "").lower() != "close"
        local = connection.sock.getsockname()
        time.sleep(PAUSE)
        connection.request("GET", "/healthz")  # http.client would reconnect if it were closed
        second = connection.getresponse()
        second.read()
        assert second.status == 200
        assert connection.sock.getsockname() == local, "the server closed the idle connection"
    finally:
        connection.close()
