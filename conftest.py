"""Shared fixtures. The personas: alice organises, bob and carol take part, mallory is outside."""

import os
from collections.abc import Callable, Iterator

import hypothesis
import pytest
from django.conf import settings
from django.test import Client

from ponder.questions import services
from ponder.questions.models import Question
from ponder.ratelimit import parse_limits

# The suite fires hundreds of writes from 127.0.0.1 (races, browsers, live servers, schemathesis):
# rate limits are off here, and for every `ponder serve` a test starts. The rate-limit tests
# switch them on with small numbers of their own.
os.environ["PONDER_RATE_LIMITS"] = "off"
settings.PONDER_RATE_LIMITS = parse_limits("off")

# Hypothesis fails an example that takes over 200 ms by default: a wall-clock bound that a busy
# machine breaks. What an example does is checked, not how long it took.
hypothesis.settings.register_profile("ponder", deadline=None)
hypothesis.settings.load_profile("ponder")


def counts_off() -> list[tuple[str, int, int]]:
    """Ideas and arguments whose stored count (`vote_count`, `like_count`) is not the number of
    their vote or like rows: (id, stored, rows). Empty when every count is right."""
    from ponder.questions.models import Argument, Idea, Like, Vote, count_of

    off = []
    for model, counted, field in ((Idea, Vote, "idea"), (Argument, Like, "argument")):
        stored = "vote_count" if model is Idea else "like_count"
        rows = model.objects.annotate(rows=count_of(counted, field)).values_list(
            "pk", stored, "rows"
        )
        off += [(pk, have, want) for pk, have, want in rows if have != want]
    return off


class Person:
    """A browser: a Django test client that remembers its cookies, as a real browser would."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.client = Client()

    def organise(self, question: Question, admin_key: str) -> "Person":
        response = self.client.get(f"/q/{question.pk}/a/{admin_key}/")
        assert response.status_code == 302
        return self

    def join(self, question: Question) -> "Person":
        response = self.client.post(f"/q/{question.pk}/join/", {"name": self.name})
        assert response.status_code == 302, response.content
        return self

    def get(self, path: str, **kwargs: object):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs: object):
        return self.client.post(path, data or {}, **kwargs)


@pytest.fixture
def many_rows(db: None) -> None:
    """For a test that writes thousands of rows in its transaction: PostgreSQL checks their
    deferred foreign keys all at once when the test ends (Django's constraint check), which takes
    longer than PONDER_DB_TIMEOUT (3 s) on a loaded machine. The timeout is for requests, not for
    this check, so the test's connection goes without it."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")


@pytest.fixture
def make_question(db: None) -> Callable[..., tuple[Question, str]]:
    def make(title: str = "Where should the team offsite be?", **settings: object):
        question, admin_key = services.question_create(title=title)
        # Ordered by votes while open, as questions were before the random order became the
        # default for new ones: the tests of that order ask for it (test_fair_decisions.py).
        settings.setdefault("random_order", False)
        if settings:
            Question.objects.filter(pk=question.pk).update(**settings)
            question.refresh_from_db()
        return question, admin_key

    return make


@pytest.fixture
def question(make_question: Callable[..., tuple[Question, str]]) -> Question:
    q, key = make_question()
    q.admin_key = key  # only tests get to see the key after creation
    return q


@pytest.fixture
def alice(question: Question) -> Person:
    """Organises `question` and takes part in it."""
    return Person("Alice").organise(question, question.admin_key).join(question)


@pytest.fixture
def bob(question: Question) -> Person:
    return Person("Bob").join(question)


@pytest.fixture
def carol(question: Question) -> Person:
    return Person("Carol").join(question)


@pytest.fixture
def mallory(db: None) -> Person:
    """Has the share link but never joined; tries everything."""
    return Person("Mallory")


@pytest.fixture(autouse=True)
def _fresh_shared_renders() -> Iterator[None]:
    """Each test starts with no shared page renders (rendering.py) from an earlier test, and
    pages that never lag behind a change (test_rendering.py tests the lag itself, with the
    `settings` fixture; this one is not used here, so that the settings a test changes with it
    are put back before the test's other fixtures end)."""
    from ponder.questions.rendering import latest, renders, rows

    renders.clear()
    rows.clear()
    latest.clear()
    lag = settings.PONDER_PAGE_LAG
    settings.PONDER_PAGE_LAG = 0
    yield
    settings.PONDER_PAGE_LAG = lag
