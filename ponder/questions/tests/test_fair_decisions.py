"""Fair decisions: phases (collect ideas, then vote), a tally hidden until the end, anonymous
votes and a random order of the ideas per person. Each is one answer of the reader rule
(`access.Reader`), and every surface obeys it: the page, its fragments, the idea's page, the
answer to a vote, the live events, the API, the exports, the report and the embed.

The leak tests read every one of those surfaces as each kind of reader and look for anything of
another person's that the rule withholds: a count, a rank, a voter's name. Each leak test has a
twin that shows the tally again (the rule changed in one place) and asserts that the same check
then finds the leaks, so a check that looks nowhere cannot pass."""

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from conftest import Person
from ponder.live.hub import _events_after
from ponder.live.models import Event
from ponder.questions import services
from ponder.questions.access import (
    PARTICIPANT_COOKIE,
    Access,
    Reader,
    question_for_token,
    shown_to_everyone,
)
from ponder.questions.models import Idea, Participant, Question
from ponder.questions.pages import question_page
from ponder.questions.rendering import shuffle_for

HX = {"HTTP_HX_REQUEST": "true"}
DE = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}
VOTERS = ("Quentin", "Rosalind")  # they vote and write nothing: their names are votes only


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# Phases -------------------------------------------------------------------------------------


@pytest.fixture
def phased(make_question) -> Question:
    """Collecting ideas for another hour, then voting for a day (Berlin time)."""
    now = timezone.now().replace(microsecond=0)
    question, key = make_question(
        ideas_until=now + timedelta(hours=1),
        deadline=now + timedelta(days=1),
        time_zone="Europe/Berlin",
    )
    question.admin_key = key
    return question


def test_the_phase_switches_exactly_at_its_boundary(phased: Question) -> None:
    switch, deadline = phased.ideas_until, phased.deadline
    second = timedelta(seconds=1)
    assert phased.phase(at=switch - second) == "ideas"
    assert phased.phase(at=switch) == "votes"
    assert phased.phase(at=deadline - second) == "votes"
    assert phased.phase(at=deadline) == "closed"
    before = Reader(phased, None, organiser=False, newcomer=False, at=switch - second)
    at = Reader(phased, None, organiser=False, newcomer=False, at=switch)
    assert (before.may_add_ideas(), before.may_vote()) == (True, False)
    assert (at.may_add_ideas(), at.may_vote()) == (False, True)
    # Pros, cons and comments stay open in both phases.
    assert before.may_add_arguments() and at.may_add_arguments()
    # The kind of reader, which every shared render and read is keyed on, changes with it.
    assert before.kind != at.kind


def test_without_phases_both_are_open_at_once(question: Question) -> None:
    reader = Reader(question, None, organiser=False, newcomer=False)
    assert question.phase() == "open"
    assert reader.may_add_ideas() and reader.may_vote()


def _move_switch(question: Question, *, by: timedelta) -> None:
    """Put the switch `by` from now: the phases follow the clock, with nobody visiting."""
    Question.objects.filter(pk=question.pk).update(ideas_until=timezone.now() + by)
    question.refresh_from_db()


def test_in_the_idea_phase_ideas_come_in_and_votes_are_refused_everywhere(
    phased: Question,
) -> None:
    q, bob = phased.pk, Person("Bob").join(phased)
    assert bob.post(f"/q/{q}/ideas/", {"title": "Lake"}).status_code == 302
    idea = Idea.objects.get(question=phased, title="Lake")
    page = bob.get(f"/q/{q}/").content.decode()
    assert "Phase 1 of 2: collecting ideas" in page
    assert "(Europe/Berlin)" in page  # the time zone is named
    assert f"/q/{q}/ideas/{idea.pk}/vote/" not in page  # no vote button
    answer = bob.post(f"/q/{q}/ideas/{idea.pk}/vote/", **HX)
    assert answer.status_code == 409
    assert "Voting opens on" in answer.content.decode()
    assert "(Europe/Berlin)" in answer.content.decode()
    _participant, token = services.participant_join(question=phased, name="Dora")
    api = Client().put(f"/api/v1/ideas/{idea.pk}/vote", **_bearer(token))
    assert api.status_code == 409 and api.json()["code"] == "voting_not_open"
    assert not idea.votes.exists()


def test_in_the_vote_phase_votes_come_in_and_new_ideas_are_refused_everywhere(
    phased: Question,
) -> None:
    q, bob = phased.pk, Person("Bob").join(phased)
    assert bob.post(f"/q/{q}/ideas/", {"title": "Lake"}).status_code == 302
    idea = Idea.objects.get(question=phased)
    _move_switch(phased, by=-timedelta(seconds=1))
    page = bob.get(f"/q/{q}/").content.decode()
    assert "Phase 2 of 2: voting" in page and "(Europe/Berlin)" in page
    assert 'id="idea-form"' not in page  # no form to add an idea
    answer = bob.post(f"/q/{q}/ideas/", {"title": "Hut"}, **HX)
    assert answer.status_code == 409
    assert "Voting has begun" in answer.content.decode()
    _participant, token = services.participant_join(question=phased, name="Dora")
    api = Client().post(
        f"/api/v1/questions/{q}/ideas",
        {"title": "Hut"},
        content_type="application/json",
        **_bearer(token),
    )
    assert api.status_code == 409 and api.json()["code"] == "idea_phase_over"
    assert bob.post(f"/q/{q}/ideas/{idea.pk}/vote/", **HX).status_code == 200
    # Pros and cons are still welcome.
    pro = {"kind": "pro", "text": "Quiet"}
    assert bob.post(f"/q/{q}/ideas/{idea.pk}/arguments/", pro).status_code == 302
    assert idea.votes.count() == 1 and idea.arguments.count() == 1


def test_the_organiser_cannot_add_ideas_in_the_vote_phase_either(phased: Question) -> None:
    _move_switch(phased, by=-timedelta(minutes=1))
    alice = Participant.objects.create(question=phased, name="Alice", organiser=True)
    with pytest.raises(services.ActionRefused):
        services.idea_add(question=phased, author=alice, title="Late", by_organiser=True)


def test_the_worker_announces_the_switch_once_exactly_at_its_time(phased: Question) -> None:
    switch = phased.ideas_until
    assert services.question_phase_due(at=switch - timedelta(seconds=1)) == 0
    assert not Event.objects.filter(question=phased, type="question.phase").exists()
    assert services.question_phase_due(at=switch) == 1
    assert Event.objects.filter(question=phased, type="question.phase").count() == 1
    assert services.question_phase_due(at=switch + timedelta(seconds=5)) == 0  # once
    # Moved later by the organiser, the new switch is announced in its turn.
    Question.objects.filter(pk=phased.pk).update(ideas_until=switch + timedelta(minutes=5))
    assert services.question_phase_due(at=switch + timedelta(minutes=5)) == 1


def test_the_worker_command_publishes_the_switch_for_open_pages(phased: Question) -> None:
    _move_switch(phased, by=-timedelta(seconds=1))
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "switched 1 question(s) from ideas to voting" in out.getvalue()
    newest = Event.objects.filter(question=phased).order_by("-version").first()
    assert newest.type == "question.phase"
    # The page listens for it (and reloads on any question.* event).
    page = Client().get(f"/q/{phased.pk}/").content.decode()
    assert "question.phase" in re.search(r'data-types="([^"]+)"', page)[1]


def test_phases_are_set_on_the_settings_page_and_must_end_before_the_deadline(
    question: Question, alice: Person
) -> None:
    form = {
        "title": question.title,
        "time_zone": "Europe/Berlin",
        "deadline": "2099-05-12T18:00",
        "ideas_until": "2099-05-13T18:00",
    }
    page = alice.post(f"/q/{question.pk}/settings/", form)
    assert page.status_code == 422
    assert "Collecting ideas must end before the deadline." in page.content.decode()
    form["ideas_until"] = "2099-05-10T09:00"
    assert alice.post(f"/q/{question.pk}/settings/", form).status_code == 302
    question.refresh_from_db()
    assert question.ideas_until.isoformat() == "2099-05-10T07:00:00+00:00"  # Berlin, summer
    assert "Phase 1 of 2" in alice.get(f"/q/{question.pk}/").content.decode()


def test_phases_are_set_through_the_api_with_the_same_rules(question: Question) -> None:
    admin = _bearer(question.admin_key)
    patch = {
        "settings": {"deadline": "2099-05-12T18:00:00Z", "ideas_until": "2099-05-13T00:00:00Z"}
    }
    url = f"/api/v1/questions/{question.pk}"
    refused = Client().patch(url, patch, content_type="application/json", **admin)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "settings.ideas_until"
    patch["settings"]["ideas_until"] = "2099-05-10T09:00:00Z"
    answer = Client().patch(url, patch, content_type="application/json", **admin).json()
    assert answer["settings"]["ideas_until"] == "2099-05-10T09:00:00Z"
    assert answer["phase"] == "ideas"


def test_the_phase_banner_is_in_german(phased: Question) -> None:
    page = Client().get(f"/q/{phased.pk}/", **DE).content.decode()
    assert "Phase 1 von 2: Ideen sammeln" in page
    _move_switch(phased, by=-timedelta(seconds=1))
    assert "Phase 2 von 2: Abstimmen" in Client().get(f"/q/{phased.pk}/", **DE).content.decode()


# Hidden tallies and anonymous votes: the leak tests -----------------------------------------


class Room:
    """A question with three ideas by Ida, a pro and a comment, and two voters who write
    nothing: Quentin votes for Lake, Rosalind for Lake and Hut. Its readers: a newcomer, a
    participant who has not voted, Quentin, and the organiser."""

    def __init__(self, make_question, **fair: object) -> None:
        self.question, self.key = make_question(allow_exports=True, allow_embed=True, **fair)
        q = self.question
        ida, _token = services.participant_join(question=q, name="Ida")
        self.ideas = [
            services.idea_add(question=q, author=ida, title=title)
            for title in ("Lake", "Hut", "Barn")
        ]
        services.argument_add(idea=self.ideas[0], author=ida, kind="pro", text="Quiet")
        services.comment_add(question=q, author=ida, text="Friday works")
        self.organiser = Person("Alice").organise(q, self.key)
        self.newcomer = Person("Mallory")
        self.participant = Person("Pat").join(q)
        self.voter = Person("Quentin").join(q)
        rosalind, self.rosalind_token = services.participant_join(question=q, name="Rosalind")
        self.tokens = {
            "organiser": self.key,
            "participant": services.participant_join(question=q, name="Petra")[1],
        }
        self.vote(self.voter, self.ideas[0])
        services.vote_cast(idea=self.ideas[0], participant=rosalind)
        services.vote_cast(idea=self.ideas[1], participant=rosalind)

    def vote(self, person: Person, idea: Idea) -> str:
        answer = person.post(f"/q/{self.question.pk}/ideas/{idea.pk}/vote/", **HX)
        assert answer.status_code == 200, answer.content
        return answer.content.decode()

    def readers(self) -> dict[str, Person]:
        return {
            "newcomer": self.newcomer,
            "participant": self.participant,
            "voter": self.voter,
            "organiser": self.organiser,
        }

    def pages(self, person: Person) -> Iterator[tuple[str, str]]:
        """Every HTML surface of the question this person reads (each read, 200)."""
        for name, text in self._pages(person):
            title = "Hut" if name.endswith("Hut") else "Lake"
            assert title in text or name in (
                "comments.csv",
                "votes.csv",
                "voters Lake",
                "voters Hut",
            )
            yield name, text

    def _pages(self, person: Person) -> Iterator[tuple[str, str]]:
        q, (lake, hut, _barn) = self.question.pk, self.ideas
        yield "page", person.get(f"/q/{q}/").content.decode()
        yield "page by votes", person.get(f"/q/{q}/?sort=votes").content.decode()
        yield "page in German", person.get(f"/q/{q}/", **DE).content.decode()
        yield "fragment", person.get(f"/q/{q}/?part=ideas", **HX).content.decode()
        yield "more ideas", person.get(f"/q/{q}/?part=ideas&ideas=40", **HX).content.decode()
        for idea in (lake, hut):
            base = f"/q/{q}/ideas/{idea.pk}/"
            yield f"row {idea}", person.get(f"{base}?part=row", **HX).content.decode()
            yield f"idea page {idea}", person.get(base).content.decode()
            yield f"voters {idea}", person.get(f"{base}?part=voters", **HX).content.decode()
        yield "embed", person.get(f"/embed/{q}/").content.decode()
        yield "report", person.get(f"/q/{q}/report/").content.decode()
        for table in ("ideas", "votes", "arguments", "comments"):
            yield f"{table}.csv", person.get(f"/q/{q}/export/{table}.csv").content.decode()
        xlsx = zipfile.ZipFile(io.BytesIO(person.get(f"/q/{q}/export/results.xlsx").content))
        yield "xlsx", " ".join(xlsx.read(name).decode() for name in xlsx.namelist())

    def api(self, token: str | None) -> Iterator[tuple[str, object]]:
        """Every API answer about the question, with this token (or none)."""
        q, lake = self.question.pk, self.ideas[0]
        client, headers = Client(), _bearer(token) if token else {}
        for path in (
            f"/api/v1/questions/{q}",
            f"/api/v1/questions/{q}/ideas",
            f"/api/v1/questions/{q}/ideas/{lake.pk}",
            f"/api/v1/ideas/{lake.pk}",
            f"/api/v1/questions/{q}/comments",
            f"/api/v1/questions/{q}/results",
        ):
            answer = client.get(path, **headers)
            expected = 403 if "hidden until the question closes" in answer.text else 200
            if token is None and path.startswith("/api/v1/ideas/"):
                expected = 401  # an idea by its id alone is read with a token
            assert answer.status_code == expected, path
            yield path, answer.json()
        yield "JSON export", json.loads(self.organiser.get(f"/q/{q}/export/results.json").content)


COUNT_MARKS = (
    re.compile(r'data-tally="count"'),  # the vote box's number
    re.compile(r"\b\d+\s+(votes?|Stimmen?)\b"),  # "2 votes", "1 Stimme"
    re.compile(r'class="rank"|badge winner|Rank \d|Rang \d'),
    re.compile(r"Most votes:|Voters:"),  # the report's
    re.compile(r'"count":\s*\d'),  # a live event's tally
    re.compile(r'"vote\.(cast|retracted)"[^}]*"idea"'),  # which idea a vote went to
)


def html_leaks(name: str, text: str, *, others: tuple[str, ...]) -> list[str]:
    found = [f"{name}: {mark.pattern}" for mark in COUNT_MARKS if mark.search(text)]
    if name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(text)))
        if name == "votes.csv" and len(rows) > 1:
            found.append(f"{name}: {len(rows) - 1} votes listed")
        if name == "ideas.csv":
            votes = rows[0].index("Votes")
            found += [f"{name}: votes {row[votes]}" for row in rows[1:] if row[votes] != ""]
            found += [f"{name}: rank {row[0]}" for row in rows[1:] if row[0] != ""]
    found += [f"{name}: names {who}" for who in others if who in text]
    return found


def api_leaks(name: str, data: object, *, others: tuple[str, ...]) -> list[str]:
    found = []
    text = json.dumps(data)
    found += [f"{name}: names {who}" for who in others if who in text]

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if "votes" in value and value["votes"] is not None and "title" in value:
                found.append(f"{name}: votes of {value['title']}")
            if value.get("rank") is not None:
                found.append(f"{name}: rank of {value.get('title')}")
            if value.get("winners") or value.get("ranking"):
                found.append(f"{name}: a ranking")
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(data)
    return found


def every_leak(room: Room, *, names_only: bool = False) -> list[str]:
    """What every reader finds of the tally of others (`names_only`: of their names)."""
    leaks = []
    for role, person in room.readers().items():
        others = tuple(name for name in VOTERS if name != person.name)
        for name, text in room.pages(person):
            found = html_leaks(name, text, others=others)
            if names_only:
                found = [leak for leak in found if ": names " in leak]
            leaks += [f"{role} {leak}" for leak in found]
    for role, token in {"no token": None, **room.tokens}.items():
        for name, data in room.api(token):
            found = api_leaks(name, data, others=VOTERS)
            if names_only:
                found = [leak for leak in found if ": names " in leak]
            leaks += [f"API {role} {leak}" for leak in found]
    if Question.objects.get(pk=room.question.pk).is_open():
        # A vote's answer, in place and through the API, shows no one else's.
        answer = room.vote(room.voter, room.ideas[1])
        found = html_leaks("vote", answer, others=("Rosalind",))
        leaks += [f"vote answer {leak}" for leak in found if not names_only or ": names " in leak]
        petra = _bearer(room.tokens["participant"])
        put = Client().put(f"/api/v1/ideas/{room.ideas[0].pk}/vote", **petra)
        found = api_leaks("API vote", put.json(), others=VOTERS)
        leaks += [leak for leak in found if not names_only or ": names " in leak]
    # The live events as every stream sends them (read from the log and described for every
    # listener alike, as test_live_events reads them).
    stream = "\n".join(event.sse.decode() for event in _events_after(room.question.pk, 0))
    found = html_leaks("stream", stream, others=VOTERS)
    leaks += [leak for leak in found if not names_only or ": names " in leak]
    return leaks


@pytest.fixture
def hidden(make_question) -> Room:
    """The tally hidden until the end, and the organiser chose not to see it meanwhile."""
    return Room(make_question, hide_tally=True, organiser_sees_tally=False)


def test_a_hidden_tally_leaks_to_no_reader_on_any_surface(hidden: Room) -> None:
    assert every_leak(hidden) == []
    assert shown_to_everyone(hidden.question) == (False, False)


def test_the_leak_check_finds_the_tally_once_the_rule_shows_it(hidden: Room, monkeypatch) -> None:
    """The mutation: the rule shows the counts again; the same check must see them."""
    monkeypatch.setattr(Reader, "sees_counts", lambda self: True)
    monkeypatch.setattr(Reader, "sees_voter_names", lambda self: True)
    leaks = every_leak(hidden)
    for surface in ("page", "row", "idea page", "report", "ideas.csv", "votes.csv", "xlsx"):
        assert any(f" {surface}" in leak for leak in leaks), surface
    assert any(leak.startswith("API ") and "votes of" in leak for leak in leaks)
    assert any("names Rosalind" in leak for leak in leaks)


def test_the_hidden_tally_shows_at_the_close(hidden: Room) -> None:
    services.question_close(question=hidden.question)
    page = hidden.newcomer.get(f"/q/{hidden.question.pk}/").content.decode()
    assert "The question was completed" in page and "Rosalind" in page
    assert 'data-tally="count">2<' in page
    results = Client().get(f"/api/v1/questions/{hidden.question.pk}/results").json()
    assert [row["votes"] for row in results["ranking"]] == [2, 1, 0]


def test_the_organiser_who_chose_to_see_the_hidden_tally_sees_it_alone(
    make_question,
) -> None:
    room = Room(make_question, hide_tally=True, organiser_sees_tally=True)
    q = room.question.pk
    mine = room.organiser.get(f"/q/{q}/").content.decode()
    assert "only you, the organiser, see them" in mine and "Rosalind" in mine
    assert 'data-tally="count">2<' in mine
    results = Client().get(f"/api/v1/questions/{q}/results", **_bearer(room.key))
    assert results.status_code == 200 and results.json()["ranking"][0]["votes"] == 2
    assert Client().get(f"/api/v1/questions/{q}/results").status_code == 403
    # Everyone else still sees nothing, and the events carry nothing for anyone.
    assert shown_to_everyone(room.question) == (False, False)
    theirs = room.voter.get(f"/q/{q}/").content.decode()
    assert "Rosalind" not in theirs and 'data-tally="count"' not in theirs


@pytest.fixture
def anonymous(make_question) -> Room:
    return Room(make_question, anonymous_votes=True)


def test_anonymous_votes_name_no_voter_to_anyone_on_any_surface(anonymous: Room) -> None:
    assert every_leak(anonymous, names_only=True) == []
    # The counts still show.
    page = anonymous.newcomer.get(f"/q/{anonymous.question.pk}/").content.decode()
    assert 'data-tally="count">2<' in page
    assert shown_to_everyone(anonymous.question) == (True, False)


def test_anonymous_votes_stay_anonymous_after_the_close(anonymous: Room) -> None:
    services.question_close(question=anonymous.question)
    assert every_leak(anonymous, names_only=True) == []


def test_the_name_check_finds_the_voters_once_the_rule_names_them(
    anonymous: Room, monkeypatch
) -> None:
    monkeypatch.setattr(Reader, "sees_voter_names", lambda self: True)
    leaks = every_leak(anonymous, names_only=True)
    for surface in ("page", "idea page", "report", "votes.csv", "xlsx", "API"):
        assert any(surface in leak for leak in leaks), surface


def test_anonymous_votes_cannot_be_turned_off_once_anyone_voted(anonymous: Room) -> None:
    q = anonymous.question
    form = {"title": q.title, "time_zone": "UTC", "allow_ideas": "on"}
    page = anonymous.organiser.post(f"/q/{q.pk}/settings/", form)
    assert page.status_code == 422
    assert "anonymous votes cannot be turned off any more" in page.content.decode()
    api = Client().patch(
        f"/api/v1/questions/{q.pk}",
        {"settings": {"anonymous_votes": False}},
        content_type="application/json",
        **_bearer(anonymous.key),
    )
    assert api.status_code == 409 and api.json()["code"] == "anonymous_locked"
    q.refresh_from_db()
    assert q.anonymous_votes


def test_anonymous_votes_may_be_turned_off_while_nobody_voted(
    question: Question, alice: Person
) -> None:
    Question.objects.filter(pk=question.pk).update(anonymous_votes=True)
    form = {"title": question.title, "time_zone": "UTC"}
    assert alice.post(f"/q/{question.pk}/settings/", form).status_code == 302
    question.refresh_from_db()
    assert not question.anonymous_votes


def test_the_fair_settings_are_saved_from_the_settings_page(
    question: Question, alice: Person
) -> None:
    form = {
        "title": question.title,
        "time_zone": "UTC",
        "hide_tally": "on",
        "anonymous_votes": "on",
        "random_order": "on",
    }
    assert alice.post(f"/q/{question.pk}/settings/", form).status_code == 302
    question.refresh_from_db()
    assert question.hide_tally and question.anonymous_votes and question.random_order
    assert not question.organiser_sees_tally  # unticked
    page = alice.get(f"/q/{question.pk}/settings/").content.decode()
    assert "Hide the votes until the question closes" in page
    german = alice.get(f"/q/{question.pk}/settings/", **DE).content.decode()
    assert "Stimmen bis zum Ende der Frage verbergen" in german


# Random order -------------------------------------------------------------------------------


def _browser(question: Question, token: str, name: str | None = None) -> Person:
    """A browser holding participant token `token` (a fixed seed), joined as `name` if given."""
    person = Person(name or "")
    signed = HttpResponse()
    signed.set_signed_cookie(PARTICIPANT_COOKIE, token)  # as the site signs it
    person.client.cookies[PARTICIPANT_COOKIE] = signed.cookies[PARTICIPANT_COOKIE].value
    if name:
        person.join(question)
    return person


def _order(person: Person, question: Question) -> list[str]:
    page = person.get(f"/q/{question.pk}/").content.decode()
    return re.findall(r'<article id="idea-([0-9A-Za-z]+)"', page)


@pytest.fixture
def shuffled(make_question) -> Question:
    question, _key = make_question(random_order=True)
    author, _token = services.participant_join(question=question, name="Ida")
    for n in range(12):
        services.idea_add(question=question, author=author, title=f"Idea {n:02}")
    return question


def test_new_questions_come_in_random_order_and_older_ones_keep_theirs() -> None:
    assert Question._meta.get_field("random_order").default is True


def _seeds(question: Question) -> tuple[str, str]:
    """Two fixed tokens that fall on different random orders of this question (the first two
    of a fixed list: its id is random, so which two differs from run to run)."""
    candidates = [f"seed-token-{n}" for n in range(64)]
    first = candidates[0]
    second = next(
        token
        for token in candidates
        if shuffle_for(question.pk, token) != shuffle_for(question.pk, first)
    )
    return first, second


def test_each_person_sees_an_order_of_their_own_the_same_every_time(
    shuffled: Question,
) -> None:
    one, two = _seeds(shuffled)
    first = _browser(shuffled, one, "Uma")
    second = _browser(shuffled, two, "Vic")
    assert _order(first, shuffled) == _order(first, shuffled)  # stable
    assert _order(second, shuffled) == _order(second, shuffled)
    assert _order(first, shuffled) != _order(second, shuffled)  # their own
    by_age = list(
        Idea.objects.filter(question=shuffled).order_by("created_at").values_list("pk", flat=True)
    )
    assert _order(first, shuffled) != by_age and _order(second, shuffled) != by_age
    assert sorted(_order(first, shuffled)) == sorted(by_age)


def test_a_newcomer_gets_a_token_and_with_it_an_order_that_stays_when_they_join(
    shuffled: Question,
) -> None:
    newcomer = Person("Wim")
    first = newcomer.get(f"/q/{shuffled.pk}/")
    assert PARTICIPANT_COOKIE in first.cookies  # their browser's seed
    order = re.findall(r'<article id="idea-([0-9A-Za-z]+)"', first.content.decode())
    assert _order(newcomer, shuffled) == order
    newcomer.join(shuffled)
    assert _order(newcomer, shuffled) == order


def test_the_result_is_ordered_by_votes_once_closed(shuffled: Question) -> None:
    ideas = list(Idea.objects.filter(question=shuffled).order_by("created_at"))
    for n, voter in enumerate(("Xia", "Yan", "Zoe")):
        person, _token = services.participant_join(question=shuffled, name=voter)
        for idea in ideas[-1 - n :]:  # the newest idea gets the most votes
            services.vote_cast(idea=idea, participant=person)
    reader = _browser(shuffled, _seeds(shuffled)[0], "Uma")
    services.question_close(question=shuffled)
    closed = _order(reader, shuffled)
    assert closed[:3] == [ideas[-1].pk, ideas[-2].pk, ideas[-3].pk]


def test_while_hidden_the_order_by_votes_is_not_given_even_when_asked_for(
    make_question,
) -> None:
    question, _key = make_question(hide_tally=True, random_order=False)
    author, _token = services.participant_join(question=question, name="Ida")
    ideas = [
        services.idea_add(question=question, author=author, title=f"Idea {n:02}") for n in range(12)
    ]
    voter, _token = services.participant_join(question=question, name="Xia")
    for idea in ideas[6:]:
        services.vote_cast(idea=idea, participant=voter)
    by_votes = [idea.pk for idea in ideas[6:]] + [idea.pk for idea in ideas[:6]]
    for seed in _seeds(question):
        person = _browser(question, seed)
        page = person.get(f"/q/{question.pk}/?sort=votes").content.decode()
        listed = re.findall(r'<article id="idea-([0-9A-Za-z]+)"', page)
        assert sorted(listed) == sorted(by_votes) and listed != by_votes


def test_the_api_lists_a_shuffled_question_in_its_own_random_order(shuffled: Question) -> None:
    ids = [idea["id"] for idea in Client().get(f"/api/v1/questions/{shuffled.pk}").json()["ideas"]]
    access_order = [
        idea.pk
        for idea in question_page(
            _access(shuffled), comments=False, ideas_shown=100, voters_shown=0
        ).ideas
    ]
    assert ids == access_order
    by_age = list(
        Idea.objects.filter(question=shuffled).order_by("created_at").values_list("pk", flat=True)
    )
    assert ids != by_age


def _access(question: Question) -> Access:
    return question_for_token(question.pk, None)


# Nothing kept under one answer of the rule is served under another --------------------------


def test_a_page_kept_from_the_idea_phase_is_not_served_in_the_vote_phase(phased: Question) -> None:
    bob = Person("Bob").join(phased)
    assert bob.post(f"/q/{phased.pk}/ideas/", {"title": "Lake"}).status_code == 302
    idea = Idea.objects.get(question=phased)
    before = bob.get(f"/q/{phased.pk}/").content.decode()  # rendered and kept
    row = bob.get(f"/q/{phased.pk}/ideas/{idea.pk}/?part=row", **HX).content.decode()
    assert "Phase 1 of 2" in before and f"/ideas/{idea.pk}/vote/" not in before + row
    # The clock passes the switch: no write, no new version; the kept renders are not it.
    version = Question.objects.get(pk=phased.pk).version
    _move_switch(phased, by=-timedelta(seconds=1))
    assert Question.objects.get(pk=phased.pk).version == version
    after = bob.get(f"/q/{phased.pk}/").content.decode()
    row = bob.get(f"/q/{phased.pk}/ideas/{idea.pk}/?part=row", **HX).content.decode()
    assert "Phase 2 of 2" in after and f"/ideas/{idea.pk}/vote/" in after
    assert f"/ideas/{idea.pk}/vote/" in row


def test_a_hidden_tally_kept_while_open_is_not_served_once_the_deadline_passes(
    hidden: Room,
) -> None:
    q = hidden.question.pk
    assert 'data-tally="count"' not in hidden.voter.get(f"/q/{q}/").content.decode()
    # The deadline passes with no write (the worker has not run yet): the tally shows at once.
    Question.objects.filter(pk=q).update(deadline=timezone.now() - timedelta(seconds=1))
    page = hidden.voter.get(f"/q/{q}/").content.decode()
    assert 'data-tally="count">2<' in page and "Rosalind" in page
    assert Client().get(f"/api/v1/questions/{q}/results").status_code == 200


def test_the_organisers_view_of_a_hidden_tally_is_never_served_to_others(
    make_question,
) -> None:
    room = Room(make_question, hide_tally=True, organiser_sees_tally=True)
    q, lake = room.question.pk, room.ideas[0]
    for path in (f"/q/{q}/", f"/q/{q}/ideas/{lake.pk}/", f"/q/{q}/ideas/{lake.pk}/?part=row"):
        assert "Rosalind" in room.organiser.get(path, **HX).content.decode()  # kept
        for person in (room.newcomer, room.participant, room.voter):
            assert "Rosalind" not in person.get(path, **HX).content.decode(), path
    assert "Rosalind" in room.organiser.get(f"/api/v1/questions/{q}", **_bearer(room.key)).text
    assert "Rosalind" not in Client().get(f"/api/v1/questions/{q}").text
