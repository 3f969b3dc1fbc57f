"""Hypothesis on every text field of every form (docs/reliability.md #15): whatever is typed, the
answer is never a 5xx. Either the field is refused next to it (422) and nothing changes, or the text
is stored exactly as sent, after the two documented normalisations:

- white space around the text is stripped (Python's `str.strip()`, as the forms say);
- bytes that are not UTF-8 (a lone surrogate cannot be sent as UTF-8 by a browser; a client that
  sends its bytes anyway, b"\\xed\\xa0\\x80") become U+FFFD, as Django reads every form.

The oracle is exact: a text is refused if and only if, so normalised, it is empty (where required),
longer than the limit, or holds a NUL character. Runs on SQLite and PostgreSQL (which cannot store
NUL: that path must be a 422 too).

About 100 examples per field here; `PONDER_FUZZ_EXAMPLES=10000` for the full run.
"""

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import Person
from ponder.lib.text import has_bidi_controls, has_visible_character, looks_alike
from ponder.questions import services
from ponder.questions.models import Argument, Comment, Idea, Participant, Question

from .test_bad_input import field_error

EXAMPLES = int(os.environ.get("PONDER_FUZZ_EXAMPLES", "100"))
TITLE_MAX = django_settings.PONDER_TITLE_MAX
TEXT_MAX = django_settings.PONDER_TEXT_MAX
NAME_MAX = django_settings.PONDER_NAME_MAX

# Pieces that break things elsewhere: NUL, lone surrogates, bidirectional overrides, zero-width
# characters, combining marks, ZWJ sequences, astral characters, white space of every kind,
# markup and template syntax, and characters that mean something in a URL-encoded body.
ODD = [
    "\x00",
    "\ud800",
    "\udfff",
    "\ud83d",
    "\u202e",
    "\u202d",
    "\u2066",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\ufffd",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "\U0001f3f3\ufe0f\u200d\U0001f308",
    "\U0001f44d\U0001f3fd",
    "\U0001d54f",
    "\U00010348",
    "\U0010ffff",
    "e\u0301",
    "Z" + "\u0336" * 30,
    "\r\n",
    "\r",
    "\t",
    "\x0b",
    "\x1f",
    "\x85",
    "\u2028",
    "\u3000",
    "\u00a0",
    " ",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "&amp;",
    "%00",
    "+",
    "=",
    "&",
    "\\",
    "'",
    '"',
]


def big(limit: int) -> list[str]:
    """Text at and around the limit, counted in characters, with white space around it."""
    return [
        "x" * limit,
        "x" * (limit + 1),
        "é" * (limit + 1),
        "\U0001f600" * limit,
        "  " + "y" * limit + "\n",
        "Z" + "\u0336" * (limit - 1),
        "\u0336" * 10_000,  # 10,000 combining marks
        "\u200b" * (limit + 1),
        "a" * (limit - 1) + "\x00",
    ]


def hostile_text(limit: int) -> st.SearchStrategy[str]:
    piece = st.one_of(
        st.text(max_size=12),
        st.sampled_from(ODD),
        st.integers(0xD800, 0xDFFF).map(chr),
        st.characters(min_codepoint=0x10000),
    )
    return st.one_of(
        st.lists(piece, max_size=10).map("".join),
        st.sampled_from(big(limit)),
    )


def explicit_examples(limit: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The cases the plan names, tried first in every run whatever Hypothesis draws."""
    cases = ["a\x00b", "\x00", "\ud800", "a\udfffb", "\u202eevil", "\u200b", "\u0336" * 10_000]
    cases += ["\U0001f469\u200d\U0001f469\u200d\U0001f467", "\U0001d54f", "x" * (limit + 1)]

    def add(test: Callable[..., None]) -> Callable[..., None]:
        for case in cases:
            test = example(value=case)(test)
        return test

    return add


def received(value: str) -> str:
    """What Django reads from a URL-encoded body that carries `value`'s bytes."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def acceptable(text: str, *, limit: int, required: bool, label: bool = False) -> bool:
    """Whether a form takes `text`; a name or title (`label`) also needs no bidirectional
    controls and one visible character, and a name one that no participant goes by yet."""
    if label and text and (has_bidi_controls(text) or not has_visible_character(text)):
        return False
    return (bool(text) or not required) and len(text) <= limit and "\x00" not in text


def name_taken(name: str) -> bool:
    names = Participant.objects.values_list("name", flat=True)
    return any(looks_alike(taken, name) for taken in names)


def urlencoded(data: dict[str, str]) -> str:
    # Encoded by hand: the test client would refuse to encode a lone surrogate.
    return "&".join(
        f"{quote_plus(key)}={quote_plus(value.encode('utf-8', 'surrogatepass'))}"
        for key, value in data.items()
    )


# The forms ----------------------------------------------------------------------------------


@dataclass
class World:
    question: Question
    alice: Person
    bob: Person
    idea: Idea  # alice's
    bobs: dict[str, Any]  # bob's idea, argument and comment


def _stored_after(response, world: World, form: str, field: str, before: set[str]) -> str:
    """The text the form stored in `field`, read back from the database."""
    anchor = response["Location"].rpartition("#")[2]
    if form == "question":
        question_id = response["Location"].strip("/").split("/")[-1]
        return getattr(Question.objects.get(pk=question_id), field)
    if form == "join":
        (new,) = set(Participant.objects.values_list("pk", flat=True)) - before
        return Participant.objects.get(pk=new).name
    if form == "newcomer's idea":
        return (
            Idea.objects.select_related("author").get(pk=anchor.removeprefix("idea-")).author.name
        )
    if form == "idea":
        return getattr(Idea.objects.get(pk=anchor.removeprefix("idea-")), field)
    if form == "argument":
        return Argument.objects.get(pk=anchor.removeprefix("argument-")).text
    if form == "comment":
        return Comment.objects.get(pk=anchor.removeprefix("comment-")).text
    if form == "settings":
        return getattr(Question.objects.get(pk=world.question.pk), field)
    entry = world.bobs[form.removesuffix(" edit")]
    return getattr(type(entry).objects.get(pk=entry.pk), field)


# form: (who, url, the other fields it needs)
FORMS: dict[str, tuple[str, str, dict[str, str]]] = {
    "question": ("stranger", "/", {}),
    "join": ("stranger", "/q/{q}/join/", {}),
    "newcomer's idea": ("stranger", "/q/{q}/ideas/", {"title": "T", "description": ""}),
    "idea": ("bob", "/q/{q}/ideas/", {"title": "T", "description": ""}),
    "argument": ("bob", "/q/{q}/ideas/{idea}/arguments/", {"kind": "pro", "text": "A"}),
    "comment": ("bob", "/q/{q}/comments/", {"text": "C"}),
    "settings": (
        "alice",
        "/q/{q}/settings/",
        {"title": "Q", "description": "", "time_zone": "UTC"},
    ),
    "idea edit": ("bob", "/q/{q}/idea/{b_idea}/edit/", {"title": "T", "description": ""}),
    "argument edit": ("bob", "/q/{q}/argument/{b_argument}/edit/", {"kind": "con", "text": "A"}),
    "comment edit": ("bob", "/q/{q}/comment/{b_comment}/edit/", {"text": "C"}),
}
FIELDS = [
    # (form, field, limit, required)
    ("question", "title", TITLE_MAX, True),
    ("join", "name", NAME_MAX, True),
    ("newcomer's idea", "name", NAME_MAX, True),
    ("idea", "title", TITLE_MAX, True),
    ("idea", "description", TEXT_MAX, False),
    ("argument", "text", TEXT_MAX, True),
    ("comment", "text", TEXT_MAX, True),
    ("settings", "title", TITLE_MAX, True),
    ("settings", "description", TEXT_MAX, False),
    ("idea edit", "title", TITLE_MAX, True),
    ("idea edit", "description", TEXT_MAX, False),
    ("argument edit", "text", TEXT_MAX, True),
    ("comment edit", "text", TEXT_MAX, True),
]


@pytest.fixture
def world(question: Question, alice: Person, bob: Person) -> World:
    author = Participant.objects.get(question=question, name="Alice")
    me = Participant.objects.get(question=question, name="Bob")
    idea = services.idea_add(question=question, author=author, title="The lake house")
    bobs = {
        "idea": services.idea_add(question=question, author=me, title="Bob's idea"),
        "argument": services.argument_add(idea=idea, author=me, kind="pro", text="Bob's pro"),
        "comment": services.comment_add(question=question, author=me, text="Bob's comment"),
    }
    return World(question, alice, bob, idea, bobs)


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Question, Participant, Idea, Argument, Comment))


def _sender(world: World, form: str) -> Callable[[str, str], Any]:
    who, url, data = FORMS[form]
    url = url.format(
        q=world.question.pk,
        idea=world.idea.pk,
        b_idea=world.bobs["idea"].pk,
        b_argument=world.bobs["argument"].pk,
        b_comment=world.bobs["comment"].pk,
    )

    def send(field: str, value: str) -> Any:
        client = Client() if who == "stranger" else getattr(world, who).client
        body = urlencoded({**data, field: value})
        return client.post(url, body, content_type="application/x-www-form-urlencoded")

    return send


@pytest.mark.parametrize(("form", "field", "limit", "required"), FIELDS)
def test_any_text_in_any_form_field_is_stored_exactly_or_refused_next_to_it(
    world: World, form: str, field: str, limit: int, required: bool
) -> None:
    send = _sender(world, form)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(value=hostile_text(limit))
    @explicit_examples(limit)
    def check(value: str) -> None:
        before, participants = _counts(), set(Participant.objects.values_list("pk", flat=True))
        expected = received(value).strip()
        taken = field == "name" and name_taken(expected)
        response = send(field, value)
        assert response.status_code < 500, (value, response.status_code)
        label = field in ("name", "title")
        if acceptable(expected, limit=limit, required=required, label=label) and not taken:
            assert response.status_code == 302, (value, response.content[:2000])
            assert _stored_after(response, world, form, field, participants) == expected
        else:
            assert response.status_code == 422, (value, response.status_code)
            message = field_error(response.content.decode(), field)
            assert message, (value, response.content[:2000])
            assert _counts() == before

    check()


def test_a_lone_surrogate_sent_as_bytes_is_read_as_the_replacement_character(
    world: World,
) -> None:
    """The documented normalisation, spelled out once."""
    response = _sender(world, "comment")("text", "a\ud800b")
    comment = Comment.objects.get(pk=response["Location"].rpartition("#comment-")[2])
    assert comment.text == "a\ufffd\ufffd\ufffdb"


# Oversized forms (#14), beyond test_bad_input.py ----------------------------------------------


@pytest.mark.parametrize("fields", [201, 10_000])
def test_a_form_with_thousands_of_fields_gets_413_and_saves_nothing(
    question: Question, bob: Person, fields: int
) -> None:
    before = _counts()
    body = "text=Hi&" + "&".join(f"f{n}=x" for n in range(fields))
    response = bob.client.post(
        f"/q/{question.pk}/comments/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "larger than this site accepts" in response.content.decode()
    assert _counts() == before


@pytest.mark.parametrize("size", [2_621_440 + 1, 10 * 1024 * 1024], ids=["2.5 MB + 1 B", "10 MB"])
def test_a_body_of_megabytes_gets_413_and_saves_nothing(
    question: Question, bob: Person, size: int
) -> None:
    before = _counts()
    body = "text=" + "x" * (size - len("text="))
    response = bob.client.post(
        f"/q/{question.pk}/comments/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert _counts() == before


def test_a_multipart_body_of_megabytes_gets_413(question: Question, bob: Person) -> None:
    response = bob.client.post(f"/q/{question.pk}/comments/", {"text": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert not Comment.objects.exists()


def test_the_error_next_to_a_field_is_one_of_the_documented_messages(world: World) -> None:
    """What test_any_text… accepts as "a clear field error", listed."""
    send = _sender(world, "comment")
    messages = {
        "": "This field is required.",
        "a\x00b": "Null characters are not allowed.",
        "x" * (TEXT_MAX + 1): f"Ensure this value has at most {TEXT_MAX} characters (it has "
        f"{TEXT_MAX + 1}).",
    }
    for value, message in messages.items():
        html = send("text", value).content.decode()
        assert re.sub(r"\s+", " ", field_error(html, "text")) == message


# The other fields: choices, numbers, dates, check boxes -----------------------------------------

OTHER_FIELDS = [
    ("settings", "max_votes"),
    ("settings", "deadline"),
    ("settings", "time_zone"),
    ("settings", "allow_ideas"),
    ("settings", "allow_exports"),
    ("argument", "kind"),
    ("argument edit", "kind"),
]
NEAR_MISSES = st.sampled_from(
    [
        "0",
        "-1",
        "1e3",
        "1000",
        "1001",
        "٣",  # an Arabic-Indic three
        "9" * 400,
        "2030-06-01T18:00",
        "9999-12-31T23:59",
        "10000-01-01T00:00",
        "2030-02-30T10:00",
        "0001-01-01T00:00",
        "Europe/Berlin",
        "../../etc/passwd",
        "Etc/GMT+14",
        "pro",
        "PRO",
        "con\x00",
        "on",
    ]
)


@pytest.mark.parametrize(("form", "field"), OTHER_FIELDS)
def test_any_text_in_the_other_form_fields_is_taken_or_refused_never_a_500(
    world: World, form: str, field: str
) -> None:
    send = _sender(world, form)

    @settings(
        max_examples=max(EXAMPLES // 5, 10),  # each refusal renders the settings page: slow
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )
    @given(value=st.one_of(hostile_text(40), NEAR_MISSES))
    def check(value: str) -> None:
        response = send(field, value)
        assert response.status_code in (302, 422), (value, response.status_code)
        if response.status_code == 422:
            assert 'class="field has-error"' in response.content.decode(), value

    check()
