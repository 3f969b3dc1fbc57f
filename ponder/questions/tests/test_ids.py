"""Private links cannot be guessed (docs/reliability.md #23, ASVS 7.2.3).

A question is known by 22 random base62 characters (its id is its private link: >= 128 bits);
questions asked before ids grew keep their 12, and their links keep working. Ideas, arguments,
comments and participants, only ever reached under their question's id, by 12. Admin keys and
participant tokens by 22, stored only as hashes. Random guesses find nothing, and no sequential
integer key (votes, likes and events have them) ever leaves the server.

PONDER_GUESSES sets the number of random guesses (default 2,000; docs/reliability.md asks 10,000 in
the full run).
"""

import io
import json
import math
import os
import re
import secrets
from collections import Counter

import openpyxl
import pytest
from django.apps import apps
from django.test import Client

from ponder.lib.ids import (
    BASE62,
    ID_LENGTH,
    LEGACY_QUESTION_ID_LENGTH,
    QUESTION_ID_LENGTH,
    SECRET_LENGTH,
    hash_secret,
    looks_like_id,
    looks_like_question_id,
    new_id,
    new_question_id,
    new_secret,
)
from ponder.live.models import Event
from ponder.questions import services
from ponder.questions.models import Like, Participant, Question, Vote

SAMPLES = 100_000
GUESSES = int(os.environ.get("PONDER_GUESSES", "2000"))


@pytest.mark.parametrize(
    ("make", "length", "bits"),
    [
        (new_question_id, QUESTION_ID_LENGTH, 128),
        (new_id, ID_LENGTH, 70),
        (new_secret, SECRET_LENGTH, 128),
    ],
    ids=["question id", "entry id", "secret"],
)
def test_100k_generated_ids_never_collide_and_use_the_whole_alphabet(make, length, bits):
    values = [make() for _ in range(SAMPLES)]
    assert len(set(values)) == SAMPLES
    assert all(len(v) == length for v in values)
    assert set("".join(values)) == set(BASE62)  # nothing else, and every character used
    # The entropy the format can carry: question ids (private links) and secrets (admin links,
    # participant tokens) at least 128 bits (ASVS 7.2.3); the ids of entries, reached only under
    # their question's id, about 71.
    assert length * math.log2(len(BASE62)) >= bits
    # And the generator fills it: each character about 1/62 of the time, at every position.
    # (Each count is about 1,613 with a standard deviation of about 40; 25% off is over 10.)
    for position in range(length):
        counts = Counter(v[position] for v in values)
        expected = SAMPLES / len(BASE62)
        assert all(abs(counts[c] - expected) < 0.25 * expected for c in BASE62), position


def test_the_generators_draw_from_the_operating_systems_randomness(monkeypatch):
    """secrets.choice, not random: seeding Python's random changes nothing."""
    import random

    random.seed(1)
    first = [new_question_id(), new_id(), new_secret()]
    random.seed(1)
    assert [new_question_id(), new_id(), new_secret()] != first


@pytest.mark.parametrize(
    ("value", "question", "entry"),
    [
        ("A" * 22, True, False),  # a question's id
        ("A" * 12, True, True),  # a question's from before ids grew, or an entry's
        ("A" * 11, False, False),
        ("A" * 13, False, False),
        ("A" * 21, False, False),
        ("A" * 23, False, False),
        ("A" * 12 + "\n", False, False),
        ("Ä" + "A" * 11, False, False),
        ("A" * 11 + "-", False, False),
    ],
)
def test_what_looks_like_an_id(value, question, entry):
    assert looks_like_question_id(value) is question
    assert looks_like_id(value) is entry


@pytest.fixture
def busy(question, alice, bob):
    """A question with entries, votes and likes, whose integer keys are made distinctive so that
    any of them appearing in an answer is found."""
    author = Participant.objects.get(question=question, name="Bob")
    idea = services.idea_add(question=question, author=author, title="Lisbon")
    argument = services.argument_add(idea=idea, author=author, kind="pro", text="Sunny")
    services.comment_add(question=question, author=author, text="Any date works")
    services.vote_cast(idea=idea, participant=author)
    services.like_add(argument=argument, participant=author)
    alice_p = Participant.objects.get(question=question, name="Alice")
    services.vote_cast(idea=idea, participant=alice_p)
    integers = []
    for offset, model in enumerate((Vote, Like, Event)):
        for n, pk in enumerate(model.objects.order_by("pk").values_list("pk", flat=True)):
            new = 7_340_000 + offset * 10_000 + n * 17 + 3
            model.objects.filter(pk=pk).update(id=new)
            integers.append(new)
    assert len(integers) >= 5
    question.allow_exports = True
    question.save(update_fields=["allow_exports"])
    return question, idea, integers


def _xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    )


@pytest.mark.django_db(transaction=True)  # the live stream reads on threads of its own
def test_no_integer_key_appears_in_pages_api_exports_or_the_live_stream(busy, alice, bob):
    question, idea, integers = busy
    q = question.pk
    token = question.admin_key
    api = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    Question.objects.filter(pk=q).update(allow_embed=True)
    answers = {
        "page (organiser)": alice.get(f"/q/{q}/"),
        "page (participant)": bob.get(f"/q/{q}/"),
        "fragment": bob.get(f"/q/{q}/", HTTP_HX_REQUEST="true"),
        "idea": bob.get(f"/q/{q}/ideas/{idea.pk}/"),
        "embed": Client().get(f"/embed/{q}/"),
        "report": alice.get(f"/q/{q}/report/"),
        "api question": Client().get(f"/api/v1/questions/{q}", **api),
        "api idea": Client().get(f"/api/v1/ideas/{idea.pk}", **api),
        "export json": alice.get(f"/q/{q}/export/results.json"),
        "stream": bob.get(f"/q/{q}/events?since=0"),
        "api stream": Client().get(f"/api/v1/questions/{q}/events?since=0"),
    }
    for table in ("ideas", "arguments", "votes", "comments"):
        answers[f"export {table}.csv"] = alice.get(f"/q/{q}/export/{table}.csv")
    services.question_close(question=question)
    answers["result page"] = bob.get(f"/q/{q}/")
    answers["api results"] = Client().get(f"/api/v1/questions/{q}/results")
    texts = {}
    for name, response in answers.items():
        assert response.status_code == 200, name
        if response.streaming:
            texts[name] = b"".join(response.streaming_content).decode()
        else:
            texts[name] = response.content.decode("utf-8-sig")
    texts["export xlsx"] = _xlsx_text(alice.get(f"/q/{q}/export/results.xlsx").content)
    assert "vote.cast" in texts["stream"]  # the stream did replay the events
    for name, text in texts.items():
        for integer in integers:
            assert str(integer) not in text, (name, integer)
    # Every "id" the API and the JSON export give is a random id, never a number: the question's
    # of 22 characters, every other of 12.
    assert len(q) == QUESTION_ID_LENGTH
    for name in ("api question", "api idea", "export json", "api results"):
        for key, value in _items(json.loads(texts[name])):
            if key == "id" or key.endswith("_id"):
                length = QUESTION_ID_LENGTH if value == q else ID_LENGTH
                assert isinstance(value, str) and re.fullmatch(f"[0-9A-Za-z]{{{length}}}", value), (
                    name,
                    key,
                    value,
                )


def _items(data):
    if isinstance(data, dict):
        for key, value in data.items():
            yield key, value
            yield from _items(value)
    elif isinstance(data, list):
        for value in data:
            yield from _items(value)


def _random_id(length: int) -> str:
    return "".join(secrets.choice(BASE62) for _ in range(length))


@pytest.fixture
def asked_before(db):
    """A question asked before ids grew: its id has 12 characters."""
    return Question.objects.create(
        id=_random_id(LEGACY_QUESTION_ID_LENGTH), title="Old", admin_key_hash=hash_secret("k")
    )


def _doors(question_id: str) -> list[str]:
    """The page, the API and the embed: every door to a question answers the same."""
    return [f"/q/{question_id}/", f"/api/v1/questions/{question_id}", f"/embed/{question_id}/"]


def test_random_guesses_at_question_links_all_find_nothing(question, asked_before, mallory):
    known = set(Question.objects.values_list("pk", flat=True))
    statuses = Counter()
    for n in range(GUESSES):
        # Guesses of both lengths: a new question's id, and one from before ids grew.
        length = (QUESTION_ID_LENGTH, LEGACY_QUESTION_ID_LENGTH)[n % 2]
        guess = _random_id(length)
        assert guess not in known
        statuses[mallory.get(_doors(guess)[n % 3]).status_code] += 1
    assert statuses == {404: GUESSES}
    # While the real ones, of either length, are found through every door.
    assert [len(question.pk), len(asked_before.pk)] == [22, 12]
    Question.objects.update(allow_embed=True)  # the embed door is open only when turned on
    for real in (question, asked_before):
        assert [mallory.get(door).status_code for door in _doors(real.pk)] == [200, 200, 200]


def test_an_entry_id_has_12_characters_and_a_longer_guess_finds_nothing(question, bob, mallory):
    """Only a question's id grew: an idea's is 12 characters, so one of 22 finds nothing."""
    author = Participant.objects.get(question=question, name="Bob")
    idea = services.idea_add(question=question, author=author, title="Lisbon")
    assert len(idea.pk) == ID_LENGTH
    for guess in (_random_id(QUESTION_ID_LENGTH), question.pk):
        assert bob.get(f"/q/{question.pk}/ideas/{guess}/").status_code == 404
        assert mallory.get(f"/api/v1/questions/{question.pk}/ideas/{guess}").status_code == 404
    assert bob.get(f"/q/{question.pk}/ideas/{idea.pk}/").status_code == 200


def test_random_guesses_at_the_admin_link_of_a_real_question_all_find_nothing(question, mallory):
    statuses = Counter()
    for _ in range(GUESSES // 10):
        guess = "".join(secrets.choice(BASE62) for _ in range(SECRET_LENGTH))
        statuses[mallory.get(f"/q/{question.pk}/a/{guess}/").status_code] += 1
    assert statuses == {404: GUESSES // 10}
    # Nothing was granted: the page still shows mallory no organiser's panel.
    assert "settings/" not in mallory.get(f"/q/{question.pk}/").content.decode()


def test_admin_keys_and_participant_tokens_are_stored_only_as_hashes(question, bob):
    joined = Client().post(
        f"/api/v1/questions/{question.pk}/participants",
        {"name": "Pat"},
        content_type="application/json",
    )
    token = joined.json()["token"]
    cookie_token = bob.client.cookies["ponder_participant"].value
    secrets_given = [question.admin_key, token]
    everything = repr(
        [list(model.objects.values_list()) for model in apps.get_models()]
    )  # every row of every table
    for secret in secrets_given:
        assert len(secret) == SECRET_LENGTH
        assert secret not in everything
    assert cookie_token and cookie_token not in everything
