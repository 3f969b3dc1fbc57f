"""Many new names from one network, as the organiser sees them: who counts as a crowd (10 names or
more from one network in the last hour, the organiser's own name aside), what is kept of the
network (a keyed hash, never the address), who may look and remove (the organiser only: 404 for
everyone else), the one step of removing (POST with CSRF and a ticked box), what goes with the
names (everything they wrote, voted and liked, and nothing of anyone else's) and that every count
and every reader's page is right afterwards; the same through the API, and in German.

(With the default rate limits and a script of 1,000 names: test_rooms.py.)"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Person, counts_off
from ponder.api.tests.conftest import Caller
from ponder.live.models import Event
from ponder.questions.crowds import CROWD, crowds_of, network_of
from ponder.questions.models import Idea, Participant, Question, Vote

HX = {"HTTP_HX_REQUEST": "true"}
SCRIPT = "192.0.2.66"


def from_network(question: Question, count: int, address: str = SCRIPT, prefix: str = "Bot"):
    """`count` browsers joining `question` from `address` through the join page."""
    people = []
    for n in range(count):
        person = Person(f"{prefix} {n}")
        person.client.defaults["REMOTE_ADDR"] = address
        people.append(person.join(question))
    return people


def removal_form(html: str) -> dict[str, str]:
    """The hidden fields of the first crowd's removal form on the organiser's page."""
    fields = re.findall(r'<input type="hidden" name="(network|since|until)" value="([^"]+)"', html)
    return dict(fields)


@pytest.fixture
def alice(question: Question) -> Person:
    """Organises `question` (and has not joined it)."""
    return Person("Alice").organise(question, question.admin_key)


# What is kept and who is a crowd ----------------------------------------------------------------


def test_a_participant_keeps_a_keyed_hash_of_their_network_never_the_address(
    question: Question,
) -> None:
    from_network(question, 1)
    kept = Participant.objects.get(name="Bot 0")
    assert kept.network == network_of(SCRIPT)
    assert re.fullmatch(r"[0-9a-f]{32}", kept.network)
    assert SCRIPT not in str(Participant.objects.filter(pk=kept.pk).values().get())
    assert network_of(SCRIPT) != network_of("192.0.2.67")
    # IPv6: one machine's /64 is one network, as the rate limits count it.
    assert network_of("2001:db8:1:2::/64") == network_of("2001:db8:1:2::/64")


def test_the_hash_is_keyed_with_the_secret_key(settings) -> None:
    before = network_of(SCRIPT)
    settings.SECRET_KEY = "another" * 8
    assert network_of(SCRIPT) != before


def test_a_crowd_is_ten_names_or_more_from_one_network_in_the_last_hour(
    question: Question,
) -> None:
    from_network(question, CROWD - 1, "198.51.100.1", "Family")
    from_network(question, CROWD, SCRIPT)
    (crowd,) = crowds_of(question)
    assert crowd.network == network_of(SCRIPT)
    assert [p.name for p in crowd.names] == [f"Bot {n}" for n in range(CROWD)]
    # An hour later they are no crowd any more: they joined too long ago.
    assert crowds_of(question, at=timezone.now() + timedelta(hours=1, seconds=1)) == []
    # Names kept from before networks were (no network) are never a crowd.
    Participant.objects.update(network="")
    assert crowds_of(question) == []


def test_the_organisers_own_name_is_in_no_crowd(question: Question) -> None:
    people = from_network(question, CROWD)
    me = Participant.objects.get(name=people[0].name)
    assert crowds_of(question, besides=me) == []  # nine others are no crowd


# The organiser's page -----------------------------------------------------------------------------


def test_the_organiser_is_told_on_the_question_page_and_sees_the_names(
    question: Question, alice: Person
) -> None:
    page = alice.get(f"/q/{question.pk}/").content.decode()
    assert f'hx-get="/q/{question.pk}/crowds/?part=notice"' in page
    quiet = alice.get(f"/q/{question.pk}/crowds/?part=notice", **HX).content.decode()
    assert "New names by network" in quiet and "Many new names" not in quiet
    from_network(question, 12)
    notice = alice.get(f"/q/{question.pk}/crowds/?part=notice", **HX).content.decode()
    assert (
        "Many new names from one address: 12 names joined from one network in the last hour."
        in (notice)
    )
    assert 'role="status"' in notice and "<html" not in notice
    view = alice.get(f"/q/{question.pk}/crowds/").content.decode()
    assert "<h2" in view and "Many new names from one address" in view
    assert "12 names joined from one network in the last hour:" in view
    assert all(f"<bdi>Bot {n}</bdi>" in view for n in range(12))
    assert "Remove these names and everything they wrote and voted" in view
    assert network_of(SCRIPT) in view and SCRIPT not in view


def test_the_organisers_page_speaks_german(question: Question, alice: Person) -> None:
    from_network(question, 11)
    view = alice.get(f"/q/{question.pk}/crowds/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Viele neue Namen von einer Adresse" in view
    assert "11 Namen sind in der letzten Stunde aus einem Netz beigetreten:" in view
    assert "Diese Namen und alles, was sie geschrieben und abgestimmt haben, entfernen" in view


def test_nobody_but_the_organiser_sees_or_removes_a_crowd(
    question: Question, bob: Person, mallory: Person
) -> None:
    from_network(question, CROWD)
    form = {"network": network_of(SCRIPT), "since": "2000-01-01T00:00:00+00:00"}
    form |= {"until": "2100-01-01T00:00:00+00:00", "confirm": "on"}
    for person in (bob, mallory, Person("Bot 0")):
        assert person.get(f"/q/{question.pk}/crowds/").status_code == 404
        assert person.post(f"/q/{question.pk}/crowds/remove/", form).status_code == 404
    assert Participant.objects.filter(network=network_of(SCRIPT)).count() == CROWD


def test_removing_asks_for_the_ticked_box_and_keeps_everything_without_it(
    question: Question, alice: Person
) -> None:
    from_network(question, CROWD)
    form = removal_form(alice.get(f"/q/{question.pk}/crowds/").content.decode())
    refused = alice.post(f"/q/{question.pk}/crowds/remove/", form)
    assert refused.status_code == 422
    assert "Tick the box to confirm, or leave the names as they are." in refused.content.decode()
    assert Participant.objects.filter(question=question).count() == CROWD


def test_removing_needs_the_csrf_token(question: Question) -> None:
    from_network(question, CROWD)
    browser = Client(enforce_csrf_checks=True)
    browser.get(f"/q/{question.pk}/a/{question.admin_key}/")
    form = removal_form(browser.get(f"/q/{question.pk}/crowds/").content.decode())
    response = browser.post(f"/q/{question.pk}/crowds/remove/", {**form, "confirm": "on"})
    assert response.status_code == 403
    assert Participant.objects.filter(question=question).count() == CROWD


@pytest.mark.parametrize("field", ["network", "since", "until"])
def test_a_tampered_form_is_refused_with_nothing_removed(
    question: Question, alice: Person, field: str
) -> None:
    from_network(question, CROWD)
    form = removal_form(alice.get(f"/q/{question.pk}/crowds/").content.decode())
    form[field] = "192.0.2.66' OR 1=1"
    response = alice.post(f"/q/{question.pk}/crowds/remove/", {**form, "confirm": "on"})
    assert response.status_code == 422
    assert Participant.objects.filter(question=question).count() == CROWD


def test_removing_a_crowd_takes_everything_of_theirs_and_nothing_of_anyone_elses(
    question: Question, alice: Person, bob: Person
) -> None:
    q = f"/q/{question.pk}"
    bob.post(f"{q}/ideas/", {"title": "Bob's lake"})
    lake = Idea.objects.get(title="Bob's lake")
    bob.post(f"{q}/ideas/{lake.pk}/vote/")
    bob.post(f"{q}/ideas/{lake.pk}/arguments/", {"kind": "pro", "text": "Quiet"})
    quiet = lake.arguments.get()
    bots = from_network(question, CROWD)
    for bot in bots:
        bot.post(f"{q}/ideas/{lake.pk}/vote/")
        bot.post(f"{q}/arguments/{quiet.pk}/like/")
    bots[0].post(f"{q}/ideas/", {"title": "Spam idea"})
    spam = Idea.objects.get(title="Spam idea")
    bob.post(f"{q}/ideas/{spam.pk}/vote/")  # Bob's vote goes with the idea it was for
    bots[1].post(f"{q}/ideas/{lake.pk}/arguments/", {"kind": "con", "text": "Spam con"})
    bots[2].post(f"{q}/comments/", {"text": "Spam comment"})
    bob.post(f"{q}/comments/", {"text": "Bob's comment"})
    # A name from the same network an hour ago is not in the crowd, and stays.
    from_network(question, 1, prefix="Yesterday's")
    Participant.objects.filter(name="Yesterday's 0").update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    # The question page as Bob has it now (its render is kept for its version).
    assert "Spam idea" in bob.get(f"{q}/").content.decode()
    version = Question.objects.get(pk=question.pk).version

    form = removal_form(alice.get(f"{q}/crowds/").content.decode())
    done = alice.post(f"{q}/crowds/remove/", {**form, "confirm": "on"}, follow=True)
    assert "10 names were removed, with everything they wrote and voted." in done.content.decode()

    names = set(Participant.objects.filter(question=question).values_list("name", flat=True))
    assert names == {"Bob", "Yesterday's 0"}
    assert list(Idea.objects.filter(question=question).values_list("title", flat=True)) == [
        "Bob's lake"
    ]
    lake.refresh_from_db()
    quiet.refresh_from_db()
    assert (lake.vote_count, quiet.like_count) == (1, 0)
    assert list(Vote.objects.values_list("participant__name", flat=True)) == ["Bob"]
    assert [a.text for a in lake.arguments.all()] == ["Quiet"]
    assert list(question.comments.values_list("text", flat=True)) == ["Bob's comment"]
    assert counts_off() == []
    # The change is announced (live pages refresh), and every reader's page is drawn afresh.
    event = Event.objects.filter(question_id=question.pk).latest("version")
    assert (event.type, event.version) == ("participants.removed", version + 1)
    html = bob.get(f"{q}/").content.decode()
    assert "Spam" not in html and "Bob&#x27;s lake" in html
    row = bob.get(f"{q}/ideas/{lake.pk}/?part=row", **HX).content.decode()
    assert "Bot 0" not in row
    # A removed browser is a newcomer again, asked for a name.
    assert bots[0].post(f"{q}/ideas/{lake.pk}/vote/").status_code == 302
    assert lake.votes.count() == 1


def test_the_live_page_listens_for_the_removal(question: Question, bob: Person) -> None:
    page = bob.get(f"/q/{question.pk}/").content.decode()
    types = re.search(r'data-types="([^"]+)"', page)[1].split(",")
    assert "participants.removed" in types


# The API ------------------------------------------------------------------------------------------


def test_the_organiser_reads_and_removes_crowds_through_the_api(question: Question) -> None:
    from_network(question, CROWD)
    alice = Caller(question.admin_key)
    read = alice.get(f"/questions/{question.pk}/crowds")
    assert read.status_code == 200
    (crowd,) = read.data["crowds"]
    assert crowd["network"] == network_of(SCRIPT)
    assert crowd["count"] == CROWD
    assert [n["name"] for n in crowd["names"]] == [f"Bot {n}" for n in range(CROWD)]
    for caller in (Caller(), Caller("not-a-token-of-this-question")):
        assert caller.get(f"/questions/{question.pk}/crowds").status_code in (401, 404)
    url = f"/questions/{question.pk}/crowds/{crowd['network']}/remove"
    body = {"since": crowd["since"], "until": crowd["until"]}
    assert Caller().post(url, body).status_code == 401
    assert alice.post(url, {"since": "yesterday", "until": crowd["until"]}).status_code == 400
    removed = alice.post(url, body)
    assert removed.status_code == 200 and removed.data == {"removed": CROWD}
    assert not Participant.objects.filter(question=question).exists()
    assert alice.get(f"/questions/{question.pk}/crowds").data == {"crowds": []}


def test_api_joins_keep_their_network_too(question: Question) -> None:
    joined = Client(REMOTE_ADDR=SCRIPT).post(
        f"/api/v1/questions/{question.pk}/participants",
        {"name": "Eve"},
        content_type="application/json",
    )
    assert joined.status_code == 201
    assert Participant.objects.get(name="Eve").network == network_of(SCRIPT)
