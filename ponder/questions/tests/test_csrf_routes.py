"""Every route of the URLconf, enumerated (docs/reliability.md #18, ASVS 3.5.1 and 3.5.3).

- A page route refuses every write (POST, PUT, PATCH, DELETE) from a browser that holds a valid
  participant or organiser cookie but sends no CSRF token, or sends one from a foreign Origin.
- The API takes only Bearer tokens: the same cookies write nothing through it.
- No GET changes anything: crawling every GET route as organiser, participant and anonymous, with
  the question open and closed, leaves every row of every table as it was.

The routes come from django.urls.get_resolver(), so a new route is covered the day it is added;
a route with a URL parameter this file does not know how to fill fails `ROUTE_PARAMETERS`, and an
API write with no body here fails the Bearer control.
"""

import hashlib
import io
import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from PIL import Image

from conftest import Person
from ponder.api.api import api
from ponder.notifications.models import Subscription
from ponder.questions import images, invitations, services
from ponder.questions.crowds import network_of
from ponder.questions.models import (
    Argument,
    Comment,
    CoOrganiser,
    Idea,
    Invitation,
    Participant,
    Question,
    Survey,
)

WRITES = ("post", "put", "patch", "delete")
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
API_PREFIX = "api/v1/"


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            # allauth's OpenID Connect routes are regular expressions: named as the others.
            route = re.sub(r"\^?\(\?P<(\w+)>[^)]*\)", r"<\1>", prefix + str(pattern.pattern))
            yield route.replace("^", "").replace("$", ""), pattern.callback


ALL_ROUTES = list(_walk(get_resolver().url_patterns))
# Routes of the JSON API that ninja serves; the live stream under /api/ is a plain Django view.
NINJA = {route for route, callback in ALL_ROUTES if callback.__module__.startswith("ninja.")}
ROUTES = sorted({route for route, _ in ALL_ROUTES})
PAGE_ROUTES = [route for route in ROUTES if route not in NINJA]
# RFC 8058's one-click unsubscribe: a mail program posts with no cookie and no token; the
# subscription's id in the URL is the authority, and all it can do is turn mails off
# (ponder/notifications/tests test it).
ONE_CLICK = {"n/<key:subscription_id>/unsubscribe/"}
CSRF_PAGE_ROUTES = [route for route in PAGE_ROUTES if route not in ONE_CLICK]


def _openapi_methods() -> dict[str, set[str]]:
    """The API's routes (as the URLconf spells them) and the methods each answers."""
    methods = {}
    for path, operations in api.get_openapi_schema()["paths"].items():
        route = re.sub(r"\{(\w+)\}", r"<\1>", path).lstrip("/")
        methods[route] = {method for method in operations if method in {"get", *WRITES}}
    return methods


API_METHODS = _openapi_methods()
API_WRITES = sorted((r, m) for r, ms in API_METHODS.items() for m in ms if m in WRITES)
API_READS = sorted(r for r, ms in API_METHODS.items() if "get" in ms)


@dataclass
class World:
    question: Question
    admin_key: str
    idea: Idea
    argument: Argument
    comment: Comment
    people: dict[str, Person]
    tokens: dict[str, str | None]  # the API token of each role
    invitation: Invitation | None = None
    invitation_key: str = ""
    co_organiser: object = None  # an account with the organiser's rights
    subscription: object = None  # an address's notifications of the question

    def entry(self, kind: str) -> Idea | Argument | Comment:
        return {"idea": self.idea, "argument": self.argument, "comment": self.comment}[kind]


# How to fill each URL parameter: one or several values, from the world. A route with a
# parameter not named here fails: add it, with real objects, before the route can ship.
ROUTE_PARAMETERS = {
    "question_id": lambda w: [w.question.pk],
    "idea_id": lambda w: [w.idea.pk],
    "argument_id": lambda w: [w.argument.pk],
    "comment_id": lambda w: [w.comment.pk],
    "admin_key": lambda w: [w.admin_key],
    "table": lambda w: ["ideas", "arguments", "votes", "comments"],
    # kind and entry_id go together: an idea's id under idea/, and so on.
    "kind": lambda w: ["idea", "argument", "comment"],
    "entry_id": None,
    # The network the test client's names joined from (a crowd of the organiser's view).
    "network": lambda w: [network_of("127.0.0.1")],
    # The question is one of a survey's (its admin key is the survey's too).
    "survey_id": lambda w: [w.question.survey_id],
    "change": lambda w: ["up", "down", "remove"],
    # The idea's picture and its thumbnail.
    "name": lambda w: [w.idea.image_file, w.idea.thumb_file],
    # Bob, who wrote the entries (a participant the organiser may remove).
    "participant_id": lambda w: [w.idea.author_id],
    # An account's API token (/me/tokens/<id>/revoke/): nobody here is logged in, so any number
    # does; the account's own tests revoke real ones (ponder/accounts/tests/test_tokens.py).
    "token_id": lambda w: [1],
    # An OpenID Connect provider's id (none is configured here: the routes answer 404).
    "provider_id": lambda w: ["google"],
    "invitation_id": lambda w: [w.invitation.pk],
    "key": lambda w: [w.invitation_key],
    "user_id": lambda w: [w.co_organiser.pk],
    "subscription_id": lambda w: [w.subscription.pk],
}


def urls_for(route: str, world: World) -> list[str]:
    names = [name for _, name in PARAMETER.findall(route)]
    unknown = [name for name in names if name not in ROUTE_PARAMETERS]
    if unknown:
        pytest.fail(f"/{route}: no values for {unknown}; add them to ROUTE_PARAMETERS")
    urls = ["/" + route]
    for name in names:
        if name == "entry_id":
            continue
        urls = [
            url.replace(PARAMETER.search(url).group(0), str(value), 1)
            for url in urls
            for value in ROUTE_PARAMETERS[name](world)
        ]
    if "entry_id" in names:
        assert "kind" in names, route
        urls = [
            re.sub(r"<(?:\w+:)?entry_id>", world.entry(kind).pk, url)
            for url in urls
            for kind in ("idea", "argument", "comment")
            if f"/{kind}/" in url
        ]
    assert urls and not any("<" in url for url in urls), (route, urls)
    return urls


def snapshot() -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of all its rows."""
    state = {}
    for model in apps.get_models():
        rows = list(model.objects.order_by("pk").values_list())
        state[model._meta.label] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return state


@pytest.fixture
def world(question, alice, bob, mallory, settings, tmp_path) -> World:
    settings.STORAGES = {
        **settings.STORAGES,
        "images": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "images", "base_url": None},
        },
    }
    author = Participant.objects.get(question=question, name="Bob")
    picture = images.prepare(_a_picture())
    idea = services.idea_add(
        question=question, author=author, title="Lisbon", image=picture, image_alt="A tram"
    )
    argument = services.argument_add(idea=idea, author=author, kind="pro", text="Sunny")
    comment = services.comment_add(question=question, author=author, text="Any date works")
    services.vote_cast(idea=idea, participant=author)
    services.like_add(argument=argument, participant=author)
    services.idea_add(question=question, author=author, title="Porto")  # a duplicate to merge
    base = f"/api/v1/questions/{question.pk}/participants"
    # The organiser takes part through the API with the admin token; Pat joins with a name.
    joined = Client().post(
        base,
        {"name": "Alice"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {question.admin_key}",
    )
    assert joined.status_code in {200, 201}, joined.content
    pat = Client().post(base, {"name": "Pat"}, content_type="application/json")
    assert pat.status_code == 201, pat.content
    for person in (alice, bob, mallory):
        person.get(f"/q/{question.pk}/")  # now each holds a CSRF cookie, as a browser would
    survey = Survey.objects.create(title="Plans", admin_key_hash=question.admin_key_hash)
    Question.objects.filter(pk=question.pk).update(survey=survey)
    question.survey_id = survey.pk
    invited = invitations.invitation_create_links(question=question, count=1)[0]
    cora = get_user_model().objects.create_user(username="cora", email="cora@example.org")
    CoOrganiser.objects.create(question=question, user=cora)
    subscription = Subscription.objects.create(
        question=question, email="pat@example.org", role="participant", base_url="http://t"
    )
    return World(
        question=question,
        admin_key=question.admin_key,
        idea=idea,
        argument=argument,
        comment=comment,
        people={"organiser": alice, "participant": bob, "anonymous": mallory},
        tokens={"organiser": question.admin_key, "participant": pat.json()["token"]},
        invitation=invited.invitation,
        invitation_key=invited.key,
        co_organiser=cora,
        subscription=subscription,
    )


def _a_picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "yellow").save(out, "PNG")
    return out.getvalue()


def _browser_of(person: Person) -> Client:
    """The person's browser, cookies and all, but one that checks CSRF as a real one is checked."""
    browser = Client(enforce_csrf_checks=True)
    browser.cookies = person.client.cookies
    return browser


FORM = {"name": "Eve", "title": "Hijacked", "text": "Hijacked", "kind": "pro", "language": "de"}


def _send(browser: Client, method: str, url: str, **extra):
    if method == "post":
        return browser.post(url, FORM, **extra)
    return getattr(browser, method)(url, "text=Hijacked", **extra)


def test_only_the_api_routes_skip_django_csrf_checks():
    exempt = {route for route, cb in ALL_ROUTES if getattr(cb, "csrf_exempt", False)}
    assert exempt == NINJA | ONE_CLICK
    assert all(route.startswith(API_PREFIX) for route in NINJA)
    # The URLconf and the API's own schema agree on what the API serves.
    assert set(API_METHODS) == NINJA


def test_every_route_has_values_for_its_parameters(world):
    for route in ROUTES:
        assert urls_for(route, world)


@pytest.mark.parametrize("role", ["organiser", "participant"])
@pytest.mark.parametrize("route", CSRF_PAGE_ROUTES)
def test_a_page_route_refuses_every_write_without_a_csrf_token(world, route, role):
    browser = _browser_of(world.people[role])
    assert browser.cookies.get("csrftoken"), "the browser should hold a CSRF cookie"
    before = snapshot()
    for url in urls_for(route, world):
        for method in WRITES:
            response = _send(browser, method, url)
            assert response.status_code == 403, (method.upper(), url, response.status_code)
            htmx = _send(browser, method, url, HTTP_HX_REQUEST="true")
            assert htmx.status_code == 403, (method.upper(), url, "htmx", htmx.status_code)
    assert snapshot() == before


@pytest.mark.parametrize("route", CSRF_PAGE_ROUTES)
def test_a_page_route_refuses_a_write_with_a_valid_token_from_a_foreign_origin(world, route):
    browser = _browser_of(world.people["organiser"])
    token = browser.cookies["csrftoken"].value
    before = snapshot()
    for url in urls_for(route, world):
        for method in WRITES:
            for origin in ("https://evil.example", "null", "http://testserver.evil.example"):
                response = _send(browser, method, url, HTTP_X_CSRFTOKEN=token, HTTP_ORIGIN=origin)
                assert response.status_code == 403, (method.upper(), url, origin)
    assert snapshot() == before


def test_the_same_token_from_the_sites_own_origin_goes_through(world):
    """The control for the test above: the token was good, only the Origin was wrong."""
    browser = _browser_of(world.people["participant"])
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        f"/q/{world.question.pk}/comments/",
        {"text": "From here"},
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 302
    assert Comment.objects.filter(text="From here").exists()


# The API: Bearer tokens only ----------------------------------------------------------------

# A valid body for each API write; a new write fails the control below until it has one here.
API_BODIES = {
    ("post", "api/v1/questions"): {"title": "Hijacked"},
    ("patch", "api/v1/questions/<question_id>"): {"title": "Hijacked"},
    ("post", "api/v1/questions/<question_id>/participants"): {"name": "Eve"},
    ("post", "api/v1/questions/<question_id>/ideas"): {"title": "Hijacked"},
    ("patch", "api/v1/ideas/<idea_id>"): {"title": "Hijacked"},
    ("post", "api/v1/ideas/<idea_id>/arguments"): {"kind": "pro", "text": "Hijacked"},
    ("patch", "api/v1/arguments/<argument_id>"): {"text": "Hijacked"},
    ("post", "api/v1/questions/<question_id>/comments"): {"text": "Hijacked"},
    ("patch", "api/v1/comments/<comment_id>"): {"text": "Hijacked"},
    ("post", "api/v1/questions/<question_id>/invitations"): {"count": 1},
    ("post", "api/v1/questions/<question_id>/co-organisers"): {"email": "cora@example.org"},
    ("post", "api/v1/questions/<question_id>/duplicate"): {"ideas": True},
    ("post", "api/v1/questions/<question_id>/crowds/<network>/remove"): {
        "since": "2000-01-01T00:00:00+00:00",
        "until": "2100-01-01T00:00:00+00:00",
    },
    ("post", "api/v1/surveys"): {"title": "Hijacked", "questions": [{"title": "Hijacked"}]},
    ("post", "api/v1/surveys/<survey_id>/questions"): {"title": "Hijacked"},
    **{
        ("post", f"api/v1/{kind}s/<{kind}_id>/{action}"): {"reason": "spam"}
        for kind in ("idea", "argument", "comment")
        for action in ("hide", "report")
    },
    ("post", "api/v1/questions/<question_id>/merge"): lambda w: {
        "keep": w.idea.pk,
        "merged": Idea.objects.filter(question=w.question).exclude(pk=w.idea.pk).get().pk,
    },
}
# Writes that the organiser may not make, made in the control below with a participant's token:
# a report (the organiser hides instead).
PARTICIPANTS_WRITES = {
    ("post", f"api/v1/{kind}s/<{kind}_id>/report") for kind in ("idea", "argument", "comment")
}
# Writes that need no token at all: they act as nobody in particular, so a cookie adds nothing.
NO_TOKEN_NEEDED = {
    ("post", "api/v1/questions"),
    ("post", "api/v1/questions/<question_id>/participants"),
    ("post", "api/v1/surveys"),
}
# The control's answer where the write goes through the token and is then refused by a rule: the
# question has contributions, so it stays in its survey (test_surveys.py removes an empty one).
REFUSED_BY_A_RULE = {("delete", "api/v1/surveys/<survey_id>/questions/<question_id>"): 409}


# A valid multipart/form-data body for each API upload.
API_FORMS = {
    ("post", "api/v1/ideas/<idea_id>/image"): lambda: {
        "image": SimpleUploadedFile("tram.png", _a_picture(), "image/png"),
        "alt": "Hijacked",
    },
}


def _api(client: Client, method: str, route: str, world: World, **extra):
    (url,) = urls_for(route, world)
    form = API_FORMS.get((method, route))
    if form is not None:
        return client.post(url, form(), **extra)
    body = API_BODIES.get((method, route))
    if callable(body):
        body = body(world)
    if body is None:
        return getattr(client, method)(url, **extra)
    return getattr(client, method)(url, body, content_type="application/json", **extra)


@pytest.mark.parametrize("role", ["organiser", "participant"])
@pytest.mark.parametrize(("route", "method"), API_WRITES)
def test_a_browsers_cookies_write_nothing_through_the_api(world, route, method, role):
    browser = _browser_of(world.people[role])
    token = browser.cookies["csrftoken"].value
    before = snapshot()
    # The cookies, and even a valid CSRF token, but no Authorization header.
    response = _api(browser, method, route, world, HTTP_X_CSRFTOKEN=token)
    if (method, route) in NO_TOKEN_NEEDED:
        assert response.status_code == 201, response.content
        # Taking part anew, not as the cookie's participant (who would get 200 and their name).
        if route.endswith("/participants"):
            assert response.json()["name"] == "Eve"
        return
    assert response.status_code in {401, 404}, (method.upper(), route, response.status_code)
    assert snapshot() == before


@pytest.mark.parametrize(("route", "method"), API_WRITES)
def test_the_same_api_write_with_the_bearer_token_goes_through(world, route, method):
    """The control for the test above: the body was good, only the token was missing."""
    token = world.admin_key
    if (method, route) in PARTICIPANTS_WRITES:
        token = world.tokens["participant"]
    response = _api(Client(), method, route, world, HTTP_AUTHORIZATION=f"Bearer {token}")
    if (method, route) in REFUSED_BY_A_RULE:
        assert response.status_code == REFUSED_BY_A_RULE[method, route], response.content
        return
    assert 200 <= response.status_code < 300, (method.upper(), route, response.content)


# No GET changes anything ----------------------------------------------------------------------


def _read(response) -> None:
    if response.streaming:
        b"".join(response.streaming_content)  # under WSGI the live stream answers once


# The live stream reads on threads of its own, which see only committed rows.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("state", ["open", "closed"])
@pytest.mark.parametrize("role", ["organiser", "participant", "anonymous"])
def test_crawling_every_get_route_changes_no_row(world, role, state):
    if state == "closed":
        services.question_close(question=world.question)
    person = world.people[role]
    token = world.tokens.get(role)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    before = snapshot()
    statuses = {}
    for route in ROUTES:
        if route in NINJA and route not in API_READS:
            continue  # the API answers 405 to a GET there, checked by its contract tests
        for url in urls_for(route, world):
            for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
                response = person.get(url, **(bearer if route in NINJA else {}), **extra)
                _read(response)
                assert response.status_code < 500, (url, response.status_code)
                if url.startswith(("/me/", "/api/v1/me")):
                    # An account's own, for the logged-in and account tokens only: crawled by
                    # ponder/accounts/tests/test_get_changes_nothing.py.
                    assert response.status_code in (302, 401, 405), (url, response.status_code)
                    continue
                statuses[url] = response.status_code
    assert snapshot() == before
    # The crawl really read pages, not only error answers, of the routes that take a GET at all
    # (a third at least: the organiser's moderation pages are 404 for the other roles; allauth's
    # account pages send a visitor who is not logged in to the login page, and are not counted).
    read = {
        url: status
        for url, status in statuses.items()
        if status != 405 and not url.startswith("/accounts/")
    }
    assert sum(status == 200 for status in read.values()) >= len(read) // 3, statuses
