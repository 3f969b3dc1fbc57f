"""The HTTP protocol `ponder serve` runs on: uvicorn's (httptools), stopping more gently.

When a worker is told to stop (a reload with `kill -HUP`, or the end of the server), uvicorn stops
accepting connections and closes every connection that has no request in flight, at once. A
connection the worker accepted a moment earlier, whose request is still on its way, is closed
unanswered: the client sees "connection reset" (1 request in 4,466 in RELIABILITY.md #6's test).
Here such a connection is given `DRAIN_SECONDS` for its request; one that comes is answered (with
`Connection: close`), and the connection is closed when its answer is sent or the time is up.
"""

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Long enough for a request already sent to arrive, short against the 5 s that a stopping worker
# waits for its connections (timeout_graceful_shutdown in ponder/cli.py).
DRAIN_SECONDS = 1.0


class DrainingHttpToolsProtocol(HttpToolsProtocol):
    draining = False
    _drain_timer: asyncio.TimerHandle | None = None

    def shutdown(self) -> None:
        if self.cycle is None or self.cycle.response_complete:
            # Nothing in flight: a request may still be on its way on this connection.
            self.draining = True
            if not self.transport.is_closing():
                self._drain_timer = self.loop.call_later(DRAIN_SECONDS, self._drained)
        else:
            self.cycle.keep_alive = False

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self.draining and self.cycle is not None:
            # The last request on this connection: answered, then the connection is closed.
            self.cycle.keep_alive = False

    def _drained(self) -> None:
        self._drain_timer = None
        idle = self.cycle is None or self.cycle.response_complete
        if idle and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._drain_timer is not None:
            self._drain_timer.cancel()
            self._drain_timer = None
        super().connection_lost(exc)
