"""The event stream, gzipped for a client that accepts it, by a real `ponder serve`: each message
is flushed as it is sent, so it arrives on its own, not held back until more is written."""

import http.client
import json
import urllib.parse
import zlib

from .conftest import Servers, Visitor


class GzippedStream:
    """An event stream read with `Accept-Encoding: gzip`, inflated as it comes."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.connection.request("GET", parts.path, headers={"Accept-Encoding": "gzip"})
        self.response = self.connection.getresponse()
        self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.text = ""
        self.seen: list[str] = []  # every message so far, comments included

    def next_event(self) -> dict[str, object]:
        """The data of the next message that is an event (comments are kept in `self.text`)."""
        while True:
            while "\n\n" not in self.text:
                chunk = self.response.read1(65536)
                assert chunk, "the stream ended"
                self.text += self.inflate.decompress(chunk).decode()
            message, self.text = self.text.split("\n\n", 1)
            self.seen.append(message)
            data = [line for line in message.splitlines() if line.startswith("data: ")]
            if data:
                return json.loads(data[0].removeprefix("data: "))

    def close(self) -> None:
        self.connection.close()


def test_a_gzipped_event_stream_delivers_each_event_as_it_happens(servers: Servers) -> None:
    (server,) = servers.start()
    alice = Visitor("Alice")
    question = alice.ask(server, "Lunch where?")
    alice.join(server, question)
    idea = alice.add_idea(server, question, "Soup")
    stream = GzippedStream(f"{server.url}/q/{question}/events")
    try:
        assert stream.response.status == 200
        assert stream.response.getheader("Content-Encoding") == "gzip"
        assert stream.response.getheader("Content-Type").startswith("text/event-stream")
        assert stream.next_event()["type"] == "hello"
        alice.vote(server, question, idea)
        cast = stream.next_event()
        assert (cast["type"], cast["idea"], cast["count"]) == ("vote.cast", idea, 1)
        alice.vote(server, question, idea, cast=False)
        retracted = stream.next_event()
        assert (retracted["type"], retracted["count"]) == ("vote.retracted", 0)
        # Each came by itself: not held back until the next write (a keepalive, 15 s later).
        assert not any(message.startswith(":") for message in stream.seen), stream.seen
    finally:
        stream.close()
