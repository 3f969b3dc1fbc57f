"""An open stream follows who may read its question. When the organiser revokes an invitation,
changes who may take part, removes a participant or deletes the question, a stream whose reader
may no longer read it gets `access.ended` (the page then loads again and shows its gate, or that
the question is gone) and ends: nothing that happens afterwards reaches it. The streams still let
in go on as before.

Everything over HTTP against real `ponder serve` processes, as a program (bearer tokens) and as a
page (cookies) hold their streams."""

from collections.abc import Callable

import pytest

from .conftest import EventStream, Redis, Server, Servers
from .conftest import api_ask as ask
from .conftest import api_call as call

ENDED = "access.ended"


def join(server: Server, question: str, name: str, **how: str) -> str:
    url = f"{server.url}/api/v1/questions/{question}/participants"
    return call(url, {"name": name, **how})["token"]


def events(server: Server, question: str) -> str:
    return f"{server.url}/api/v1/questions/{question}/events"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ends(stream: EventStream) -> None:
    """Its last message is `access.ended`, and then it is closed."""
    message = stream.next()
    assert message.event == ENDED, (message.event, message.data)
    assert set(message.data) == {"type", "version"}  # nothing of what changed
    assert stream.messages.get(timeout=15) is None, "the stream went on"


def test_a_revoked_invitation_ends_its_holders_stream_and_no_one_elses(
    servers: Servers, listen: Callable[..., EventStream]
) -> None:
    (server,) = servers.start()
    api = server.url + "/api/v1"
    question, admin = ask(server, taking_part="invitation")
    made = call(f"{api}/questions/{question}/invitations", {"count": 2}, admin)["invitations"]
    keys = [invitation["url"].rstrip("/").rsplit("/", 1)[1] for invitation in made]
    bob = join(server, question, "Bob", invitation=keys[0])
    carol = join(server, question, "Carol", invitation=keys[1])
    bobs, carols = (
        listen(events(server, question), bearer(bob)),
        listen(events(server, question), bearer(carol)),
    )
    assert [bobs.next().event, carols.next().event] == ["hello", "hello"]

    call(f"{api}/questions/{question}/invitations/{made[0]['id']}/revoke", {}, admin)
    ends(bobs)
    assert carols.next().event == "question.changed"
    # What comes afterwards reaches carol only (bob's stream is closed), and bob is refused.
    call(f"{api}/questions/{question}/ideas", {"title": "The boathouse"}, admin)
    assert carols.next().event == "idea.added"
    again = listen(events(server, question), bearer(bob))
    assert again.status == 403


def test_a_new_rule_of_who_takes_part_ends_the_streams_of_those_it_keeps_out(
    servers: Servers, listen: Callable[..., EventStream]
) -> None:
    (server,) = servers.start()
    question, admin = ask(server)  # anyone with the link
    bob = join(server, question, "Bob")
    page = listen(f"{server.url}/q/{question}/events")  # a page of someone who never joined
    program = listen(events(server, question), bearer(bob))
    assert [page.next().event, program.next().event] == ["hello", "hello"]

    settings = {"taking_part": "password", "password": "a long secret"}
    call(f"{server.url}/api/v1/questions/{question}", {"settings": settings}, admin, "PATCH")
    ends(page)  # only those who know the password may read it now
    assert program.next().event == "question.changed"  # bob joined before: he is still in
    idea = call(f"{server.url}/api/v1/questions/{question}/ideas", {"title": "Lake"}, admin)
    assert (program.next().event, idea["title"]) == ("idea.added", "Lake")


def test_a_removed_participant_of_a_question_behind_a_password_loses_its_stream(
    servers: Servers, listen: Callable[..., EventStream]
) -> None:
    (server,) = servers.start()
    api = server.url + "/api/v1"
    question, admin = ask(server, taking_part="password", password="a long secret")
    joined = call(
        f"{api}/questions/{question}/participants", {"name": "Bob", "password": "a long secret"}
    )
    carol = join(server, question, "Carol", password="a long secret")
    bobs = listen(events(server, question), bearer(joined["token"]))
    carols = listen(events(server, question), bearer(carol))
    assert [bobs.next().event, carols.next().event] == ["hello", "hello"]

    call(f"{api}/questions/{question}/participants/{joined['id']}", None, admin, "DELETE")
    ends(bobs)
    assert carols.next().event == "participants.removed"


@pytest.mark.parametrize("processes", ["one", "two over Redis", "two polling"])
def test_deleting_the_question_ends_its_streams_on_every_process(
    servers: Servers,
    listen: Callable[..., EventStream],
    postgres_url: str,
    redis_server: Redis,
    processes: str,
) -> None:
    if processes == "one":
        (a,), b = servers.start(1, DATABASE_URL=postgres_url), None
    elif processes == "two over Redis":
        a, b = servers.start(2, DATABASE_URL=postgres_url, REDIS_URL=redis_server.url)
    else:  # each process polls the log, and finds the question's gone
        a, b = servers.start(2, DATABASE_URL=postgres_url)
    question, admin = ask(a)
    streams = [listen(events(a, question)), listen(f"{a.url}/q/{question}/events")]
    if b is not None:  # a stream held by the other process
        streams.append(listen(events(b, question)))
    assert [stream.next().event for stream in streams] == ["hello"] * len(streams)

    call(f"{a.url}/api/v1/questions/{question}", None, admin, "DELETE")
    for stream in streams:
        ends(stream)


def test_a_new_rule_of_who_takes_part_in_a_surveys_question_ends_the_survey_streams_it_keeps_out(
    servers: Servers, listen: Callable[..., EventStream]
) -> None:
    """The survey's page holds one stream for all its questions: the reader rule is asked again
    for the question whose access changed, as on the question's own stream."""
    (server,) = servers.start()
    api = server.url + "/api/v1"
    made = call(f"{api}/surveys", {"title": "Offsite", "questions": [{"title": "Where?"}]})
    survey, admin = made["id"], made["admin_token"]
    question = made["questions"][0]["id"]
    # The organiser takes part (she adds an idea below).
    call(f"{api}/questions/{question}/participants", {"name": "Alice"}, admin)
    bob = join(server, question, "Bob")
    page = listen(f"{server.url}/s/{survey}/events")  # a page of someone who never joined
    program = listen(f"{server.url}/s/{survey}/events", bearer(bob))
    assert [page.next().event, program.next().event] == ["hello", "hello"]

    settings = {"taking_part": "password", "password": "a long secret"}
    call(f"{api}/questions/{question}", {"settings": settings}, admin, "PATCH")
    ends(page)  # only those who know the password may read the question now
    change = program.next()  # bob joined before: he is still in
    assert (change.event, change.data["question"]) == ("change", question)
    call(f"{api}/questions/{question}/ideas", {"title": "Lake"}, admin)
    assert program.next().data["types"] == ["idea.added"]
