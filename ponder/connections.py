"""What one connection may take from a server process: the head of each request within
PONDER_HEADER_TIMEOUT, a body of at most PONDER_MAX_BODY bytes within PONDER_BODY_TIMEOUT.

uvicorn has no limit on the time a request's head may take: its keep-alive timer starts only
after a response, and stops at the first byte of the next request, so a connection that sends a
head byte by byte (or nothing at all) stays open for good. `HeadDeadline` is uvicorn's own HTTP
protocol (`http="auto"`), held rather than subclassed, that closes a connection whose head has not
come in time. The application (ponder/asgi.py) tells it when a head has come and when an answer
has gone, with `request_started` and `request_finished`, by the connection's peer address: the
`client` of the ASGI scope, which `ponder serve` leaves as uvicorn read it from the socket.
"""

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from uvicorn.protocols.http.auto import AutoHTTPProtocol

log = logging.getLogger(__name__)

type Message = dict[str, Any]
type Peer = tuple[str, int]

# Set in the WSGI environ of a request whose body was not read, by `Application` in asgi.py:
# TOO_BIG (announced or read beyond the limit) or TOO_SLOW (not all there in time).
BODY_REFUSED = "ponder.body_refused"
TOO_BIG, TOO_SLOW = "too big", "too slow"


# Bodies --------------------------------------------------------------------------------------


# The routes that take a picture (ponder/questions/images.py) as multipart/form-data: a new idea
# and an idea's picture, from a page's form and in the API. Django counts no uploaded file
# against DATA_UPLOAD_MAX_MEMORY_SIZE, so their other fields keep PONDER_MAX_BODY.
UPLOAD_ROUTES = re.compile(
    r"/q/[0-9A-Za-z]+/ideas/(?:[0-9A-Za-z]+/image/)?|/api/v1/ideas/[0-9A-Za-z]+/image"
)


def max_body(scope: Message) -> int:
    """The most bytes of body a request may send: PONDER_MAX_BODY (`DATA_UPLOAD_MAX_MEMORY_SIZE`
    too), and on the routes that take a picture PONDER_IMAGE_MAX_BYTES more, so that a picture
    a little too large is refused with a message next to its field rather than a bare 413."""
    if scope.get("method") == "POST" and UPLOAD_ROUTES.fullmatch(scope.get("path", "")):
        return settings.PONDER_MAX_BODY + settings.PONDER_IMAGE_MAX_BYTES
    return settings.PONDER_MAX_BODY


def announced_length(scope: Message) -> int | None:
    """The Content-Length the client announced (uvicorn has refused a malformed one), or None."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value)
    return None


class BodyRefusedMiddleware:
    """Answers a request whose body the server did not read: 413 for one too big (Django's own
    refusal, through the 400 handler, as when Django reads one itself), 408 for one too slow. Early
    in the stack, before anything could act on the request without its body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = request.META.get(BODY_REFUSED)
        if refused == TOO_BIG:
            raise RequestDataTooBig("The request body is larger than PONDER_MAX_BODY.")
        if refused == TOO_SLOW:
            from ponder.questions.errors import request_timeout

            return request_timeout(request)
        return self.get_response(request)


# Heads ---------------------------------------------------------------------------------------

# The connections of this process, by peer, that wait for a request's head.
_connections: dict[Peer, "HeadDeadline"] = {}


def _peer(address: Any) -> Peer | None:
    if isinstance(address, list | tuple) and len(address) >= 2:
        return str(address[0]), int(address[1])
    return None  # a Unix socket


def request_started(scope: Message) -> None:
    """The head of a request on this connection has come whole: its deadline is lifted."""
    if (peer := _peer(scope.get("client"))) and (connection := _connections.get(peer)):
        connection.lift()


def request_finished(scope: Message) -> None:
    """The answer has gone: the next request's head must come within the keep-alive time
    (uvicorn closes an idle connection then) and PONDER_HEADER_TIMEOUT more."""
    if (peer := _peer(scope.get("client"))) and (connection := _connections.get(peer)):
        connection.arm(connection.keep_alive + settings.PONDER_HEADER_TIMEOUT)


class HeadDeadline(asyncio.Protocol):
    """uvicorn's HTTP protocol, with a deadline for each request's head: a connection gets
    PONDER_HEADER_TIMEOUT from its start to send its first request's head, and after each answer
    the keep-alive time plus PONDER_HEADER_TIMEOUT to send the next one's. Then it is closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.protocol: asyncio.Protocol = AutoHTTPProtocol(*args, **kwargs)
        self.keep_alive: float = kwargs["config"].timeout_keep_alive
        self.transport: asyncio.BaseTransport | None = None
        self.peer: Peer | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.peer = _peer(transport.get_extra_info("peername"))
        if self.peer is not None:
            _connections[self.peer] = self
            self.arm(settings.PONDER_HEADER_TIMEOUT)
        self.protocol.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lift()
        if self.peer is not None and _connections.get(self.peer) is self:
            del _connections[self.peer]
        self.protocol.connection_lost(exc)

    def arm(self, seconds: float) -> None:
        self.lift()
        self.timer = asyncio.get_running_loop().call_later(seconds, self.expire)

    def lift(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def expire(self) -> None:
        self.timer = None
        if self.transport is not None and not self.transport.is_closing():
            log.info("Closed a connection that sent no complete request head in time")
            self.transport.close()

    # The rest is uvicorn's protocol's.
    def data_received(self, data: bytes) -> None:
        self.protocol.data_received(data)  # type: ignore[attr-defined]

    def eof_received(self) -> bool | None:
        return self.protocol.eof_received()

    def pause_writing(self) -> None:
        self.protocol.pause_writing()

    def resume_writing(self) -> None:
        self.protocol.resume_writing()
