"""Bad input gets the answer docs/product-rules.md P10 promises: a form error next to the field,
nothing truncated, text stored as typed and shown as text, 404 for unknown ids, 413 for huge bodies,
403 with an explanation for a missing CSRF token, and never a 500."""

import logging
import re
import zoneinfo
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ponder.questions import services
from ponder.questions.models import Argument, Comment, Idea, Participant, Question

HX = {"HTTP_HX_REQUEST": "true"}
REQUIRED = "This field is required."
NUL = "Null characters are not allowed."


def field_error(html: str, name: str) -> str:
    """The error shown in the same field group as the input called `name`, or ""."""
    groups = re.findall(
        r'<div class="field has-error">(.*?)(?=<div class="field|</form>)', html, re.S
    )
    for group in groups:
        if f'name="{name}"' in group:
            errors = re.search(r'<ul class="errorlist"[^>]*>(.*?)</ul>', group, re.S)
            assert errors, group
            return re.sub(r"<[^>]+>", " ", errors.group(1)).strip()
    return ""


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Question, Participant, Idea, Argument, Comment))


@pytest.fixture
def idea(question: Question, alice) -> Idea:
    author = Participant.objects.get(question=question, name="Alice")
    return services.idea_add(question=question, author=author, title="The lake house")


@pytest.fixture
def bobs(question: Question, bob, idea: Idea) -> dict[str, Idea | Argument | Comment]:
    """An idea, an argument and a comment by bob, to be edited."""
    me = Participant.objects.get(question=question, name="Bob")
    own = services.idea_add(question=question, author=me, title="Bob's idea")
    return {
        "idea": own,
        "argument": services.argument_add(idea=idea, author=me, kind="pro", text="Bob's pro"),
        "comment": services.comment_add(question=question, author=me, text="Bob's comment"),
    }


# Each form: who sends it, where, the fields it needs, and which field is under test.
# `who` is a fixture name; `url` is formatted with the question, idea and bob's entries.
FORMS = {
    "question": ("mallory", "/", {"title": "Q"}, "title"),
    "join": ("mallory", "/q/{q}/join/", {"name": "Mallory"}, "name"),
    "newcomer's idea": (
        "mallory",
        "/q/{q}/ideas/",
        {"name": "Mallory", "title": "T", "description": ""},
        "name",
    ),
    "idea": ("bob", "/q/{q}/ideas/", {"title": "T", "description": ""}, "title"),
    "argument": ("bob", "/q/{q}/ideas/{idea}/arguments/", {"kind": "pro", "text": "A"}, "text"),
    "comment": ("bob", "/q/{q}/comments/", {"text": "C"}, "text"),
    "settings": ("alice", "/q/{q}/settings/", {"title": "Q", "time_zone": "UTC"}, "title"),
    "idea edit": ("bob", "/q/{q}/idea/{b_idea}/edit/", {"title": "T", "description": ""}, "title"),
    "argument edit": (
        "bob",
        "/q/{q}/argument/{b_argument}/edit/",
        {"kind": "con", "text": "A"},
        "text",
    ),
    "comment edit": ("bob", "/q/{q}/comment/{b_comment}/edit/", {"text": "C"}, "text"),
}


def _send(request, question, idea, bobs, form: str, value: str, *, field: str = "", **extra):
    who, url, data, under_test = FORMS[form]
    ids = {f"b_{kind}": entry.pk for kind, entry in bobs.items()}
    url = url.format(q=question.pk, idea=idea.pk, **ids)
    person = request.getfixturevalue(who)
    return person.post(url, {**data, (field or under_test): value}, **extra)


def _stored(question: Question) -> dict[str, object]:
    """Every text a person typed, as stored."""
    question.refresh_from_db()
    return {
        "question": (question.title, question.description),
        "names": sorted(Participant.objects.values_list("name", flat=True)),
        "ideas": sorted(Idea.objects.values_list("title", "description")),
        "arguments": sorted(Argument.objects.values_list("kind", "text")),
        "comments": sorted(Comment.objects.values_list("text", flat=True)),
    }


# Empty, too long, NUL --------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   ", " \t\n\r\u00a0 "])
@pytest.mark.parametrize("form", FORMS)
def test_an_empty_or_blank_required_field_is_refused_next_to_the_field(
    request, question, idea, bobs, form, blank
):
    before, stored = _counts(), _stored(question)
    response = _send(request, question, idea, bobs, form, blank)
    assert response.status_code == 422
    assert field_error(response.content.decode(), FORMS[form][3]) == REQUIRED
    assert (_counts(), _stored(question)) == (before, stored)


@pytest.mark.parametrize("form", ["idea", "argument", "comment", "join"])
def test_the_htmx_answer_to_a_blank_field_is_the_form_with_its_error(
    request, question, idea, bobs, form
):
    response = _send(request, question, idea, bobs, form, "  ", **HX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in html
    assert field_error(html, FORMS[form][3]) == REQUIRED
    assert response["HX-Reswap"] == "outerHTML"
    assert response["HX-Retarget"].startswith("#")


LIMITS = [
    # (form, field, limit)
    ("question", "title", 200),
    ("idea", "title", 200),
    ("idea edit", "title", 200),
    ("settings", "title", 200),
    ("idea", "description", 10_000),
    ("settings", "description", 10_000),
    ("argument", "text", 10_000),
    ("argument edit", "text", 10_000),
    ("comment", "text", 10_000),
    ("comment edit", "text", 10_000),
    ("join", "name", 80),
    ("newcomer's idea", "name", 80),
]


@pytest.mark.parametrize("form,field,limit", LIMITS)
def test_text_over_the_limit_is_refused_and_nothing_is_cut_or_saved(
    request, question, idea, bobs, form, field, limit
):
    before, stored = _counts(), _stored(question)
    too_long = "é" * limit + "!"  # counted in characters, not bytes
    response = _send(request, question, idea, bobs, form, too_long, field=field)
    html = response.content.decode()
    assert response.status_code == 422
    assert field_error(html, field) == (
        f"Ensure this value has at most {limit} characters (it has {limit + 1})."
    )
    assert too_long in html  # given back whole, to shorten
    assert (_counts(), _stored(question)) == (before, stored)


@pytest.mark.parametrize("form,field,limit", LIMITS)
def test_text_at_the_limit_is_saved_in_full(request, question, idea, bobs, form, field, limit):
    at_limit = "é" * (limit - 1) + "!"
    response = _send(request, question, idea, bobs, form, at_limit, field=field)
    assert response.status_code == 302
    assert at_limit in _texts()


def _texts() -> set[str]:
    """Every text stored anywhere."""
    texts: set[str] = set()
    for model, fields in [
        (Question, ("title", "description")),
        (Participant, ("name",)),
        (Idea, ("title", "description")),
        (Argument, ("text",)),
        (Comment, ("text",)),
    ]:
        for row in model.objects.values_list(*fields):
            texts.update(row)
    return texts


@pytest.mark.parametrize("form", FORMS)
def test_a_nul_character_is_refused_with_a_clear_error(request, question, idea, bobs, form):
    before, stored = _counts(), _stored(question)
    response = _send(request, question, idea, bobs, form, "before\x00after")
    assert response.status_code == 422
    assert field_error(response.content.decode(), FORMS[form][3]) == NUL
    assert (_counts(), _stored(question)) == (before, stored)


def test_an_argument_must_be_a_pro_or_a_con(question, idea, bob):
    response = bob.post(
        f"/q/{question.pk}/ideas/{idea.pk}/arguments/", {"kind": "maybe", "text": "Hm"}
    )
    assert response.status_code == 422
    assert "Select a valid choice." in field_error(response.content.decode(), "kind")
    assert not Argument.objects.exists()


# Stored as typed, shown as text -------------------------------------------------------------

SCRIPT = '<script>alert("owned")</script>'
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = '<a href="javascript:alert(1)">click</a>'
ODD = {
    "rtl override": "evil\u202etxt.exe",
    "zero-width joiner": "family: \U0001f469\u200d\U0001f469\u200d\U0001f467",
    "emoji": "Lake house \U0001f3de\ufe0f \U0001f44d\U0001f3fd",
    "zero-width space and BOM": "a\u200bb\ufeffc",
    "combining marks": "e\u0301\u0327\u0308 Z\u0351\u0317\u035a",
    "right-to-left text": "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
}


def _assert_shown_as_text(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert not re.search(r"<a\b[^>]*javascript:", html)
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in html


def test_html_in_ideas_arguments_and_comments_is_stored_as_typed_and_shown_as_text(
    question, alice, bob
):
    hostile = f"{SCRIPT} {IMG} {JS_LINK}"
    bob.post(f"/q/{question.pk}/ideas/", {"title": SCRIPT, "description": hostile})
    idea = Idea.objects.get()
    bob.post(f"/q/{question.pk}/ideas/{idea.pk}/arguments/", {"kind": "con", "text": hostile})
    bob.post(f"/q/{question.pk}/comments/", {"text": hostile})

    assert (idea.title, idea.description) == (SCRIPT, hostile)
    assert Argument.objects.get().text == hostile
    assert Comment.objects.get().text == hostile
    for html in (
        bob.get(f"/q/{question.pk}/").content.decode(),
        alice.get(f"/q/{question.pk}/").content.decode(),
        bob.get(f"/q/{question.pk}/ideas/{idea.pk}/").content.decode(),
        bob.get(f"/q/{question.pk}/ideas/{idea.pk}/?part=description", **HX).content.decode(),
    ):
        _assert_shown_as_text(html)
    # A vote answers with the vote box only (count, voters, button): no hostile text, raw or not.
    vote_box = bob.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/", **HX).content.decode()
    assert "<script>alert" not in vote_box and "<img src=x" not in vote_box


def test_html_in_a_name_is_stored_as_typed_and_shown_as_text(question, alice):
    person = Client()
    response = person.post(f"/q/{question.pk}/join/", {"name": SCRIPT}, follow=True)
    html = response.content.decode()
    assert Participant.objects.filter(name=SCRIPT).exists()
    assert "Welcome, &lt;script&gt;" in html
    person.post(f"/q/{question.pk}/ideas/", {"title": "Mine", "description": ""})
    person.post(f"/q/{question.pk}/ideas/{Idea.objects.get().pk}/vote/")
    for page in (person.get(f"/q/{question.pk}/"), alice.get(f"/q/{question.pk}/")):
        html = page.content.decode()
        _assert_shown_as_text(html)
        assert html.count("by &lt;script&gt;") == 1  # the idea's byline
        assert 'class="voters">&lt;script&gt;' in html


def test_html_in_the_question_is_stored_as_typed_and_shown_as_text(question, alice, bob):
    description = f"{SCRIPT}\n{IMG}\n{JS_LINK}\n[click me](javascript:alert(1)) and <b>bold</b>"
    alice.post(
        f"/q/{question.pk}/settings/",
        {"title": SCRIPT, "description": description, "time_zone": "UTC"},
    )
    question.refresh_from_db()
    assert (question.title, question.description) == (SCRIPT, description)
    html = bob.get(f"/q/{question.pk}/").content.decode()
    _assert_shown_as_text(html)
    assert "click me" in html  # the link text stays, without its javascript: target
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html or "&lt;b>bold&lt;/b>" in html
    assert f"<title>{SCRIPT}" not in html


def test_links_in_the_description_are_kept_with_nofollow_ugc_noopener(question, alice, bob):
    alice.post(
        f"/q/{question.pk}/settings/",
        {
            "title": "Q",
            "description": "See [the venue](https://example.org/venue).",
            "time_zone": "UTC",
        },
    )
    html = bob.get(f"/q/{question.pk}/").content.decode()
    link = re.search(r'<a [^>]*href="https://example.org/venue"[^>]*>', html)
    assert link is not None
    assert 'rel="nofollow ugc noopener"' in link.group(0)


def test_a_question_typed_on_the_home_page_keeps_its_html_as_text(db):
    person = Client()
    response = person.post("/", {"title": SCRIPT}, follow=True)
    assert Question.objects.get().title == SCRIPT
    _assert_shown_as_text(response.content.decode())


@pytest.mark.parametrize("kind", ODD)
def test_odd_unicode_is_stored_and_shown_exactly_as_typed(question, alice, bob, kind):
    text = ODD[kind]
    bob.post(f"/q/{question.pk}/ideas/", {"title": text, "description": text})
    idea = Idea.objects.get()
    bob.post(f"/q/{question.pk}/ideas/{idea.pk}/arguments/", {"kind": "pro", "text": text})
    bob.post(f"/q/{question.pk}/comments/", {"text": text})
    person = Client()
    welcome = person.post(f"/q/{question.pk}/join/", {"name": text}, follow=True)

    assert f"Welcome, {text}." in welcome.content.decode()
    assert (idea.title, idea.description) == (text, text)
    assert Argument.objects.get().text == text
    assert Comment.objects.get().text == text
    assert Participant.objects.filter(name=text).exists()
    html = alice.get(f"/q/{question.pk}/").content.decode()
    # Title, description, argument, comment (names show only as authors; bob wrote them all).
    assert html.count(text) >= 4


@pytest.mark.parametrize(
    "name", ["Łukasz", "王小明", "Ζωή 👩\u200d👩\u200d👧", "50% \u202eoff", "Zoë"]
)
def test_a_name_in_any_script_is_remembered_by_the_browser(make_question, name):
    first, _key = make_question()
    second, _key = make_question()
    browser = Client()
    joined = browser.post(f"/q/{first.pk}/join/", {"name": name})
    assert joined.status_code == 302
    for cookie in joined.cookies.values():
        # What Django's ASGI handler (ponder serve) does with every cookie it sends.
        cookie.OutputString().encode("ascii")

    page = browser.get(f"/q/{first.pk}/")
    assert page.status_code == 200
    assert f"Welcome, {name}." in page.content.decode()
    other = browser.get(f"/q/{second.pk}/").content.decode()
    assert re.search(r'name="name" value="([^"]*)"', other).group(1) == name
    assert Participant.objects.get(question=first).name == name


def test_ten_thousand_combining_marks_within_the_limit_are_kept_whole(question, bob):
    zalgo = "Z" + "\u0336" * 9_999
    assert len(zalgo) == 10_000
    response = bob.post(f"/q/{question.pk}/comments/", {"text": zalgo})
    assert response.status_code == 302
    assert Comment.objects.get().text == zalgo
    assert zalgo in bob.get(f"/q/{question.pk}/").content.decode()


# Ids ----------------------------------------------------------------------------------------

MALFORMED = [
    "short",
    "A" * 11,
    "A" * 13,
    "AAAAAAAAAAA-",
    "AAAAAAAAAAA%00",
    "..%2F..%2Fetc",
    "%3Cscript%3E",
    "ÄAAAAAAAAAAA",
]


@pytest.mark.parametrize("bad", MALFORMED)
def test_a_malformed_question_id_is_not_found(bob, bad):
    response = bob.get(f"/q/{bad}/")
    assert response.status_code == 404
    assert "There is nothing here." in response.content.decode()


@pytest.mark.parametrize("bad", MALFORMED)
def test_a_malformed_idea_id_is_not_found(question, bob, bad):
    assert bob.post(f"/q/{question.pk}/ideas/{bad}/vote/").status_code == 404
    assert bob.get(f"/q/{question.pk}/idea/{bad}/edit/").status_code == 404


def test_an_unknown_question_is_not_found_as_a_page(bob):
    response = bob.get("/q/ZZZZZZZZZZZZ/")
    assert response.status_code == 404
    assert "Check that the link is complete" in response.content.decode()


def test_an_unknown_question_is_not_found_as_json_when_json_is_asked_for(bob):
    response = bob.get("/q/ZZZZZZZZZZZZ/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert "Check that the link is complete" in response.json()["detail"]


@pytest.mark.parametrize("bad", ["short", "A" * 21, "A" * 23, "A" * 22])
def test_a_malformed_or_wrong_admin_key_is_not_found(question, mallory, bad):
    assert mallory.get(f"/q/{question.pk}/a/{bad}/").status_code == 404
    assert not [c for c in mallory.client.cookies if c.startswith("ponder_admin_")]


def test_an_unknown_kind_of_entry_is_not_found(question, alice, idea):
    assert alice.get(f"/q/{question.pk}/vote/{idea.pk}/edit/").status_code == 404
    assert alice.post(f"/q/{question.pk}/ideas/{idea.pk}/delete/").status_code == 404
    assert Idea.objects.filter(pk=idea.pk).exists()


def _with_csrf_checks(person) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.cookies = person.client.cookies
    return browser


# Huge bodies --------------------------------------------------------------------------------


def test_a_body_over_the_upload_limit_gets_413_with_a_clear_message(
    question, bob, settings, caplog
):
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    with caplog.at_level(logging.INFO):
        response = bob.post(f"/q/{question.pk}/comments/", {"text": too_big})
    assert response.status_code == 413
    assert "larger than this site accepts" in response.content.decode()
    assert not Comment.objects.exists()
    # The sender's mistake, not the server's: a warning without a traceback.
    (logged,) = [r for r in caplog.records if r.name == "django.security.RequestDataTooBig"]
    assert (logged.levelname, logged.exc_info) == ("WARNING", None)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_urlencoded_body_over_the_limit_gets_413_too(question, bob, settings):
    body = "text=" + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = bob.post(
        f"/q/{question.pk}/comments/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert not Comment.objects.exists()


def test_too_many_fields_get_413(question, bob, settings):
    fields = {f"f{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = bob.post(f"/q/{question.pk}/comments/", {"text": "Hi", **fields})
    assert response.status_code == 413
    assert not Comment.objects.exists()


def test_a_huge_body_asked_for_as_json_gets_a_json_413(question, bob, settings):
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = bob.post(
        f"/q/{question.pk}/comments/", {"text": too_big}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 413
    assert "larger than this site accepts" in response.json()["detail"]


def test_a_huge_body_is_refused_even_with_csrf_checks_on(question, bob, settings):
    """A real browser holds the CSRF cookie and sends the token in the body it cannot read."""
    browser = _with_csrf_checks(bob)
    html = browser.get(f"/q/{question.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = browser.post(
        f"/q/{question.pk}/comments/", {"csrfmiddlewaretoken": token, "text": too_big}
    )
    assert response.status_code == 413
    assert not Comment.objects.exists()


# CSRF ---------------------------------------------------------------------------------------


def test_a_post_without_csrf_token_gets_403_with_a_page_that_explains_how_to_retry(question, bob):
    browser = _with_csrf_checks(bob)
    response = browser.post(f"/q/{question.pk}/comments/", {"text": "Hi"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "security token was missing or out of date" in html
    assert "reload the page, and send the form again" in html
    assert not Comment.objects.exists()


def test_a_post_with_a_wrong_csrf_token_gets_the_same_403(question, bob):
    browser = _with_csrf_checks(bob)
    browser.get(f"/q/{question.pk}/")
    response = browser.post(
        f"/q/{question.pk}/comments/", {"text": "Hi", "csrfmiddlewaretoken": "x" * 64}
    )
    assert response.status_code == 403
    assert "security token was missing or out of date" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_post_with_the_pages_csrf_token_goes_through(question, bob):
    """The control for the two tests above: with the token the same post succeeds."""
    browser = _with_csrf_checks(bob)
    html = browser.get(f"/q/{question.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = browser.post(
        f"/q/{question.pk}/comments/", {"text": "Hi", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert Comment.objects.get().text == "Hi"


def test_an_htmx_post_carries_its_csrf_token_in_the_header(question, bob):
    browser = _with_csrf_checks(bob)
    html = browser.get(f"/q/{question.pk}/").content.decode()
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', html).group(1)
    response = browser.post(
        f"/q/{question.pk}/comments/", {"text": "Hi"}, HTTP_X_CSRFTOKEN=token, **HX
    )
    assert response.status_code == 200
    assert Comment.objects.get().text == "Hi"


# Settings -----------------------------------------------------------------------------------


def _settings(**changes: str) -> dict[str, str]:
    return {"title": "Q", "description": "", "time_zone": "UTC", **changes}


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("max_votes", "0", "Ensure this value is greater than or equal to 1."),
        ("max_votes", "-1", "Ensure this value is greater than or equal to 1."),
        ("max_votes", "abc", "Enter a whole number."),
        ("max_votes", "1.5", "Enter a whole number."),
        ("max_votes", "1001", "Ensure this value is less than or equal to 1000."),
        ("max_votes", "99999999999999999999999", "Ensure this value is less than or equal to"),
        ("deadline", "yesterday", "Enter a valid date/time."),
        ("deadline", "2020-01-01T10:00", "The deadline must be in the future."),
        ("deadline", "0001-01-01T00:00", "The deadline must be in the future."),
        ("time_zone", "Mars/Olympus_Mons", "Choose a time zone from the list"),
        ("time_zone", "US/Eastern", "Choose a time zone from the list"),
        ("deadline", "2999-07-01T12:00:30", "Give the deadline in whole minutes, without seconds."),
    ],
)
def test_bad_settings_are_refused_next_to_the_field(question, alice, field, value, message):
    response = alice.post(f"/q/{question.pk}/settings/", _settings(**{field: value}))
    assert response.status_code == 422
    assert message in field_error(response.content.decode(), field)
    question.refresh_from_db()
    assert (question.title, question.max_votes, question.deadline) == (
        "Where should the team offsite be?",
        None,
        None,
    )


def test_a_past_deadline_typed_in_a_far_east_zone_is_refused(question, alice):
    """Just past in Tokyo is still hours ahead in UTC: the zone is what counts."""
    tokyo_now = timezone.now().astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    typed = (tokyo_now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    response = alice.post(
        f"/q/{question.pk}/settings/", _settings(deadline=typed, time_zone="Asia/Tokyo")
    )
    assert response.status_code == 422
    assert field_error(response.content.decode(), "deadline") == (
        "The deadline must be in the future."
    )


def test_a_deadline_is_read_in_the_chosen_time_zone(question, alice):
    alice.post(
        f"/q/{question.pk}/settings/",
        _settings(deadline="2999-07-01T12:00", time_zone="Europe/Berlin"),
    )
    question.refresh_from_db()
    assert question.deadline.isoformat() == "2999-07-01T10:00:00+00:00"
    assert question.time_zone == "Europe/Berlin"


def test_a_deadline_too_far_ahead_to_store_is_refused_not_a_500(question, alice):
    response = alice.post(
        f"/q/{question.pk}/settings/",
        _settings(deadline="9999-12-31T23:59", time_zone="America/Los_Angeles"),
    )
    assert response.status_code == 422
    assert field_error(response.content.decode(), "deadline") == (
        "The deadline is too far in the future."
    )
    question.refresh_from_db()
    assert question.deadline is None


def test_the_last_minute_of_9999_is_fine_east_of_greenwich(question, alice):
    response = alice.post(
        f"/q/{question.pk}/settings/",
        _settings(deadline="9999-12-31T23:59", time_zone="Europe/Berlin"),
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.deadline.year == 9999


def test_a_deadline_that_passed_can_be_saved_again_unchanged(question, alice):
    """The organiser of a question closed by its deadline may still fix a typo in its title."""
    passed = timezone.now().replace(second=17) - timedelta(days=1)
    Question.objects.filter(pk=question.pk).update(deadline=passed, time_zone="Europe/Berlin")
    form = alice.get(f"/q/{question.pk}/settings/").content.decode()
    shown = re.search(r'name="deadline" value="([^"]+)"', form).group(1)

    response = alice.post(
        f"/q/{question.pk}/settings/",
        _settings(title="Fixed typo", deadline=shown, time_zone="Europe/Berlin"),
    )

    assert response.status_code == 302
    question.refresh_from_db()
    assert question.title == "Fixed typo"
    assert question.deadline == passed  # its seconds too, which the field does not show
    assert not question.is_open()


def test_a_passed_deadline_moved_to_another_zone_counts_as_a_new_deadline(question, alice):
    passed = timezone.now() - timedelta(days=1)
    Question.objects.filter(pk=question.pk).update(deadline=passed, time_zone="Europe/Berlin")
    form = alice.get(f"/q/{question.pk}/settings/").content.decode()
    shown = re.search(r'name="deadline" value="([^"]+)"', form).group(1)
    response = alice.post(
        f"/q/{question.pk}/settings/", _settings(deadline=shown, time_zone="Asia/Tokyo")
    )
    assert response.status_code == 422
    assert field_error(response.content.decode(), "deadline") == (
        "The deadline must be in the future."
    )


def test_an_empty_max_votes_means_unlimited(question, alice):
    Question.objects.filter(pk=question.pk).update(max_votes=3)
    response = alice.post(f"/q/{question.pk}/settings/", _settings(max_votes=""))
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.max_votes is None


# Never a 500 --------------------------------------------------------------------------------

ENDPOINTS = [
    "/",
    "/q/{q}/join/",
    "/q/{q}/settings/",
    "/q/{q}/close/",
    "/q/{q}/reopen/",
    "/q/{q}/ideas/",
    "/q/{q}/ideas/{idea}/",
    "/q/{q}/ideas/{idea}/vote/",
    "/q/{q}/ideas/{idea}/unvote/",
    "/q/{q}/ideas/{idea}/arguments/",
    "/q/{q}/arguments/{b_argument}/like/",
    "/q/{q}/arguments/{b_argument}/unlike/",
    "/q/{q}/comments/",
    "/q/{q}/idea/{b_idea}/edit/",
    "/q/{q}/argument/{b_argument}/edit/",
    "/q/{q}/comment/{b_comment}/edit/",
    "/q/{q}/comment/{b_comment}/delete/",
]

ALL_FIELDS = ("name", "title", "description", "kind", "text", "max_votes", "deadline", "time_zone")
GARBAGE = {
    "nothing": {},
    "nul everywhere": dict.fromkeys(ALL_FIELDS, "\x00"),
    "lists for scalars": {f: ["a", "b"] for f in ALL_FIELDS},
    "wrong types": {
        "name": "x" * 5000,
        "title": "x" * 5000,
        "kind": "both",
        "text": "\u202e" * 20_000,
        "max_votes": "1e9",
        "deadline": "31/12/2099 25:61",
        "time_zone": "../../etc/passwd",
        "allow_ideas": "maybe",
    },
    "edge of time": {
        "title": "T",
        "time_zone": "Etc/GMT+12",
        "deadline": "9999-12-31T23:59",
        "max_votes": "99999999999999999999999",
        "kind": "pro",
        "text": "x",
        "name": "x",
    },
}
RAW_BODIES = {
    "invalid utf-8": (b"title=%ff%fe&name=%c0%80&text=%ed%a0%80&kind=pro", "form"),
    "json to a form": (b'{"title": 1, "text": null}', "application/json"),
    "truncated multipart": (b"--b\r\nContent-Disposition: form-data; name=", "multipart"),
}


@pytest.mark.parametrize("garbage", list(GARBAGE) + list(RAW_BODIES))
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_garbage_input_never_gives_a_500(question, idea, bobs, alice, mallory, endpoint, garbage):
    """Sent by a newcomer (mallory) and by the organiser (alice, who may do the most)."""
    ids = {f"b_{kind}": entry.pk for kind, entry in bobs.items()}
    url = endpoint.format(q=question.pk, idea=idea.pk, **ids)
    for person, extra in [(mallory, {}), (mallory, HX), (alice, {}), (alice, HX)]:
        client = person.client
        if garbage in GARBAGE:
            response = client.post(url, GARBAGE[garbage], **extra)
        else:
            body, kind = RAW_BODIES[garbage]
            content_type = {
                "form": "application/x-www-form-urlencoded",
                "multipart": "multipart/form-data; boundary=b",
            }.get(kind, kind)
            response = client.post(url, body, content_type=content_type, **extra)
        assert response.status_code < 500, (url, garbage, response.status_code)


@pytest.mark.parametrize(
    "query", ["?part=voters", "?part=description", "?part=%3Cscript%3E", "?part=&part=x"]
)
def test_odd_query_strings_on_the_idea_page_give_no_500(question, idea, mallory, query):
    for extra in ({}, HX):
        response = mallory.get(f"/q/{question.pk}/ideas/{idea.pk}/{query}", **extra)
        assert response.status_code == 200
