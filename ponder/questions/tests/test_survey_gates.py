"""A survey follows each question's "who may take part" setting, as the question's own page does
(README.md "Who may take part"): on every surface of the survey (its page and fragments, its
forms without JavaScript, its results, exports, API read and event stream), nothing of a
question reaches a reader the question keeps out, while the admitted and the organiser see it."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from openpyxl import load_workbook

from ponder.questions import services, survey_services
from ponder.questions.models import CoOrganiser, Idea, Participant, Survey, Vote
from ponder.questions.rendering import latest, renders, rows
from ponder.questions.tests.helpers import settings_of

HX = {"HTTP_HX_REQUEST": "true"}
PASSWORD = "open sesame"
# What the restricted questions hold: none of it may reach an outsider.
SECRET_TITLE = "Where is the secret retreat?"
SECRET_IDEA = "The secret lake house"
INVITED_TITLE = "Whom do we promote?"
INVITED_IDEA = "Bettina from accounts"
OPEN_IDEA = "The park by the river"
SECRETS = (SECRET_TITLE, SECRET_IDEA, INVITED_TITLE, INVITED_IDEA)


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for kept in (renders, latest, rows):
        kept.clear()
    cache.clear()
    yield
    cache.clear()


class Fixture:
    """A survey of an open question, a password-only one (open, with an idea) and an
    invitation-only one (closed, its idea the winner), and the organiser's browser."""

    def __init__(self) -> None:
        self.survey, self.key = survey_services.survey_create(
            title="Team day", questions=["Where do we eat?", SECRET_TITLE, INVITED_TITLE]
        )
        self.open, self.password, self.invited = self.survey.question_list()
        self.ideas: dict[str, Idea] = {}
        for question, idea in (
            (self.open, OPEN_IDEA),
            (self.password, SECRET_IDEA),
            (self.invited, INVITED_IDEA),
        ):
            author, _ = services.participant_join(question=question, name="Olga", organiser=True)
            self.ideas[question.pk] = services.idea_add(
                question=question, author=author, title=idea
            )
            services.vote_cast(idea=self.ideas[question.pk], participant=author)
        self.set_modes("password", "invitation")
        services.question_close(question=self.invited)
        self.organiser = Client()
        assert self.organiser.get(f"/s/{self.survey.pk}/a/{self.key}/").status_code == 302

    def set_modes(self, password_mode: str, invited_mode: str) -> None:
        for question, mode in ((self.password, password_mode), (self.invited, invited_mode)):
            question.refresh_from_db()
            services.question_update(
                question=question,
                **settings_of(question),
                allow_exports=True,
                taking_part=mode,
                password=PASSWORD if mode == "password" else "",
            )
        self.open.refresh_from_db()
        settings = settings_of(self.open)
        services.question_update(question=self.open, **settings, allow_exports=True)

    @property
    def s(self) -> str:
        return self.survey.pk


def _body(response) -> str:
    # A stream is read once: kept for the next look.
    if not hasattr(response, "read_body"):
        content = b"".join(response) if response.streaming else response.content
        response.read_body = content.decode()
    return response.read_body


def _surfaces(room: Fixture, browser: Client) -> dict[str, object]:
    """Every read surface of the survey, as this browser gets it."""
    s = room.s
    return {
        "page": browser.get(f"/s/{s}/"),
        "open fragment": browser.get(f"/s/{s}/?part={room.open.pk}", **HX),
        "password fragment": browser.get(f"/s/{s}/?part={room.password.pk}", **HX),
        "invited fragment": browser.get(f"/s/{s}/?part={room.invited.pk}", **HX),
        "csv": browser.get(f"/s/{s}/export/results.csv"),
        "xlsx": browser.get(f"/s/{s}/export/results.xlsx"),
        "json": browser.get(f"/s/{s}/export/results.json"),
        "api": browser.get(f"/api/v1/surveys/{s}"),
        "events": browser.get(f"/s/{s}/events"),
    }


def _text(surface: str, response) -> str:
    if surface == "xlsx" and response.status_code == 200:
        book = load_workbook(io.BytesIO(response.content))
        cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row]
        return " ".join(sheet.title for sheet in book) + " " + " ".join(cells)
    return _body(response)


def _stream_versions(response) -> dict[str, int]:
    hello = next(line for line in _body(response).splitlines() if line.startswith("data:"))
    return json.loads(hello.removeprefix("data:"))["versions"]


def _assert_kept_out(room: Fixture, browser: Client, *, sees_open: bool = True) -> None:
    answers = _surfaces(room, browser)
    for surface, response in answers.items():
        text = _text(surface, response)
        for secret in SECRETS:
            assert secret not in text, (surface, secret)
    page = _body(answers["page"])
    assert answers["page"].status_code == 200
    assert (OPEN_IDEA in page) is sees_open
    # In the restricted questions' place: what is needed, and the way to their own gates.
    assert "This question is only for people with the password." in page
    assert "This question is only for people who were invited." in page
    assert f'href="/q/{room.password.pk}/"' in page
    assert f'href="/q/{room.invited.pk}/"' in page
    assert OPEN_IDEA in _body(answers["open fragment"])
    for fragment in ("password fragment", "invited fragment"):
        assert answers[fragment].status_code == 403, fragment
        assert answers[fragment]["HX-Refresh"] == "true"
    # Exporting the survey is exporting every question: refused (as each restricted one is).
    for export in ("csv", "xlsx", "json"):
        assert answers[export].status_code == 404, export
    listed = {q["id"]: q for q in answers["api"].json()["questions"]}
    assert listed[room.password.pk] == {
        "id": room.password.pk,
        "gated": True,
        "needs": "password",
        "share_url": f"http://testserver/q/{room.password.pk}/",
    }
    assert listed[room.invited.pk]["needs"] == "invitation"
    assert "title" not in listed[room.invited.pk]
    assert listed[room.open.pk]["title"] == "Where do we eat?"
    assert set(_stream_versions(answers["events"])) == {room.open.pk}


def _assert_sees_everything(room: Fixture, browser: Client) -> None:
    answers = _surfaces(room, browser)
    page = _body(answers["page"])
    for secret in SECRETS:
        assert secret in page, secret
    assert "This question is only for people" not in page
    assert SECRET_IDEA in _body(answers["password fragment"])
    # The closed question's winner, among the results at the top of the page.
    results = page.split('id="results"')[1].split("</section>")[0]
    assert INVITED_IDEA in results and INVITED_TITLE in results
    for export in ("csv", "xlsx", "json"):
        assert answers[export].status_code == 200, export
        text = _text(export, answers[export])
        for secret in SECRETS:
            assert secret in text, (export, secret)
    assert set(_stream_versions(answers["events"])) == {
        room.open.pk,
        room.password.pk,
        room.invited.pk,
    }


# The event stream reads on threads of its own, which see only committed rows.
@pytest.mark.django_db(transaction=True)
def test_nothing_of_a_restricted_question_reaches_a_newcomer_on_any_survey_surface():
    room = Fixture()
    # The organiser's renders are made first: none of them may be served on to anyone else.
    _assert_sees_everything(room, room.organiser)
    _assert_kept_out(room, Client())


@pytest.mark.django_db(transaction=True)
def test_a_participant_of_the_open_question_sees_only_it():
    room = Fixture()
    browser = Client()
    assert browser.post(f"/s/{room.s}/join/", {"name": "Mallory"}).status_code == 302
    # Joining the survey joins only the questions they may take part in: a participant counts
    # as knowing the password, so joining the restricted one would have let them in.
    mallory = Participant.objects.filter(name="Mallory")
    assert [p.question_id for p in mallory] == [room.open.pk]
    _assert_kept_out(room, browser)
    page = _body(browser.get(f"/s/{room.s}/"))
    assert "You take part as" in page
    assert 'id="join"' not in page  # not asked again for the questions they may not join


@pytest.mark.django_db(transaction=True)
def test_the_forms_without_javascript_refuse_a_restricted_question_and_save_nothing():
    room = Fixture()
    for browser in (Client(), Client()):
        browser.post(f"/s/{room.s}/join/", {"name": "Mallory"})
        back = {"back": f"/s/{room.s}/"}
        secret = room.ideas[room.password.pk]
        answers = {
            "vote": browser.post(f"/q/{room.password.pk}/ideas/{secret.pk}/vote/", back),
            "join": browser.post(f"/q/{room.password.pk}/join/", {"name": "Mallory", **back}),
            "idea": browser.post(
                f"/s/{room.s}/q/{room.password.pk}/ideas/", {"title": "Spam", **back}
            ),
            "idea htmx": browser.post(
                f"/s/{room.s}/q/{room.password.pk}/ideas/", {"title": "Spam"}, **HX
            ),
        }
        for action, response in answers.items():
            assert response.status_code == 403, action
            for text in SECRETS:
                assert text not in _body(response), (action, text)
        assert "Enter the password" in _body(answers["idea"])  # the question's own gate
    assert not Participant.objects.filter(name="Mallory", question=room.password).exists()
    assert not Idea.objects.filter(title="Spam").exists()
    assert Vote.objects.filter(idea__question=room.password).count() == 1  # Olga's only


@pytest.mark.django_db(transaction=True)
def test_the_password_lets_a_browser_into_that_question_of_the_survey_only():
    room = Fixture()
    browser = Client()
    browser.post(f"/q/{room.password.pk}/password/", {"password": PASSWORD})
    page = _body(browser.get(f"/s/{room.s}/"))
    assert SECRET_TITLE in page and SECRET_IDEA in page
    assert INVITED_TITLE not in page and INVITED_IDEA not in page
    assert SECRET_IDEA in _body(browser.get(f"/s/{room.s}/?part={room.password.pk}", **HX))
    assert browser.get(f"/s/{room.s}/?part={room.invited.pk}", **HX).status_code == 403
    versions = _stream_versions(browser.get(f"/s/{room.s}/events"))
    assert set(versions) == {room.open.pk, room.password.pk}
    # Joining now joins the question whose password they gave, and they may vote in it.
    assert browser.post(f"/s/{room.s}/join/", {"name": "Paula"}).status_code == 302
    paula = Participant.objects.filter(name="Paula")
    assert {p.question_id for p in paula} == {room.open.pk, room.password.pk}
    secret = room.ideas[room.password.pk]
    voted = browser.post(
        f"/q/{room.password.pk}/ideas/{secret.pk}/vote/", {"back": f"/s/{room.s}/"}
    )
    assert voted.status_code == 302
    assert Vote.objects.filter(idea=secret, participant__name="Paula").exists()


@pytest.mark.django_db(transaction=True)
def test_the_api_survey_read_shows_a_restricted_question_to_its_organiser_only():
    room = Fixture()
    organiser = Client().get(f"/api/v1/surveys/{room.s}", HTTP_AUTHORIZATION=f"Bearer {room.key}")
    titles = [q["title"] for q in organiser.json()["questions"]]
    assert titles == ["Where do we eat?", SECRET_TITLE, INVITED_TITLE]
    # A participant token of the open question alone does not open the others.
    _, token = survey_services.survey_join(
        survey=room.survey, questions=[room.open], name="Api client"
    )
    client = Client().get(f"/api/v1/surveys/{room.s}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert [q.get("gated", False) for q in client.json()["questions"]] == [False, True, True]
    for secret in SECRETS:
        assert secret not in client.content.decode()
    # The survey's stream, held by a program: its token decides, as on a question's stream.
    held = Client().get(f"/s/{room.s}/events", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert set(_stream_versions(held)) == {room.open.pk}
    held = Client().get(f"/s/{room.s}/events", HTTP_AUTHORIZATION=f"Bearer {room.key}")
    assert set(_stream_versions(held)) == {room.open.pk, room.password.pk, room.invited.pk}
    # A participant of the password question (joined knowing it) is let in to it.
    _, knows = services.participant_join(question=room.password, name="Pat")
    held = Client().get(f"/s/{room.s}/events", HTTP_AUTHORIZATION=f"Bearer {knows}")
    assert set(_stream_versions(held)) == {room.open.pk, room.password.pk}
    listed = Client().get(f"/api/v1/surveys/{room.s}", HTTP_AUTHORIZATION=f"Bearer {knows}")
    assert [q.get("gated", False) for q in listed.json()["questions"]] == [False, False, True]


@pytest.mark.django_db(transaction=True)
def test_the_same_surfaces_show_everything_once_anyone_with_the_link_may_take_part():
    # The twin of the tests above: with the questions open to anyone with the link again, the
    # same newcomer gets what was kept from them (so those tests do test the setting).
    room = Fixture()
    room.set_modes("link", "link")
    _assert_sees_everything(room, Client())
    listed = Client().get(f"/api/v1/surveys/{room.s}").json()["questions"]
    assert [q["title"] for q in listed] == ["Where do we eat?", SECRET_TITLE, INVITED_TITLE]


def test_joining_a_survey_never_joins_a_question_not_given(db):
    survey, _ = survey_services.survey_create(title="Team day", questions=["One", "Two"])
    one, _two = survey.question_list()
    joined, _token = survey_services.survey_join(survey=survey, questions=[one], name="Ann")
    assert [p.question_id for p in joined] == [one.pk]
    other, _ = survey_services.survey_create(title="Other", questions=["Three"])
    with pytest.raises(services.ActionRefused):
        survey_services.survey_join(survey=survey, questions=other.question_list(), name="Bo")
    assert Survey.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_logged_in_co_organiser_sees_the_restricted_question_on_the_survey_as_on_its_page():
    room = Fixture()
    user = get_user_model().objects.create_user(username="cora", password="x" * 12)
    CoOrganiser.objects.create(question=room.password, user=user)
    browser = Client()
    browser.force_login(user)
    assert browser.get(f"/q/{room.password.pk}/").status_code == 200
    page = _body(browser.get(f"/s/{room.s}/"))
    assert SECRET_TITLE in page and SECRET_IDEA in page
    assert f"/q/{room.password.pk}/settings/" in page  # its organiser's link, as on its page
    assert INVITED_IDEA not in page  # the invitation-only one is not theirs
