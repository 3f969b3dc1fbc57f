"""A workshop starts: everybody opens the question at the same moment. Every one of those pages
must get every change, not only the ones that happened to connect first."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from .conftest import EventStream, Servers, Visitor

PAGES = 60


def test_pages_opened_at_the_same_moment_all_get_every_change(
    servers: Servers, listen: Callable[..., EventStream]
) -> None:
    (server,) = servers.start()
    alice = Visitor("Alice")
    question = alice.ask(server, "Which talk first?")
    alice.join(server, question)
    idea = alice.add_idea(server, question, "The keynote")

    url = f"{server.url}/q/{question}/events"
    with ThreadPoolExecutor(PAGES) as pool:
        streams = list(pool.map(lambda _: listen(url), range(PAGES)))
    versions = {stream.next().version for stream in streams}
    assert len(versions) == 1

    alice.vote(server, question, idea)
    alice.vote(server, question, idea, cast=False)
    (start,) = versions
    for stream in streams:
        assert [(m.event, m.version) for m in (stream.next(), stream.next())] == [
            ("vote.cast", start + 1),
            ("vote.retracted", start + 2),
        ]
