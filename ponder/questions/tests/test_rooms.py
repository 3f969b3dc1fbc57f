"""A room behind one address, with the default rate limits (README, Rate limits): a class of 800
phones on the school's one public address loads the page, joins and casts ten votes each, all of
it accepted; a script on one address is stopped once it has added as many names to one question
as a room has, is told so kindly, and shows up for the organiser, who removes its names with
everything they wrote and voted, and nobody else's.

Everything goes through the real request path (middleware, views, services) with the defaults;
only the cache is this process's own (tests/live/test_rate_limits.py shares counts through Redis
between two servers)."""

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from conftest import Person, counts_off
from ponder import ratelimit
from ponder.questions import services
from ponder.questions.crowds import network_of
from ponder.questions.models import Argument, Comment, Idea, Like, Participant, Question, Vote
from ponder.ratelimit import parse_limits

HX = {"HTTP_HX_REQUEST": "true"}
SCHOOL = "203.0.113.10"  # the school's one public address
ROOM = 800
VOTES_EACH = 10
NEW_NAMES = "Many new names have joined this question from your network in a short time"


@pytest.fixture
def defaults(settings) -> Iterator[None]:
    cache.clear()
    settings.PONDER_RATE_LIMITS = parse_limits("")  # the defaults, as a fresh install has them
    yield
    cache.clear()


@pytest.fixture
def hour_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limits' windows begin now: no window ends while a test runs (which would let a
    script through a second time)."""
    start = (ratelimit.clock() // 3600) * 3600
    monkeypatch.setattr(ratelimit, "clock", lambda: start)


@pytest.mark.room
def test_a_room_of_800_behind_one_address_joins_and_casts_8000_votes_with_the_defaults(
    defaults: None, hour_start: None, many_rows: None, make_question
) -> None:
    question, admin_key = make_question("Which essay topic shall we take?")
    teacher, _ = services.participant_join(question=question, name="Teacher")
    ideas = [
        services.idea_add(question=question, author=teacher, title=f"Topic {n}") for n in range(12)
    ]
    page = f"/q/{question.pk}/"
    statuses: Counter[tuple[str, int]] = Counter()
    for pupil in range(ROOM):
        phone = Client(REMOTE_ADDR=SCHOOL)
        statuses["page", phone.get(page).status_code] += 1
        joined = phone.post(f"{page}join/", {"name": f"Pupil {pupil}"}, **HX)
        statuses["join", joined.status_code] += 1
        for n in range(VOTES_EACH):
            idea = ideas[(pupil + n) % len(ideas)]
            voted = phone.post(f"{page}ideas/{idea.pk}/vote/", **HX)
            statuses["vote", voted.status_code] += 1
        # A live update: the row of an idea somebody else voted for, fetched again.
        row = phone.get(f"{page}ideas/{ideas[pupil % len(ideas)].pk}/?part=row", **HX)
        statuses["row", row.status_code] += 1

    assert statuses == {
        ("page", 200): ROOM,
        ("join", 200): ROOM,  # htmx: the page reloads itself after joining
        ("vote", 200): ROOM * VOTES_EACH,
        ("row", 200): ROOM,
    }
    assert Participant.objects.filter(question=question).count() == ROOM + 1
    assert Vote.objects.filter(idea__question=question).count() == ROOM * VOTES_EACH
    assert counts_off() == []
    # The organiser sees the class as one crowd: they know their room, and leave it be.
    organiser = Person("Teacher").organise(question, admin_key)
    notice = organiser.get(f"/q/{question.pk}/crowds/?part=notice", **HX).content.decode()
    assert f"{ROOM} names joined from one network in the last hour" in notice


@pytest.mark.room
def test_a_script_on_one_address_is_stopped_at_a_rooms_worth_of_names_and_removed_in_one_step(
    defaults: None, hour_start: None, make_question
) -> None:
    question, admin_key = make_question()
    q = f"/q/{question.pk}"
    # Carol takes part from home; her idea is what the script votes up.
    carol = Person("Carol")
    carol.client.defaults["REMOTE_ADDR"] = "198.51.100.7"
    carol.join(question)
    carol.post(f"{q}/ideas/", {"title": "Carol's idea"})
    carols_idea = Idea.objects.get(title="Carol's idea")
    carol.post(f"{q}/ideas/{carols_idea.pk}/vote/")
    carol.post(f"{q}/ideas/{carols_idea.pk}/arguments/", {"kind": "pro", "text": "Cheap"})
    carols_argument = Argument.objects.get(text="Cheap")

    # The script: a fresh browser for every name, from one address, as fast as it can.
    limit = parse_limits("")["join_question"].count
    answers = []
    for n in range(limit + 5):
        bot = Client(REMOTE_ADDR="192.0.2.66")
        answers.append(bot.post(f"{q}/join/", {"name": f"Voter {n}"}))
        if n < 30 and answers[-1].status_code == 302:  # some of them write and vote too
            bot.post(f"{q}/ideas/{carols_idea.pk}/vote/")
            bot.post(f"{q}/arguments/{carols_argument.pk}/like/")
            bot.post(f"{q}/ideas/", {"title": f"Spam {n}"})
            bot.post(f"{q}/comments/", {"text": f"Spam {n}"})
    statuses = [answer.status_code for answer in answers]
    assert statuses == [302] * limit + [429] * 5
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert NEW_NAMES in refused.content.decode()
    carols_idea.refresh_from_db()
    assert carols_idea.vote_count == 31

    # The organiser is told, sees the names, and removes them in one step.
    alice = Person("Alice").organise(question, admin_key)
    notice = alice.get(f"{q}/crowds/?part=notice", **HX).content.decode()
    assert f"{limit} names joined from one network in the last hour" in notice
    view = alice.get(f"{q}/crowds/").content.decode()
    assert "Voter 0" in view and f"Voter {limit - 1}" in view and "Carol" not in view
    crowd = Participant.objects.filter(question=question, name="Voter 0").get()
    assert crowd.network == network_of("192.0.2.66")
    form = _crowd_form(view)
    removed = alice.post(f"{q}/crowds/remove/", {**form, "confirm": "on"})
    assert removed.status_code == 302
    assert "No network has brought" in alice.get(f"{q}/crowds/").content.decode()

    # Their names, ideas, comments, votes and likes are gone; Carol's are all still there.
    assert list(Participant.objects.filter(question=question).values_list("name", flat=True)) == [
        "Carol"
    ]
    assert list(Idea.objects.filter(question=question)) == [carols_idea]
    assert not Comment.objects.filter(question=question).exists()
    assert list(Vote.objects.values_list("participant__name", flat=True)) == ["Carol"]
    assert not Like.objects.exists()
    assert Argument.objects.get().author.name == "Carol"
    carols_idea.refresh_from_db()
    assert carols_idea.vote_count == 1
    assert counts_off() == []
    # The page, drawn afresh, says so too.
    html = carol.get(f"{q}/").content.decode()
    assert "Spam" not in html and "Carol&#x27;s idea" in html


def _crowd_form(html: str) -> dict[str, str]:
    """The hidden fields of the first crowd's removal form."""
    return dict(
        re.findall(r'<input type="hidden" name="(network|since|until)" value="([^"]+)"', html)
    )


def test_names_over_many_questions_from_one_address_have_a_backstop(
    defaults: None, hour_start: None, settings, db: None
) -> None:
    """Beyond one question, a script still meets the per-address count of new names."""
    settings.PONDER_RATE_LIMITS = parse_limits("join=5/h")  # the defaults, with a small backstop
    questions = [services.question_create(title=f"Q{n}")[0] for n in range(3)]
    statuses = [
        Client(REMOTE_ADDR="192.0.2.66")
        .post(f"/q/{question.pk}/join/", {"name": f"X{n}"})
        .status_code
        for question in questions
        for n in range(2)  # two names, not lookalikes of each other
    ]
    assert statuses == [302] * 5 + [429]
    assert Question.objects.count() == 3
