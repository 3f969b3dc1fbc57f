"""Bad input gets what docs/product-rules.md P10 promises, as JSON: 400 naming the field, with the
same limits and messages as the forms; 404 for unknown or malformed ids; 409 for a closed question
or a vote over the cap; 413 for a huge body; never a 500."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from ponder.api.errors import MAX_ERRORS
from ponder.api.schemas import text_pattern, with_visible
from ponder.questions.forms import IdeaForm, NameForm
from ponder.questions.models import Argument, Comment, Idea, Participant, Question

from .conftest import Caller

TITLE_MAX = settings.PONDER_TITLE_MAX
TEXT_MAX = settings.PONDER_TEXT_MAX
NAME_MAX = settings.PONDER_NAME_MAX


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Question, Participant, Idea, Argument, Comment))


def refused(response, field: str, message: str) -> None:
    assert response.status_code == 400, response.data
    assert {"field": field, "message": message} in response.data["errors"], response.data
    assert f"{field}: {message}" in response.data["detail"]


# Each body-taking endpoint: who sends it, where, a valid body, and its text fields with limits.
ENDPOINTS = {
    "question": ("anonymous", "POST", "/questions", {"title": "Q"}, {"title": TITLE_MAX}),
    "question edit": ("alice", "PATCH", "/questions/{q}", {}, {"title": TITLE_MAX}),
    "join": ("anonymous", "POST", "/questions/{q}/participants", {"name": "N"}, {"name": NAME_MAX}),
    "idea": ("bob", "POST", "/questions/{q}/ideas", {"title": "T"}, {"title": TITLE_MAX}),
    "argument": (
        "bob",
        "POST",
        "/ideas/{idea}/arguments",
        {"kind": "pro", "text": "A"},
        {"text": TEXT_MAX},
    ),
    "comment": ("bob", "POST", "/questions/{q}/comments", {"text": "C"}, {"text": TEXT_MAX}),
    "idea edit": ("bob", "PATCH", "/ideas/{b_idea}", {}, {"title": TITLE_MAX}),
    "argument edit": ("bob", "PATCH", "/arguments/{b_argument}", {}, {"text": TEXT_MAX}),
    "comment edit": ("bob", "PATCH", "/comments/{b_comment}", {}, {"text": TEXT_MAX}),
}


@pytest.fixture(params=list(ENDPOINTS))
def endpoint(request, qid: str, idea: str, bobs: dict[str, str]):
    who, method, path, body, fields = ENDPOINTS[request.param]
    caller = request.getfixturevalue(who)
    url = path.format(
        q=qid,
        idea=idea,
        b_idea=bobs["ideas"],
        b_argument=bobs["arguments"],
        b_comment=bobs["comments"],
    )
    field, limit = next(iter(fields.items()))
    return lambda changes: caller.call(method, url, {**body, **changes}), field, limit


def test_text_over_the_limit_is_refused_and_nothing_is_cut(endpoint) -> None:
    send, field, limit = endpoint
    before = counts()
    refused(
        send({field: "x" * (limit + 1)}),
        field,
        f"Ensure this value has at most {limit} characters (it has {limit + 1}).",
    )
    assert counts() == before
    ok = send({field: "  " + "x" * limit + "\n"})  # white space around does not count
    assert ok.status_code in (200, 201), ok.data


@pytest.mark.parametrize("empty", ["", "   ", "\t\n", "\u3000"])
def test_empty_or_blank_text_is_refused_with_the_field_named(endpoint, empty: str) -> None:
    send, field, _limit = endpoint
    refused(send({field: empty}), field, "This field is required.")


def test_nul_characters_and_lone_surrogates_are_refused(endpoint) -> None:
    send, field, _limit = endpoint
    refused(send({field: "a\x00b"}), field, "Null characters are not allowed.")
    # "\ud800" is valid JSON but no text: PostgreSQL could not store it.
    response = send({field: "\ud800"})
    refused(response, field, "This is not valid text.")


def test_html_and_odd_unicode_are_stored_as_typed(qid: str, bob: Caller) -> None:
    typed = "<script>alert(1)</script> \u202eRTL \u200bzero-width 🎉 e\u0301"
    title = typed.replace("\u202e", "")  # a title may not hold bidirectional controls
    created = bob.post(f"/questions/{qid}/ideas", {"title": title, "description": typed})
    assert created.status_code == 201
    assert (created.data["title"], created.data["description"]) == (title, typed)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "title", "This field is required."),
        ({"title": None}, "title", "Input should be a valid string"),
        ({"title": 5}, "title", "Input should be a valid string"),
        ({"title": ["T"]}, "title", "Input should be a valid string"),
        ({"title": "T", "titel": "typo"}, "titel", "There is no such field."),
        ({"title": "T", "description": None}, "description", "Input should be a valid string"),
    ],
)
def test_missing_mistyped_and_unknown_fields_are_named(
    qid: str, bob: Caller, body: dict, field: str, message: str
) -> None:
    refused(bob.post(f"/questions/{qid}/ideas", body), field, message)


def test_an_argument_is_a_pro_or_a_con(bob: Caller, idea: str) -> None:
    response = bob.post(f"/ideas/{idea}/arguments", {"kind": "maybe", "text": "Hm"})
    refused(response, "kind", "Input should be 'pro' or 'con'")


@pytest.mark.parametrize(
    "body",
    ["{not json", "[1, 2]", '"a title"', "null", "[" * 50_000, b"\xff\xfe{}", "NaN"],
    ids=["broken", "list", "string", "null", "deep", "not utf-8", "NaN"],
)
def test_a_body_that_is_no_json_object_is_refused(qid: str, bob: Caller, body: str) -> None:
    response = bob.post(f"/questions/{qid}/ideas", body)
    assert response.status_code == 400, response.data
    assert response.data["detail"]


def test_a_huge_body_gets_413(qid: str, bob: Caller) -> None:
    body = json.dumps({"title": "T", "description": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE)})
    before = counts()
    response = bob.post(f"/questions/{qid}/ideas", body)
    assert response.status_code == 413
    assert response.data["detail"].startswith("What you sent is larger than this site accepts.")
    assert counts() == before


# Settings, checked by the settings form of the pages -----------------------------------------


ZONE_NAME = "Give a time zone by its name in the tz database, e.g. Europe/Berlin."


def future(**delta: float) -> str:
    """A deadline `delta` from now, in whole minutes as deadlines are."""
    return (datetime.now(UTC) + timedelta(**delta)).replace(second=0, microsecond=0).isoformat()


@pytest.mark.parametrize(
    ("settings_in", "field", "message"),
    [
        ({"max_votes": 0}, "settings.max_votes", "Input should be greater than or equal to 1"),
        ({"max_votes": 1001}, "settings.max_votes", "Input should be less than or equal to 1000"),
        ({"max_votes": "3"}, "settings.max_votes", "Input should be a valid integer"),
        ({"max_votes": True}, "settings.max_votes", "Input should be a valid integer"),
        ({"max_votes": 2.5}, "settings.max_votes", "Input should be a valid integer"),
        ({"allow_ideas": "yes"}, "settings.allow_ideas", "Input should be a valid boolean"),
        ({"allow_ideas": None}, "settings.allow_ideas", "Input should be a valid boolean"),
        ({"time_zone": "Mars/Olympus"}, "settings.time_zone", None),
        *(
            ({"time_zone": alias}, "settings.time_zone", ZONE_NAME)
            for alias in ("US/Eastern", "W-SU", "Factory", "localtime", "Asia/Calcutta")
        ),
        (
            {"deadline": "2030-06-01T18:00:30+02:00"},
            "settings.deadline",
            "Give the deadline in whole minutes, without seconds.",
        ),
        (
            {"deadline": "2030-06-01T18:00:00.5+02:00"},
            "settings.deadline",
            "Give the deadline in whole minutes, without seconds.",
        ),
        ({"deadline": "tomorrow"}, "settings.deadline", None),
        ({"deadline": 1893456000}, "settings.deadline", "Give a date and time as text."),
        (
            {"deadline": "2031-01-01T10:00:00"},
            "settings.deadline",
            "Give the time with its UTC offset, e.g. 2030-06-01T18:00:00+02:00.",
        ),
        (
            {"deadline": "2001-01-01T10:00:00Z"},
            "settings.deadline",
            "The deadline must be in the future.",
        ),
        (
            {"deadline": "9999-12-31T23:59:00-05:00"},
            "settings.deadline",
            "The deadline is too far in the future.",
        ),
        (
            {"deadline": "9999-12-31T23:59:00Z", "time_zone": "Pacific/Kiritimati"},
            "settings.deadline",
            "The deadline is too far in the future.",
        ),
        ({"votes": 3}, "settings.votes", "There is no such field."),
    ],
)
@pytest.mark.parametrize("how", ["create", "change"])
def test_settings_are_checked_like_the_settings_form(
    qid: str, alice: Caller, settings_in: dict, field: str, message: str | None, how: str
) -> None:
    if how == "create":
        response = Caller().post("/questions", {"title": "Q", "settings": settings_in})
    else:
        response = alice.patch(f"/questions/{qid}", {"settings": settings_in})
    assert response.status_code == 400, response.data
    fields = [error["field"] for error in response.data["errors"]]
    assert fields == [field], response.data
    if message:
        assert response.data["errors"][0]["message"] == message


def test_valid_settings_in_any_time_zone_keep_the_instant(qid: str, alice: Caller) -> None:
    moment = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
    local = moment.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York")).isoformat()

    changed = alice.patch(
        f"/questions/{qid}", {"settings": {"deadline": local, "time_zone": "Asia/Tokyo"}}
    )

    assert changed.status_code == 200, changed.data
    assert Question.objects.get(pk=qid).deadline == moment
    # Changing only the zone keeps the moment the question closes.
    alice.patch(f"/questions/{qid}", {"settings": {"time_zone": "Europe/Lisbon"}})
    assert Question.objects.get(pk=qid).deadline == moment
    assert alice.patch(f"/questions/{qid}", {"settings": {"deadline": None}}).status_code == 200
    assert Question.objects.get(pk=qid).deadline is None


def test_an_unchanged_past_deadline_does_not_block_other_changes(qid: str, alice: Caller) -> None:
    alice.patch(f"/questions/{qid}", {"settings": {"deadline": future(days=1)}})
    passed = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)
    Question.objects.filter(pk=qid).update(deadline=passed)

    response = alice.patch(f"/questions/{qid}", {"title": "Renamed after it closed"})

    assert response.status_code == 200, response.data
    assert Question.objects.get(pk=qid).deadline == passed


# Ids -----------------------------------------------------------------------------------------

EVERY_PATH = [
    ("GET", "/questions/{q}"),
    ("PATCH", "/questions/{q}"),
    ("DELETE", "/questions/{q}"),
    ("POST", "/questions/{q}/close"),
    ("POST", "/questions/{q}/reopen"),
    ("GET", "/questions/{q}/results"),
    ("POST", "/questions/{q}/participants"),
    ("POST", "/questions/{q}/ideas"),
    ("GET", "/questions/{q}/ideas/{i}"),
    ("POST", "/questions/{q}/comments"),
    ("GET", "/ideas/{i}"),
    ("PATCH", "/ideas/{i}"),
    ("DELETE", "/ideas/{i}"),
    ("PUT", "/ideas/{i}/vote"),
    ("DELETE", "/ideas/{i}/vote"),
    ("POST", "/ideas/{i}/arguments"),
    ("PATCH", "/arguments/{i}"),
    ("DELETE", "/arguments/{i}"),
    ("PUT", "/arguments/{i}/like"),
    ("DELETE", "/arguments/{i}/like"),
    ("PATCH", "/comments/{i}"),
    ("DELETE", "/comments/{i}"),
]
BODIES = {
    "/participants": {"name": "N"},
    "/ideas": {"title": "T"},
    "/comments": {"text": "C"},
    "/arguments": {"kind": "pro", "text": "A"},
}


@pytest.mark.parametrize(("method", "path"), EVERY_PATH)
@pytest.mark.parametrize(
    "bad_id", ["Zz0000000000", "short", "0123456789abc", "%00", "..", "é" * 12]
)
def test_unknown_and_malformed_ids_get_404(
    alice: Caller, method: str, path: str, bad_id: str
) -> None:
    body = next((b for end, b in BODIES.items() if path.endswith(end)), {})
    response = alice.call(method, path.format(q=bad_id, i=bad_id), body)
    assert response.status_code == 404, response.data
    assert response.data == {
        "detail": "There is nothing here. Check that the link is complete, or ask for a new one."
    }


def test_unknown_paths_and_methods_answer_without_a_500(alice: Caller, qid: str) -> None:
    assert Caller().get("/nothing/here").status_code == 404
    not_allowed = alice.post(f"/ideas/{qid}/vote")
    assert not_allowed.status_code == 405
    assert set(not_allowed["Allow"].replace(" ", "").split(",")) == {"PUT", "DELETE"}
    assert not_allowed.data["detail"].startswith("This address does not take POST")


# Tokens --------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic YWxpY2U6c2VjcmV0", "Token abc"])
def test_a_missing_or_malformed_token_gets_401_saying_how_to_send_one(
    qid: str, idea: str, header: str
) -> None:
    caller = Caller()
    headers = {"Authorization": header} if header else {}
    for response in (
        caller.put(f"/ideas/{idea}/vote", **headers),
        caller.post(f"/questions/{qid}/comments", {"text": "Hi"}, **headers),
    ):
        assert response.status_code == 401, response.data
        assert response["WWW-Authenticate"] == "Bearer"
        assert response.data["detail"] == "Send your token as: Authorization: Bearer <token>."


def test_a_write_with_a_token_of_nothing_finds_nothing(qid: str, idea: str) -> None:
    caller = Caller()
    headers = {"Authorization": "Bearer nonsense"}
    for response in (
        caller.put(f"/ideas/{idea}/vote", **headers),
        caller.post(f"/questions/{qid}/comments", {"text": "Hi"}, **headers),
    ):
        assert response.status_code == 404, response.data


def test_an_invalid_token_on_a_read_is_refused_not_ignored(qid: str) -> None:
    response = Caller("not-a-token-of-this-question").get(f"/questions/{qid}")
    assert response.status_code == 401
    assert response.data["detail"] == "This token does not belong to this question."


# Rules of the question: 409 -------------------------------------------------------------------


def test_a_closed_question_refuses_every_contribution_with_409(
    qid: str, alice: Caller, bob: Caller, idea: str, bobs: dict[str, str]
) -> None:
    bob.put(f"/ideas/{idea}/vote")
    bob.put(f"/arguments/{bobs['arguments']}/like")
    alice.post(f"/questions/{qid}/close")
    before = counts()

    for response in (
        bob.put(f"/ideas/{idea}/vote"),
        bob.delete(f"/ideas/{idea}/vote"),
        bob.put(f"/arguments/{bobs['arguments']}/like"),
        bob.delete(f"/arguments/{bobs['arguments']}/like"),
        bob.post(f"/questions/{qid}/ideas", {"title": "Late"}),
        bob.post(f"/ideas/{idea}/arguments", {"kind": "pro", "text": "Late"}),
        bob.post(f"/questions/{qid}/comments", {"text": "Late"}),
        Caller().post(f"/questions/{qid}/participants", {"name": "Late"}),
        bob.patch(f"/ideas/{bobs['ideas']}", {"title": "Late"}),
    ):
        assert response.status_code == 409, response.data
        assert response.data == {"detail": "This question is closed.", "code": "closed"}
    assert counts() == before
    assert bob.get(f"/ideas/{idea}").data["votes"] == 1


def test_a_vote_over_the_cap_gets_409_and_the_count_is_unchanged(
    qid: str, alice: Caller, bob: Caller
) -> None:
    alice.patch(f"/questions/{qid}", {"settings": {"max_votes": 2}})
    ideas = [alice.post(f"/questions/{qid}/ideas", {"title": f"I{n}"}).data["id"] for n in range(3)]
    bob.put(f"/ideas/{ideas[0]}/vote")
    bob.put(f"/ideas/{ideas[1]}/vote")
    assert bob.get(f"/questions/{qid}").data["me"]["votes_left"] == 0

    response = bob.put(f"/ideas/{ideas[2]}/vote")

    assert response.status_code == 409
    assert response.data["code"] == "vote_cap"
    assert response.data["detail"] == (
        "You have used all 2 of your votes. Take one back to vote for this idea."
    )
    assert bob.get(f"/ideas/{ideas[2]}").data["votes"] == 0
    assert bob.put(f"/ideas/{ideas[0]}/vote").status_code == 200  # again: still one vote
    bob.delete(f"/ideas/{ideas[0]}/vote")
    assert bob.put(f"/ideas/{ideas[2]}/vote").status_code == 200


def test_a_question_deleted_while_a_vote_waited_refuses_it(qid: str, idea: str, bob) -> None:
    from ponder.questions import services

    idea_row = Idea.objects.select_related("question").get(pk=idea)
    voter = Participant.objects.get(question_id=qid, name="Bob")
    Question.objects.filter(pk=qid).delete()

    with pytest.raises(services.ActionRefused) as refused_:
        services.vote_cast(idea=idea_row, participant=voter)
    assert refused_.value.code == "deleted"


# The OpenAPI patterns say what the forms say ---------------------------------------------------


@given(st.text(alphabet=st.sampled_from("ab \t\n\x00\x1f\u3000\u00a0é"), max_size=12))
def test_the_text_pattern_agrees_with_the_form_field(value: str) -> None:
    for field in (IdeaForm.base_fields["title"], IdeaForm.base_fields["description"]):
        limited = type(field)(max_length=5, required=field.required)
        try:
            limited.clean(value)
            accepted = True
        except Exception:
            accepted = False
        pattern = text_pattern(5, required=field.required)
        assert bool(re.fullmatch(pattern, value)) is accepted, (value, field.required)


@given(st.text(alphabet=st.sampled_from("a \t\u200b\u3164\u2800\u0300\u202e\u2066"), max_size=8))
def test_a_labels_pattern_agrees_with_the_name_field(value: str) -> None:
    """A name or a title: no bidirectional controls, and one visible character at least."""
    field = NameForm.base_fields["name"]
    try:
        field.clean(value)
        accepted = True
    except Exception:
        accepted = False
    pattern = with_visible(text_pattern(field.max_length, required=True, label=True))
    assert bool(re.fullmatch(pattern, value)) is accepted, value


def test_every_text_field_in_the_openapi_document_carries_its_pattern(db: None) -> None:
    document = Caller().get("/openapi.json").data
    schemas = document["components"]["schemas"]
    name = schemas["ParticipantIn"]["properties"]["name"]
    assert name["pattern"] == with_visible(
        text_pattern(NameForm.base_fields["name"].max_length, required=True, label=True)
    )
    assert schemas["IdeaIn"]["properties"]["description"]["pattern"] == text_pattern(
        TEXT_MAX, required=False
    )


def test_a_body_with_thousands_of_unknown_fields_is_answered_with_the_first_few(
    qid: str, bob: Caller
) -> None:
    body = {"title": "T"} | {f"f{n}": 0 for n in range(15_000)}  # within the 256 KiB
    before = counts()
    response = bob.post(f"/questions/{qid}/ideas", body)
    assert response.status_code == 400
    errors = response.data["errors"]
    assert len(errors) == MAX_ERRORS
    assert errors[0] == {"field": "f0", "message": "There is no such field."}
    assert f"{15_000 - MAX_ERRORS} more problems are not listed." in response.data["detail"]
    assert counts() == before
