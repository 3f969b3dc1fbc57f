"""Who may take part: the permission matrix per access mode, on the pages and in the API, and
what the gates do (README, Who may take part).

The roles on the pages: anonymous (a browser that gave no name), name_only (gave a name while
anyone with the link could take part), logged_in (an account, logged in), invited (opened their
invitation link), organiser (the admin key), co_organiser (an account given the organiser's
rights) and outsider (opened a revoked invitation and typed a wrong password). Each cell is one
assertion: may they view, add an idea, a pro, a comment, vote, administer?
"""

import json
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.cache import cache
from django.test import Client

from ponder.api.tests.conftest import Caller
from ponder.mail import run_due
from ponder.questions import invitations, services
from ponder.questions.models import (
    Comment,
    CoOrganiser,
    Idea,
    Invitation,
    Participant,
    Question,
    Vote,
)
from ponder.questions.tests.helpers import settings_of
from ponder.ratelimit import parse_limits

MODES = ["link", "account", "password", "invitation"]
PAGE_ROLES = [
    "anonymous",
    "name_only",
    "logged_in",
    "invited",
    "organiser",
    "co_organiser",
    "outsider",
]
ACTIONS = ["view", "idea", "argument", "comment", "vote", "administer"]
PASSWORD = "open sesame"
SECRET_IDEA = "The secret lake house"

# Who is let in, per mode (the organiser always; a name-only participant counts as knowing the
# password: people who take part stay in when it is set or changed).
PAGE_ADMITTED = {
    "link": set(PAGE_ROLES),
    "account": {"logged_in", "organiser", "co_organiser"},
    "password": {"name_only", "organiser", "co_organiser"},
    "invitation": {"invited", "organiser", "co_organiser"},
}


@pytest.fixture(autouse=True)
def _fast_hashes_and_fresh_counts(settings: object) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    cache.clear()
    yield
    cache.clear()


def _user(email: str) -> object:
    return get_user_model().objects.create_user(username=email, email=email, password="x" * 12)


class Room:
    """A question with one idea by its organiser, a browser for each role, and its mode set
    after everyone came (so that name_only gave their name while the link was enough)."""

    def __init__(self, mode: str) -> None:
        self.question, self.key = services.question_create(title="Where should we meet?")
        q = self.question.pk
        self.browsers = {role: Client() for role in PAGE_ROLES}
        b = self.browsers
        assert b["organiser"].get(f"/q/{q}/a/{self.key}/").status_code == 302
        organiser, _ = services.participant_join(
            question=self.question, name="Olga", organiser=True
        )
        self.idea = services.idea_add(question=self.question, author=organiser, title=SECRET_IDEA)
        assert b["name_only"].post(f"/q/{q}/join/", {"name": "Nina"}).status_code == 302
        b["logged_in"].force_login(_user("lena@example.org"))
        co = _user("cora@example.org")
        CoOrganiser.objects.create(question=self.question, user=co)
        b["co_organiser"].force_login(co)
        mine, revoked = invitations.invitation_create_links(
            question=self.question, count=2, label="Guest"
        )
        self.invitation = mine.invitation
        assert b["invited"].post(f"/q/{q}/i/{mine.key}/").status_code == 302
        assert b["outsider"].post(f"/q/{q}/i/{revoked.key}/").status_code == 302
        invitations.invitation_revoke(invitation=revoked.invitation)
        services.question_update(
            question=self.question,
            **settings_of(self.question),
            taking_part=mode,
            password=PASSWORD,
        )
        b["outsider"].post(f"/q/{q}/password/", {"password": "wrong guess"})
        self.question.refresh_from_db()

    def act(self, role: str, action: str) -> bool:
        """Whether `role` could do `action`, as seen in the database or the answer."""
        client, q, idea = self.browsers[role], self.question.pk, self.idea.pk
        name = {"name": f"Person {role}"}
        if action == "view":
            response = client.get(f"/q/{q}/")
            shown = SECRET_IDEA in response.content.decode()
            assert shown == (response.status_code == 200), response.status_code
            return shown
        if action == "idea":
            client.post(f"/q/{q}/ideas/", {"title": f"Idea of {role}", **name})
            return Idea.objects.filter(title=f"Idea of {role}").exists()
        if action == "argument":
            text = f"Pro of {role}"
            client.post(f"/q/{q}/ideas/{idea}/arguments/", {"kind": "pro", "text": text, **name})
            return self.idea.arguments.filter(text=text).exists()
        if action == "comment":
            client.post(f"/q/{q}/comments/", {"text": f"Comment of {role}", **name})
            return Comment.objects.filter(text=f"Comment of {role}").exists()
        if action == "vote":
            before = Vote.objects.filter(idea=self.idea).count()
            client.post(f"/q/{q}/join/", name)  # a name first, if they have none
            client.post(f"/q/{q}/ideas/{idea}/vote/")
            return Vote.objects.filter(idea=self.idea).count() == before + 1
        assert action == "administer"
        return client.get(f"/q/{q}/settings/").status_code == 200


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", PAGE_ROLES)
@pytest.mark.parametrize("mode", MODES)
def test_the_pages_let_in_exactly_whom_the_mode_admits(db, mode, role, action):
    room = Room(mode)
    if action == "administer":
        expected = role in {"organiser", "co_organiser"}
    else:
        expected = role in PAGE_ADMITTED[mode]
    assert room.act(role, action) is expected


# The API --------------------------------------------------------------------------------------

API_ROLES = ["anonymous", "name_only", "account", "invited", "organiser", "outsider"]
# A participant who joined while the link was enough counts as knowing the password; "account"
# is a participant of an account (what an account's token will be).
API_ADMITTED = {
    "link": set(API_ROLES),
    "account": {"account", "organiser"},
    "password": {"name_only", "account", "organiser"},
    "invitation": {"invited", "organiser"},
}


class ApiRoom:
    def __init__(self, mode: str) -> None:
        response = Caller().post("/questions", {"title": "Where should we meet?"})
        self.qid = q = response.data["id"]
        organiser = Caller(response.data["admin_token"])
        assert organiser.post(f"/questions/{q}/participants", {"name": "Olga"}).status_code == 201
        self.idea = organiser.post(f"/questions/{q}/ideas", {"title": SECRET_IDEA}).data["id"]
        self.callers = {"organiser": organiser, "anonymous": Caller()}
        for role, name in (("name_only", "Nina"), ("account", "Anna")):
            joined = Caller().post(f"/questions/{q}/participants", {"name": name})
            self.callers[role] = Caller(joined.data["token"])
        Participant.objects.filter(name="Anna").update(user=_user("anna@example.org"))
        made = organiser.post(f"/questions/{q}/invitations", {"count": 2}).data["invitations"]
        keys = [invitation["url"].rstrip("/").rsplit("/", 1)[1] for invitation in made]
        settings = {"taking_part": mode, "password": PASSWORD}
        assert organiser.patch(f"/questions/{q}", {"settings": settings}).status_code == 200
        body = {"name": "Ivy", "invitation": keys[0]}
        self.callers["invited"] = _token_of(Caller().post(f"/questions/{q}/participants", body))
        if mode == "invitation":
            body = {"name": "Oscar", "invitation": keys[1]}
            self.callers["outsider"] = _token_of(
                Caller().post(f"/questions/{q}/participants", body)
            )
            organiser.post(f"/questions/{q}/invitations/{made[1]['id']}/revoke")
        else:
            body = {"name": "Oscar", "password": "wrong guess"}
            self.callers["outsider"] = _token_of(
                Caller().post(f"/questions/{q}/participants", body)
            )

    def act(self, role: str, action: str) -> bool:
        caller, q, idea = self.callers[role], self.qid, self.idea
        if caller.token is None and action not in {"view", "administer"}:
            joined = caller.post(f"/questions/{q}/participants", {"name": f"Person {role}"})
            if joined.status_code != 201:
                assert joined.status_code == 403, joined.data
                return False
            caller.token = joined.data["token"]
        if action == "view":
            response = caller.get(f"/questions/{q}")
            shown = SECRET_IDEA in json.dumps(response.data)
            assert shown == (response.status_code == 200), response.data
            return shown
        answer = {
            "idea": lambda: caller.post(f"/questions/{q}/ideas", {"title": f"Idea of {role}"}),
            "argument": lambda: caller.post(
                f"/ideas/{idea}/arguments", {"kind": "pro", "text": f"Pro of {role}"}
            ),
            "comment": lambda: caller.post(f"/questions/{q}/comments", {"text": f"By {role}"}),
            "vote": lambda: caller.put(f"/ideas/{idea}/vote"),
            "administer": lambda: caller.get(f"/questions/{q}/invitations"),
        }[action]()
        assert answer.status_code in {200, 201, 401, 403, 404}, answer.data
        return answer.status_code in {200, 201}


def _token_of(response: object) -> Caller:
    status = response.status_code  # type: ignore[attr-defined]
    return Caller(response.data["token"] if status == 201 else None)  # type: ignore[attr-defined]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", API_ROLES)
@pytest.mark.parametrize("mode", MODES)
def test_the_api_lets_in_exactly_whom_the_mode_admits(db, mode, role, action):
    room = ApiRoom(mode)
    expected = role == "organiser" if action == "administer" else role in API_ADMITTED[mode]
    assert room.act(role, action) is expected


# The gates ------------------------------------------------------------------------------------


@pytest.fixture
def restricted(make_question: Callable[..., tuple[Question, str]]) -> Callable[..., Question]:
    def make(mode: str, **settings: object) -> Question:
        question, key = make_question(
            taking_part=mode, password_hash=make_password(PASSWORD), **settings
        )
        author, _ = services.participant_join(question=question, name="Olga", organiser=True)
        services.idea_add(question=question, author=author, title=SECRET_IDEA)
        question.admin_key = key
        question.refresh_from_db()
        return question

    return make


def test_the_password_is_asked_once_per_browser(restricted):
    question = restricted("password")
    browser, other = Client(), Client()
    gate = browser.get(f"/q/{question.pk}/")
    assert gate.status_code == 403
    assert "Enter the password" in gate.content.decode()
    assert SECRET_IDEA not in gate.content.decode()

    answer = browser.post(f"/q/{question.pk}/password/", {"password": PASSWORD})
    assert answer.status_code == 302
    assert SECRET_IDEA in browser.get(f"/q/{question.pk}/").content.decode()
    assert browser.get(f"/q/{question.pk}/").status_code == 200  # not asked again
    assert other.get(f"/q/{question.pk}/").status_code == 403  # another browser is


def test_a_new_password_shuts_out_browsers_that_only_knew_the_old_one(restricted):
    question = restricted("password")
    knew, took_part = Client(), Client()
    for browser in (knew, took_part):
        browser.post(f"/q/{question.pk}/password/", {"password": PASSWORD})
    took_part.post(f"/q/{question.pk}/join/", {"name": "Tom"})
    services.question_update(question=question, **settings_of(question), password="new one")
    assert knew.get(f"/q/{question.pk}/").status_code == 403
    assert took_part.get(f"/q/{question.pk}/").status_code == 200  # people who take part stay


def test_a_wrong_password_says_so_and_lets_nobody_in(restricted):
    question = restricted("password")
    browser = Client()
    answer = browser.post(f"/q/{question.pk}/password/", {"password": "guess"})
    assert answer.status_code == 422
    assert "This is not the password" in answer.content.decode()
    assert browser.get(f"/q/{question.pk}/").status_code == 403


def test_wrong_passwords_are_rate_limited_per_address_and_question(restricted, settings):
    settings.PONDER_RATE_LIMITS = parse_limits("off,password=3/10m,password_any=5/h")
    question, other = restricted("password"), restricted("password")
    browser = Client()
    for guess in ("a1a1", "b2b2", "c3c3"):
        assert browser.post(f"/q/{question.pk}/password/", {"password": guess}).status_code == 422
    refused = browser.post(f"/q/{question.pk}/password/", {"password": PASSWORD})
    assert refused.status_code == 429  # not even the right one is checked now
    assert "Too many wrong passwords" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert browser.get(f"/q/{question.pk}/").status_code == 403
    # Another question from the same address: its own count, until the address's is full.
    for guess in ("d4d4", "e5e5"):
        assert browser.post(f"/q/{other.pk}/password/", {"password": guess}).status_code == 422
    assert browser.post(f"/q/{other.pk}/password/", {"password": PASSWORD}).status_code == 429
    # The API counts the same guesses.
    api = Caller().post(
        f"/questions/{question.pk}/participants", {"name": "Eve", "password": PASSWORD}
    )
    assert api.status_code == 429


def test_the_right_password_lets_an_api_client_take_part(restricted):
    question = restricted("password")
    path = f"/questions/{question.pk}/participants"
    assert Caller().post(path, {"name": "Eve"}).status_code == 403
    wrong = Caller().post(path, {"name": "Eve", "password": "nope"})
    assert wrong.status_code == 400
    assert wrong.data["errors"][0]["field"] == "password"
    joined = Caller().post(path, {"name": "Eve", "password": PASSWORD})
    assert joined.status_code == 201
    assert Caller(joined.data["token"]).get(f"/questions/{question.pk}").status_code == 200


def test_an_invitation_link_binds_to_the_first_browser_that_goes_on(restricted):
    question = restricted("invitation")
    new = invitations.invitation_create_links(question=question, count=1)[0]
    link = f"/q/{question.pk}/i/{new.key}/"
    first, second, scanner = Client(), Client(), Client()
    # Opening the link (as a mail scanner does) takes nothing: it asks to go on.
    asked = scanner.get(link)
    assert asked.status_code == 200
    assert "Take part in this browser" in asked.content.decode()
    assert SECRET_IDEA not in asked.content.decode()
    assert first.post(link).status_code == 302
    assert first.get(f"/q/{question.pk}/").status_code == 200
    assert first.get(link).status_code == 302  # again: still theirs
    for other in (second, scanner):
        refused = other.post(link)
        assert refused.status_code == 403
        assert "opened in another browser already" in refused.content.decode()
        assert other.get(link).status_code == 403
        assert other.get(f"/q/{question.pk}/").status_code == 403
    first.post(f"/q/{question.pk}/join/", {"name": "Ivy"})
    invitation = Invitation.objects.get(pk=new.invitation.pk)
    assert invitation.participant.name == "Ivy"
    assert invitation.state == "used"


def test_a_revoked_invitation_lets_nobody_in_any_more(restricted):
    question = restricted("invitation")
    new = invitations.invitation_create_links(question=question, count=1)[0]
    guest = Client()
    guest.post(f"/q/{question.pk}/i/{new.key}/")
    guest.post(f"/q/{question.pk}/ideas/", {"title": "Before", "name": "Ivy"})
    assert Idea.objects.filter(title="Before").exists()
    invitations.invitation_revoke(invitation=new.invitation)
    gate = guest.get(f"/q/{question.pk}/")
    assert gate.status_code == 403
    assert "withdrawn" in gate.content.decode()
    guest.post(f"/q/{question.pk}/ideas/", {"title": "After"})
    assert not Idea.objects.filter(title="After").exists()
    assert Client().post(f"/q/{question.pk}/i/{new.key}/").status_code == 403


def test_an_unknown_invitation_key_is_not_found(restricted):
    question = restricted("invitation")
    assert Client().get(f"/q/{question.pk}/i/{'x' * 22}/").status_code == 404


def test_the_gate_says_what_is_needed(restricted):
    account = Client().get(f"/q/{restricted('account').pk}/")
    assert account.status_code == 403
    page = account.content.decode()
    assert "/accounts/login/?next=%2Fq%2F" in page
    invitation = Client().get(f"/q/{restricted('invitation').pk}/").content.decode()
    assert "This question is by invitation" in invitation
    for page in (account.content.decode(), invitation):
        assert "Where should the team offsite be?" not in page  # not even the title
    assert account["Cache-Control"] == "private, no-store"


def test_the_gate_speaks_german(restricted):
    page = Client().get(f"/q/{restricted('invitation').pk}/", HTTP_ACCEPT_LANGUAGE="de")
    assert "Diese Frage ist nur auf Einladung" in page.content.decode()


# Nothing leaks -------------------------------------------------------------------------------


# The live stream reads on threads of its own, which see only committed rows.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["account", "password", "invitation"])
def test_nothing_of_a_restricted_question_reaches_an_outsider(restricted, mode):
    question = restricted(mode, allow_exports=True, allow_embed=True)
    q, idea = question.pk, Idea.objects.get(question=question)
    organiser = Client()
    organiser.get(f"/q/{q}/a/{question.admin_key}/")
    # The organiser's and an admitted reader's renders are made first: none may be served on.
    assert SECRET_IDEA in organiser.get(f"/q/{q}/").content.decode()
    assert organiser.get(f"/embed/{q}/", HTTP_SEC_FETCH_DEST="iframe").status_code == 200
    outsider = Client()
    htmx = {"HTTP_HX_REQUEST": "true"}
    answers = {
        "page": outsider.get(f"/q/{q}/"),
        "ideas fragment": outsider.get(f"/q/{q}/?part=ideas", **htmx),
        "comments fragment": outsider.get(f"/q/{q}/?part=comment_list", **htmx),
        "idea page": outsider.get(f"/q/{q}/ideas/{idea.pk}/"),
        "idea row": outsider.get(f"/q/{q}/ideas/{idea.pk}/?part=row", **htmx),
        "events": outsider.get(f"/q/{q}/events?since=0"),
        "api events": outsider.get(f"/api/v1/questions/{q}/events?since=0"),
        "report": outsider.get(f"/q/{q}/report/"),
        "csv": outsider.get(f"/q/{q}/export/ideas.csv"),
        "xlsx": outsider.get(f"/q/{q}/export/results.xlsx"),
        "json": outsider.get(f"/q/{q}/export/results.json"),
        "embed": outsider.get(f"/embed/{q}/", HTTP_SEC_FETCH_DEST="iframe"),
        "qr": outsider.get(f"/q/{q}/qr.svg"),
        "join": outsider.post(f"/q/{q}/join/", {"name": "Mallory"}),
        "idea": outsider.post(f"/q/{q}/ideas/", {"title": "Spam", "name": "Mallory"}),
        "api question": outsider.get(f"/api/v1/questions/{q}"),
        "api ideas": outsider.get(f"/api/v1/questions/{q}/ideas"),
        "api idea": outsider.get(f"/api/v1/questions/{q}/ideas/{idea.pk}"),
        "api comments": outsider.get(f"/api/v1/questions/{q}/comments"),
        "api results": outsider.get(f"/api/v1/questions/{q}/results"),
        "api join": outsider.post(
            f"/api/v1/questions/{q}/participants", {"name": "Mallory"}, "application/json"
        ),
    }
    for surface, response in answers.items():
        assert response.status_code == 403, surface
        body = b"".join(response) if response.streaming else response.content
        assert SECRET_IDEA.encode() not in body, surface
    assert (
        answers["api question"].json()["needs"]
        == {
            "account": "login",
            "password": "password",
            "invitation": "invitation",
        }[mode]
    )
    assert answers["ideas fragment"]["HX-Refresh"] == "true"
    assert not Participant.objects.filter(name="Mallory").exists()
    assert not Idea.objects.filter(title="Spam").exists()


# The organiser's side ------------------------------------------------------------------------


def test_the_organiser_chooses_who_may_take_part_on_the_settings_page(question, alice):
    page = alice.get(f"/q/{question.pk}/settings/").content.decode()
    assert "Who may take part" in page
    form = {"title": question.title, "time_zone": "UTC", "taking_part": "password"}
    refused = alice.post(f"/q/{question.pk}/settings/", form)
    assert refused.status_code == 422
    assert "Choose a password" in refused.content.decode()
    saved = alice.post(f"/q/{question.pk}/settings/", {**form, "password": PASSWORD})
    assert saved.status_code == 302
    question.refresh_from_db()
    assert question.taking_part == "password"
    assert question.password_hash.startswith("md5$")  # hashed by Django's hashers
    assert PASSWORD not in alice.get(f"/q/{question.pk}/settings/").content.decode()


def test_the_api_settings_take_the_password_but_never_give_it_back(db):
    response = Caller().post("/questions", {"title": "Which venue?"})
    q, organiser = response.data["id"], Caller(response.data["admin_token"])
    missing = organiser.patch(f"/questions/{q}", {"settings": {"taking_part": "password"}})
    assert missing.status_code == 400
    assert missing.data["errors"][0]["field"] == "settings.password"
    short = organiser.patch(f"/questions/{q}", {"settings": {"password": "ab"}})
    assert short.status_code == 400
    settings = {"taking_part": "password", "password": PASSWORD}
    saved = organiser.patch(f"/questions/{q}", {"settings": settings})
    assert saved.status_code == 200
    assert saved.data["settings"]["taking_part"] == "password"
    assert PASSWORD not in json.dumps(saved.data)


# The worker's pass sends the queued mail on connections of its own: the test's rows must be
# committed for it to see them.
@pytest.mark.django_db(transaction=True)
def test_invitations_by_email_send_each_address_its_own_link(question, alice):
    answer = alice.post(
        f"/q/{question.pk}/invitations/", {"emails": "ann@example.org\nben@example.org"}
    )
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "private, no-store"
    assert mail.outbox == []  # queued: the worker sends them
    run_due()
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "ben@example.org"]
    links = [line for m in mail.outbox for line in m.body.splitlines() if "/i/" in line]
    assert len(set(links)) == 2
    assert all(link in answer.content.decode() for link in links)
    bad = alice.post(f"/q/{question.pk}/invitations/", {"emails": "not an address"})
    assert bad.status_code == 422
    assert "is not an e-mail address" in bad.content.decode()


def test_the_organiser_lists_and_revokes_invitations(question, alice):
    alice.post(f"/q/{question.pk}/invitations/", {"count": "2", "label": "Table"})
    invitation = Invitation.objects.get(question=question, label="Table 1")
    page = alice.get(f"/q/{question.pk}/settings/").content.decode()
    assert "Table 1" in page and "Table 2" in page and "not used yet" in page
    alice.post(f"/q/{question.pk}/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert invitation.state == "revoked"


@pytest.mark.django_db(transaction=True)
def test_the_api_makes_lists_and_revokes_invitations(transactional_db):
    response = Caller().post("/questions", {"title": "Which venue?"})
    q, organiser = response.data["id"], Caller(response.data["admin_token"])
    made = organiser.post(f"/questions/{q}/invitations", {"count": 2, "label": "Desk"})
    assert made.status_code == 201
    assert [i["label"] for i in made.data["invitations"]] == ["Desk 1", "Desk 2"]
    assert all(i["url"] for i in made.data["invitations"])
    listed = organiser.get(f"/questions/{q}/invitations").data["invitations"]
    assert [i["url"] for i in listed] == [None, None]  # shown once only
    first = listed[0]["id"]
    revoked = organiser.post(f"/questions/{q}/invitations/{first}/revoke")
    assert revoked.data["state"] == "revoked"
    assert organiser.post(f"/questions/{q}/invitations", {}).status_code == 400
    mailed = organiser.post(f"/questions/{q}/invitations", {"emails": ["zoe@example.org"]})
    assert mailed.status_code == 201
    run_due()
    assert mail.outbox[0].to == ["zoe@example.org"]
    assert Caller().get(f"/questions/{q}/invitations").status_code == 401


def test_an_invitation_key_lets_one_api_client_in(db):
    response = Caller().post("/questions", {"title": "Which venue?"})
    q, organiser = response.data["id"], Caller(response.data["admin_token"])
    organiser.patch(f"/questions/{q}", {"settings": {"taking_part": "invitation"}})
    made = organiser.post(f"/questions/{q}/invitations", {"count": 1}).data["invitations"][0]
    key = made["url"].rstrip("/").rsplit("/", 1)[1]
    path = f"/questions/{q}/participants"
    assert Caller().post(path, {"name": "Ivy", "invitation": key}).status_code == 201
    again = Caller().post(path, {"name": "Ivan", "invitation": key})
    assert again.status_code == 409
    assert again.data["code"] == "used"


# Co-organisers --------------------------------------------------------------------------------


def test_a_co_organiser_is_added_by_the_address_of_their_account(question, alice):
    cora = _user("cora@example.org")
    unknown = alice.post(f"/q/{question.pk}/co-organisers/", {"email": "nobody@example.org"})
    assert unknown.status_code == 422
    assert "No account has this e-mail address" in unknown.content.decode()
    added = alice.post(f"/q/{question.pk}/co-organisers/", {"email": "CORA@example.org"})
    assert added.status_code == 302
    assert CoOrganiser.objects.filter(question=question, user=cora).exists()
    assert "cora@example.org" in alice.get(f"/q/{question.pk}/settings/").content.decode()

    # The key holder's page is rendered first: its render, with the admin link, is not theirs.
    assert "/a/" in alice.get(f"/q/{question.pk}/").content.decode()
    browser = Client()
    browser.force_login(cora)
    page = browser.get(f"/q/{question.pk}/").content.decode()
    assert "You organise this question" in page
    assert "You organise this question through your account" in page
    assert "/a/" not in page  # the admin link is not theirs to see
    assert browser.get(f"/q/{question.pk}/settings/").status_code == 200
    # They may not replace the admin link: that would lock out whoever holds it.
    refused = browser.get(f"/q/{question.pk}/admin-link/")
    assert refused.status_code == 403
    assert "Only the account that asked the question" in refused.content.decode()

    alice.post(f"/q/{question.pk}/co-organisers/{cora.pk}/remove/")
    assert browser.get(f"/q/{question.pk}/settings/").status_code == 404


def test_the_creator_cannot_be_made_a_co_organiser_or_removed(question, alice):
    creator = _user("olga@example.org")
    Question.objects.filter(pk=question.pk).update(created_by=creator)
    refused = alice.post(f"/q/{question.pk}/co-organisers/", {"email": "olga@example.org"})
    assert refused.status_code == 422
    assert "organises the question already" in refused.content.decode()
    alice.post(f"/q/{question.pk}/co-organisers/{creator.pk}/remove/")
    question.refresh_from_db()
    assert question.created_by == creator


def test_the_api_lists_adds_and_removes_co_organisers(db):
    response = Caller().post("/questions", {"title": "Which venue?"})
    q, organiser = response.data["id"], Caller(response.data["admin_token"])
    cora = _user("cora@example.org")
    path = f"/questions/{q}/co-organisers"
    unknown = organiser.post(path, {"email": "nobody@example.org"})
    assert unknown.status_code == 409
    assert unknown.data["code"] == "no_account"
    assert organiser.post(path, {"email": "not an address"}).status_code == 400
    added = organiser.post(path, {"email": "cora@example.org"})
    assert added.status_code == 201
    assert [c["email"] for c in added.data["co_organisers"]] == ["cora@example.org"]
    assert organiser.delete(f"{path}/{cora.pk}").status_code == 204
    assert organiser.get(path).data["co_organisers"] == []
