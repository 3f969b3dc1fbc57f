"""Private links cannot be guessed (RELIABILITY.md #23, ASVS 7.2.3).

Questions, ideas, arguments, comments and participants are known by 12 random base62 characters;
admin keys and participant tokens by 22, stored only as hashes. Random guesses find nothing, and
no sequential integer key (votes, likes and events have them) ever leaves the server.

PONDER_GUESSES sets the number of random guesses (default 2,000; RELIABILITY.md asks 10,000 in the
full run).
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

from ponder.lib.ids import BASE62, ID_LENGTH, SECRET_LENGTH, new_id, new_secret
from ponder.live.models import Event
from ponder.questions import services
from ponder.questions.models import Like, Participant, Question, Vote

SAMPLES = 100_000
GUESSES = int(os.environ.get("PONDER_GUESSES", "2000"))


@pytest.mark.parametrize(
    ("make", "length", "bits"),
    [(new_id, ID_LENGTH, 70), (new_secret, SECRET_LENGTH, 128)],
    ids=["id", "secret"],
)
def test_100k_generated_ids_never_collide_and_use_the_whole_alphabet(make, length, bits):
    values = [make() for _ in range(SAMPLES)]
    assert len(set(values)) == SAMPLES
    assert all(len(v) == length for v in values)
    assert set("".join(values)) == set(BASE62)  # nothing else, and every character used
    # The entropy the format can carry: ids (public links) about 71 bits; secrets (admin
    # links, participant tokens) at least 128 bits (ASVS 7.2.3).
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
    first = [new_id(), new_secret()]
    random.seed(1)
    assert [new_id(), new_secret()] != first


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
    # Every "id" the API and the JSON export give is a random id, never a number.
    for name in ("api question", "api idea", "export json", "api results"):
        for key, value in _items(json.loads(texts[name])):
            if key == "id" or key.endswith("_id"):
                assert isinstance(value, str) and re.fullmatch(r"[0-9A-Za-z]{12}", value), (
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


def _random_id() -> str:
    return "".join(secrets.choice(BASE62) for _ in range(ID_LENGTH))


def test_random_guesses_at_question_links_all_find_nothing(question, mallory):
    known = set(Question.objects.values_list("pk", flat=True))
    statuses = Counter()
    for n in range(GUESSES):
        guess = _random_id()
        assert guess not in known
        # Alternate between the page, the API and the embed: every door answers the same.
        path = (f"/q/{guess}/", f"/api/v1/questions/{guess}", f"/embed/{guess}/")[n % 3]
        statuses[mallory.get(path).status_code] += 1
    assert statuses == {404: GUESSES}


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
