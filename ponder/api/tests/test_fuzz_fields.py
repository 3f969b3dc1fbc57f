"""Hypothesis on every text field of every API endpoint (docs/reliability.md #14, #15): never a 5xx.
Either 400 naming the field, with nothing changed, or 200/201 with the text stored and answered
exactly as sent, with white space around it stripped (the one documented normalisation).

JSON can carry what a form cannot: a lone surrogate ("\\ud800") is valid JSON but no text, and is
refused (400) wherever it stands. The oracle is exact: refused if and only if the text holds a lone
surrogate, or once stripped is empty (where required), longer than the limit or holds NUL. A
value of another JSON type (number, list, object, null, boolean) is refused too. Runs on SQLite
and PostgreSQL (which cannot store NUL or surrogates: those paths must be 400s there too).

About 100 examples per field here; `PONDER_FUZZ_EXAMPLES=10000` for the full run.
"""

import json
import os
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ponder.lib.ids import hash_secret
from ponder.lib.text import has_bidi_controls, has_visible_character, looks_alike
from ponder.questions.models import Argument, Comment, Idea, Participant, Question
from ponder.questions.tests.test_fuzz_fields import explicit_examples, hostile_text

from .conftest import Caller

EXAMPLES = int(os.environ.get("PONDER_FUZZ_EXAMPLES", "100"))
TITLE_MAX = django_settings.PONDER_TITLE_MAX
TEXT_MAX = django_settings.PONDER_TEXT_MAX
NAME_MAX = django_settings.PONDER_NAME_MAX
SURROGATE = re.compile("[\ud800-\udfff]")

# endpoint: (who, method, path, the other fields it needs, the model its answer's id names)
ENDPOINTS: dict[str, tuple[str, str, str, dict[str, Any], type]] = {
    "question": ("anonymous", "POST", "/questions", {"title": "Q"}, Question),
    "question edit": ("alice", "PATCH", "/questions/{q}", {}, Question),
    "join": ("anonymous", "POST", "/questions/{q}/participants", {}, Participant),
    "rename": ("bob", "POST", "/questions/{q}/participants", {}, Participant),
    "idea": ("bob", "POST", "/questions/{q}/ideas", {"title": "T"}, Idea),
    "argument": ("bob", "POST", "/ideas/{idea}/arguments", {"kind": "pro"}, Argument),
    "comment": ("bob", "POST", "/questions/{q}/comments", {}, Comment),
    "idea edit": ("bob", "PATCH", "/ideas/{b_idea}", {}, Idea),
    "argument edit": ("bob", "PATCH", "/arguments/{b_argument}", {}, Argument),
    "comment edit": ("bob", "PATCH", "/comments/{b_comment}", {}, Comment),
}
FIELDS = [
    # (endpoint, field, limit, required)
    ("question", "title", TITLE_MAX, True),
    ("question", "description", TEXT_MAX, False),
    ("question edit", "title", TITLE_MAX, True),
    ("question edit", "description", TEXT_MAX, False),
    ("join", "name", NAME_MAX, True),
    ("rename", "name", NAME_MAX, True),
    ("idea", "title", TITLE_MAX, True),
    ("idea", "description", TEXT_MAX, False),
    ("argument", "text", TEXT_MAX, True),
    ("comment", "text", TEXT_MAX, True),
    ("idea edit", "title", TITLE_MAX, True),
    ("idea edit", "description", TEXT_MAX, False),
    ("argument edit", "text", TEXT_MAX, True),
    ("comment edit", "text", TEXT_MAX, True),
]

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Question, Participant, Idea, Argument, Comment))


def acceptable(value: str, *, limit: int, required: bool, label: bool = False) -> bool:
    """Whether the API takes `value`; a name or title (`label`) also needs no bidirectional
    controls and one visible character."""
    if SURROGATE.search(value):
        return False
    text = value.strip()
    if label and text and (has_bidi_controls(text) or not has_visible_character(text)):
        return False
    return (bool(text) or not required) and len(text) <= limit and "\x00" not in text


def name_taken(question_id: str, name: str, *, me: str | None) -> bool:
    """Whether someone else in the question goes by a name that looks like `name`."""
    others = Participant.objects.filter(question_id=question_id)
    if me:
        others = others.exclude(token_hash=hash_secret(me))
    return any(looks_alike(taken, name) for taken in others.values_list("name", flat=True))


@pytest.fixture
def sender(request, qid: str, idea: str, bobs: dict[str, str]) -> Callable[..., Any]:
    def send(endpoint: str, field: str, value: object) -> Any:
        who, method, path, body, _model = ENDPOINTS[endpoint]
        caller = Caller() if who == "anonymous" else request.getfixturevalue(who)
        url = path.format(
            q=qid,
            idea=idea,
            b_idea=bobs["ideas"],
            b_argument=bobs["arguments"],
            b_comment=bobs["comments"],
        )
        return caller.call(method, url, {**body, field: value})

    return send


def _hypothesis(strategy: st.SearchStrategy[Any]) -> Callable[..., Any]:
    return lambda test: settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )(given(value=strategy)(test))


@pytest.mark.parametrize(("endpoint", "field", "limit", "required"), FIELDS)
def test_any_text_in_any_api_field_is_stored_exactly_or_refused_with_the_field_named(
    sender: Callable[..., Any],
    qid: str,
    bob: Caller,
    endpoint: str,
    field: str,
    limit: int,
    required: bool,
) -> None:
    model = ENDPOINTS[endpoint][4]

    @_hypothesis(hostile_text(limit))
    @explicit_examples(limit)
    def check(value: str) -> None:
        before = counts()
        sent = json.loads(json.dumps(value))
        taken = field == "name" and name_taken(
            qid, sent.strip(), me=bob.token if endpoint == "rename" else None
        )
        response = sender(endpoint, field, value)
        assert response.status_code < 500, (value, response.status_code)
        # What the server reads: in JSON, a high and a low surrogate next to each other are one
        # character ("\ud83d\ude00" is 😀); only a lone one is no text.
        label = field in ("name", "title")
        if taken and acceptable(sent, limit=limit, required=required, label=label):
            assert response.status_code == 409, (value, response.status_code)
            assert response.data["code"] == "name_taken"
            assert counts() == before
        elif acceptable(sent, limit=limit, required=required, label=label):
            assert response.status_code in (200, 201), (value, response.data)
            expected = sent.strip()
            stored = getattr(model.objects.get(pk=response.data["id"]), field)
            assert stored == expected
            if field in response.data:
                assert response.data[field] == expected
        else:
            assert response.status_code == 400, (value, response.status_code)
            named = [e for e in response.data["errors"] if e["field"] == field]
            assert named and all(e["message"] for e in named), response.data
            assert f"{field}: " in response.data["detail"]
            assert counts() == before

    check()


@pytest.mark.parametrize(("endpoint", "field"), [(e, f) for e, f, _limit, _req in FIELDS])
def test_a_value_of_another_json_type_is_refused_with_the_field_named(
    sender: Callable[..., Any], endpoint: str, field: str
) -> None:
    @_hypothesis(JSON_VALUES.filter(lambda value: not isinstance(value, str)))
    def check(value: object) -> None:
        before = counts()
        response = sender(endpoint, field, value)
        assert response.status_code == 400, (value, response.status_code)
        assert [e for e in response.data["errors"] if e["field"] == field], response.data
        assert counts() == before

    check()


# Oversized and deep bodies (#14), beyond test_bad_input.py ------------------------------------


@pytest.mark.parametrize("size", [2_621_440 + 1, 10 * 1024 * 1024], ids=["2.5 MB + 1 B", "10 MB"])
def test_a_body_of_megabytes_gets_413(qid: str, bob: Caller, size: int) -> None:
    head = '{"title": "T", "description": "'
    body = head + "x" * (size - len(head) - 2) + '"}'
    assert len(body) == size
    before = counts()
    response = bob.post(f"/questions/{qid}/ideas", body)
    assert response.status_code == 413
    assert response.data["detail"].startswith("What you sent is larger than this site accepts.")
    assert counts() == before


@pytest.mark.parametrize("depth", [1_000, 10_000])
@pytest.mark.parametrize("kind", ["arrays", "objects"])
def test_json_nested_thousands_deep_gets_400(qid: str, bob: Caller, depth: int, kind: str) -> None:
    """Valid JSON, nested deeper than anyone needs: refused before it reaches the parser's limits
    or the recursion limit of Python, never a 500."""
    nested = "[" * depth + "]" * depth if kind == "arrays" else '{"a":' * depth + "1" + "}" * depth
    before = counts()
    response = bob.post(f"/questions/{qid}/ideas", '{"title": "T", "description": ' + nested + "}")
    assert response.status_code == 400, response.data
    assert response.data["detail"]
    assert counts() == before


# The other fields: settings and the kind of an argument -----------------------------------------

OTHER_FIELDS = [
    ("question", "settings"),
    ("question edit", "settings"),
    ("argument", "kind"),
    ("argument edit", "kind"),
]
SETTINGS_VALUES = st.fixed_dictionaries(
    {},
    optional={
        "max_votes": st.one_of(st.integers(-(2**70), 2**70), st.floats(), JSON_VALUES),
        "deadline": st.one_of(
            st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
            st.sampled_from(["9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00", "now"]),
            JSON_VALUES,
        ),
        "time_zone": st.one_of(st.timezone_keys(), hostile_text(40), JSON_VALUES),
        "allow_ideas": JSON_VALUES,
        "allow_exports": JSON_VALUES,
        "extra": JSON_VALUES,
    },
)


@pytest.mark.parametrize(("endpoint", "field"), OTHER_FIELDS)
def test_any_value_in_the_other_api_fields_is_taken_or_refused_never_a_500(
    sender: Callable[..., Any], endpoint: str, field: str
) -> None:
    values = SETTINGS_VALUES if field == "settings" else st.one_of(hostile_text(5), JSON_VALUES)

    @_hypothesis(st.one_of(values, JSON_VALUES))
    def check(value: object) -> None:
        response = sender(endpoint, field, value)
        assert response.status_code in (200, 201, 400), (value, response.status_code)
        if response.status_code == 400:
            assert response.data["errors"] and response.data["detail"], response.data

    check()
