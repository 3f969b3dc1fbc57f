"""Security headers on every page and state, cookies and HSTS under production settings, and the
settings that bound what one request may cost (docs/reliability.md #25-#27, ASVS 3.3, 3.4).

The production values come from ponder/settings.py itself, loaded in a fresh interpreter with
PONDER_HTTPS=1, so a change there that weakens them fails here.
"""

import json
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.shortcuts import render
from django.test import Client, override_settings
from django.urls import path

from conftest import Person
from ponder.questions import services
from ponder.questions.models import Idea, Participant, Question

NONCE = re.compile(r"'nonce-([^']+)'")


@dataclass
class Page:
    name: str
    status: int
    private: bool  # reached by an unguessable link: not for search engines
    framable: bool = False


def _policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.fixture
def idea(question: Question, alice: Person) -> Idea:
    author = Participant.objects.get(question=question, name="Alice")
    return services.idea_add(question=question, author=author, title="Lisbon")


@pytest.fixture
def closed(make_question, db) -> tuple[Question, Person]:
    """A closed question with a vote, seen by its organiser: the result page."""
    question, key = make_question("Which day?")
    dora = Person("Dora").organise(question, key).join(question)
    author = Participant.objects.get(question=question, name="Dora")
    monday = services.idea_add(question=question, author=author, title="Monday")
    services.vote_cast(idea=monday, participant=author)
    services.question_close(question=question)
    return question, dora


def _embedded(question, person):
    Question.objects.filter(pk=question.pk).update(allow_embed=True)
    return person.get(f"/embed/{question.pk}/")


def _fetch(name: str, question, idea, alice, bob, mallory, closed, settings) -> tuple[Page, object]:
    """One page or state, fetched as the person who would see it."""
    q, i = question.pk, idea.pk
    results_question, dora = closed
    fetches = {
        "home": (Page("home", 200, private=False), lambda: mallory.get("/")),
        "accessibility": (
            Page("accessibility", 200, private=False),
            lambda: mallory.get("/accessibility/"),
        ),
        "question as organiser": (Page("", 200, True), lambda: alice.get(f"/q/{q}/")),
        "question as participant": (Page("", 200, True), lambda: bob.get(f"/q/{q}/")),
        "question as anonymous": (Page("", 200, True), lambda: mallory.get(f"/q/{q}/")),
        "question fragment (htmx)": (
            Page("", 200, True),
            lambda: bob.get(f"/q/{q}/", HTTP_HX_REQUEST="true"),
        ),
        "idea": (Page("", 200, True), lambda: bob.get(f"/q/{q}/ideas/{i}/")),
        "edit": (Page("", 200, True), lambda: alice.get(f"/q/{q}/idea/{i}/edit/")),
        "delete": (Page("", 200, True), lambda: alice.get(f"/q/{q}/idea/{i}/delete/")),
        "settings": (Page("", 200, True), lambda: alice.get(f"/q/{q}/settings/")),
        "settings with an error": (
            Page("", 422, True),
            lambda: alice.post(f"/q/{q}/settings/", {"title": ""}),
        ),
        "results": (Page("", 200, True), lambda: dora.get(f"/q/{results_question.pk}/")),
        "report": (Page("", 200, True), lambda: alice.get(f"/q/{q}/report/")),
        "embed": (Page("", 200, True, framable=True), lambda: _embedded(question, mallory)),
        "embed, turned off": (Page("", 403, True), lambda: mallory.get(f"/embed/{q}/")),
        "404": (Page("", 404, True), lambda: mallory.get("/q/AAAAAAAAAAAA/")),
        "404 outside questions": (Page("", 404, False), lambda: mallory.get("/nothing-here/")),
        "403 (CSRF refused)": (
            Page("", 403, True),
            lambda: Client(enforce_csrf_checks=True).post(f"/q/{q}/join/", {"name": "Eve"}),
        ),
        "413": (
            Page("", 413, True),
            lambda: bob.post(
                f"/q/{q}/comments/", {"text": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
            ),
        ),
        "API docs": (Page("", 200, True), lambda: mallory.get("/api/v1/docs")),
    }
    page, fetch = fetches[name]
    page.name = name
    return page, fetch()


PAGES = [
    "home",
    "accessibility",
    "question as organiser",
    "question as participant",
    "question as anonymous",
    "question fragment (htmx)",
    "idea",
    "edit",
    "delete",
    "settings",
    "settings with an error",
    "results",
    "report",
    "embed",
    "embed, turned off",
    "404",
    "404 outside questions",
    "403 (CSRF refused)",
    "413",
    "API docs",
]


@pytest.fixture
def fetch(question, idea, alice, bob, mallory, closed, settings):
    return lambda name: _fetch(name, question, idea, alice, bob, mallory, closed, settings)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_sends_a_strict_content_security_policy(fetch, name):
    page, response = fetch(name)
    assert response.status_code == page.status
    assert response["Content-Type"].startswith("text/html")
    policy = _policy(response)
    scripts = policy.get("script-src", policy.get("default-src"))
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert "'unsafe-inline'" not in policy.get("default-src", [])
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]


@pytest.mark.parametrize("name", PAGES)
def test_every_script_on_every_page_comes_from_this_site_or_carries_the_nonce(fetch, name):
    """Ponder's pages load their scripts from /static/ and have no inline ones; Django then leaves
    the unused nonce out of the header, and script-src is 'self' alone."""
    _, response = fetch(name)
    nonce = NONCE.search(response["Content-Security-Policy"])
    html = response.content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        if "src=" in tag:
            assert re.search(r'src="/static/[^"]+"', tag), tag
        else:
            assert nonce and f'nonce="{nonce.group(1)}"' in tag, tag
    # No event handler attributes either: 'self' would not let them run, so they would be dead.
    assert not re.search(r"<[^>]+\son[a-z]+=", html)


def nonce_page(request):
    """A page with an inline script, as a future template might have one."""
    return render(request, "nonce_page.html")


urlpatterns = [path("nonce/", nonce_page)]


@override_settings(
    ROOT_URLCONF=__name__,
    TEMPLATES=[
        {
            **django_settings.TEMPLATES[0],
            "APP_DIRS": False,
            "OPTIONS": {
                **django_settings.TEMPLATES[0]["OPTIONS"],
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {"nonce_page.html": '<script nonce="{{ csp_nonce }}">go()</script>'},
                    )
                ],
            },
        }
    ],
)
def test_an_inline_script_gets_a_nonce_that_is_new_on_every_response(db):
    client = Client()
    responses = [client.get("/nonce/") for _ in range(2)]
    nonces = []
    for response in responses:
        header = NONCE.search(response["Content-Security-Policy"])
        assert header, "the page uses a nonce but the header does not name it"
        assert response.content.decode() == f'<script nonce="{header.group(1)}">go()</script>'
        assert "'unsafe-inline'" not in _policy(response)["script-src"]
        nonces.append(header.group(1))
    assert nonces[0] != nonces[1]
    assert len(nonces[0]) >= 16  # 96 bits or more, base64


@pytest.mark.parametrize("name", PAGES)
def test_only_the_embed_page_may_be_framed(fetch, name):
    page, response = fetch(name)
    ancestors = _policy(response)["frame-ancestors"]
    if page.framable:
        assert "X-Frame-Options" not in response
        assert ancestors == django_settings.PONDER_EMBED_ORIGINS
    else:
        assert response["X-Frame-Options"] == "DENY"
        assert ancestors == ["'none'"]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_forbids_sniffing_and_keeps_its_address_to_itself(fetch, name):
    _, response = fetch(name)
    assert response["X-Content-Type-Options"] == "nosniff"
    # same-origin: a question's private link never travels to another site in a Referer.
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("name", PAGES)
def test_private_pages_ask_search_engines_not_to_index_them(fetch, name):
    page, response = fetch(name)
    if page.private:
        assert response["X-Robots-Tag"] == "noindex, nofollow"
    else:
        assert "X-Robots-Tag" not in response


def test_the_api_and_the_exports_are_not_indexed_either(question, alice):
    for url in (
        f"/api/v1/questions/{question.pk}",
        f"/q/{question.pk}/export/ideas.csv",
        f"/q/{question.pk}/qr.svg",
    ):
        response = alice.get(url)
        assert response.status_code == 200, url
        assert response["X-Robots-Tag"] == "noindex, nofollow", url


# Production settings ------------------------------------------------------------------------

PRODUCTION_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "CSRF_COOKIE_NAME",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SAMESITE",
    "HTTPS",
    "DEBUG",
]


def _settings_with(env: dict[str, str], names: list[str], tmp_path) -> dict:
    """ponder/settings.py as a fresh process reads it under this environment."""
    script = (
        "import json, os, sys\n"
        "from ponder import settings as s\n"
        "print(json.dumps({n: getattr(s, n, None) for n in sys.argv[1:]}, default=str))\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PONDER_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "ponder.example.org",
        **env,
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, *names],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    values = _settings_with(
        {"PONDER_HTTPS": "1"}, PRODUCTION_SETTINGS, tmp_path_factory.mktemp("prod")
    )
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


def test_production_settings_turn_on_https_everything(production):
    assert production["HTTPS"] is True
    assert production["DEBUG"] is False
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["LANGUAGE_COOKIE_SECURE"]
    assert production["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert production["CSRF_COOKIE_NAME"].startswith("__Host-")


def _set_cookies(*responses) -> dict[str, str]:
    """Every cookie the responses set, as the Set-Cookie line a browser reads."""
    return {name: morsel.OutputString() for r in responses for name, morsel in r.cookies.items()}


def _attributes(line: str) -> dict[str, str]:
    _, *parts = line.split("; ")
    attributes = {}
    for part in parts:
        key, _, value = part.partition("=")
        attributes[key.lower()] = value
    return attributes


def _browse_everything(question: Question, idea: Idea, **https) -> list:
    """A browser that does everything that sets a cookie: organise, join, vote, a message, the
    language switcher."""
    browser = Client(enforce_csrf_checks=False)
    responses = [
        browser.get(f"/q/{question.pk}/a/{question.admin_key}/", **https),
        browser.get(f"/q/{question.pk}/", **https),
        browser.post(f"/q/{question.pk}/join/", {"name": "Alice"}, **https),
        browser.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/", **https),
        browser.post("/i18n/setlang/", {"language": "de", "next": "/"}, **https),
    ]
    assert all(r.status_code in {200, 302} for r in responses), [r.status_code for r in responses]
    return responses


def test_under_https_every_cookie_is_secure_httponly_and_same_site(question, idea, production):
    with override_settings(**production):
        cookies = _set_cookies(*_browse_everything(question, idea, secure=True))
    csrf = production["CSRF_COOKIE_NAME"]
    assert csrf in cookies
    assert {"ponder_participant", "ponder_name", "django_language"} <= set(cookies)
    assert any(name.startswith("ponder_admin_") for name in cookies)
    for name, line in cookies.items():
        attributes = _attributes(line)
        assert "secure" in attributes, line
        assert attributes.get("samesite") == "Lax", line
        # The CSRF token is the one cookie pages need no script to read, but it stays HttpOnly
        # where Django allows: every form carries the token itself.
        if name != csrf:
            assert "httponly" in attributes, line


def test_under_https_the_session_and_csrf_cookies_are_host_only(question, idea, production):
    """__Host- cookies must be Secure, Path=/ and without Domain: no subdomain can plant them."""
    with override_settings(**production):
        cookies = _set_cookies(*_browse_everything(question, idea, secure=True))
    prefixed = {name: line for name, line in cookies.items() if name.startswith("__Host-")}
    assert production["CSRF_COOKIE_NAME"] in prefixed
    for line in prefixed.values():
        attributes = _attributes(line)
        assert attributes["path"] == "/" and "domain" not in attributes and "secure" in attributes


def test_under_https_the_embed_keeps_its_cookies_usable_in_a_frame(question, production):
    Question.objects.filter(pk=question.pk).update(allow_embed=True)
    with override_settings(**production):
        page = Client().get(f"/embed/{question.pk}/", secure=True)
    csrf = _set_cookies(page)[production["CSRF_COOKIE_NAME"]]
    assert "SameSite=None; Partitioned" in csrf
    assert "Secure" in csrf and "Path=/" in csrf and "Domain" not in csrf


def test_under_https_every_answer_carries_hsts_for_a_year_with_subdomains(question, production):
    with override_settings(**production):
        for path in ("/", f"/q/{question.pk}/", "/q/AAAAAAAAAAAA/", "/healthz"):
            response = Client().get(path, secure=True)
            hsts = response["Strict-Transport-Security"]
            age = int(re.search(r"max-age=(\d+)", hsts).group(1))
            assert age >= 31536000 and "includeSubDomains" in hsts, path


def test_under_https_plain_http_is_redirected(question, production):
    with override_settings(**production):
        response = Client().get(f"/q/{question.pk}/")
    assert response.status_code == 301
    assert response["Location"] == f"https://testserver/q/{question.pk}/"


def test_under_https_the_proxy_header_marks_a_request_secure_from_a_trusted_proxy_only(
    question, production
):
    # The test client comes from 127.0.0.1: nginx on the same machine, once it is named.
    with override_settings(**production, PONDER_TRUSTED_PROXIES="127.0.0.1"):
        response = Client().get(f"/q/{question.pk}/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    # Named nowhere, anyone could claim HTTPS: the claim is dropped and the redirect stands.
    for trusted in ("", "10.0.0.0/8"):
        with override_settings(**production, PONDER_TRUSTED_PROXIES=trusted):
            response = Client().get(f"/q/{question.pk}/", HTTP_X_FORWARDED_PROTO="https")
        assert response.status_code == 301, trusted


def test_check_deploy_warns_of_https_with_no_trusted_proxy(production):
    from django.core.checks.registry import registry

    from ponder.proxies import check_trusted_proxies

    assert check_trusted_proxies in registry.get_checks(include_deployment_checks=True)
    assert check_trusted_proxies not in registry.get_checks()

    def warnings(**values: object) -> list[str]:
        with override_settings(**values):
            return [m.id for m in check_trusted_proxies()]

    assert warnings(**production, PONDER_TRUSTED_PROXIES="") == ["ponder.W001"]
    assert warnings(**production, PONDER_TRUSTED_PROXIES="127.0.0.1") == []
    assert warnings(HTTPS=False, PONDER_TRUSTED_PROXIES="") == []


# Settings that bound one request, and the database ------------------------------------------


def test_a_request_body_and_its_fields_are_bounded():
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 256 * 1024
    assert django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS <= 1000
    assert django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2621440


def test_sqlite_takes_the_write_lock_up_front_and_runs_in_wal_mode(tmp_path):
    databases = _settings_with({}, ["DATABASES"], tmp_path)["DATABASES"]
    options = databases["default"]["OPTIONS"]
    assert databases["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    busy = int(re.search(r"busy_timeout=(\d+)", options["init_command"]).group(1))
    assert busy >= 5000


def test_a_fresh_sqlite_database_really_is_in_wal_mode(tmp_path):
    script = (
        "import django, os\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'ponder.settings'\n"
        "django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    print(c.execute('PRAGMA journal_mode').fetchone()[0])\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PONDER_DATA_DIR": str(tmp_path), "SECRET_KEY": "x" * 60}
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "wal", result.stderr


def test_postgresql_connections_come_from_a_bounded_pool(tmp_path):
    url = "postgres://ponder@127.0.0.1:5432/ponder"
    databases = _settings_with({"DATABASE_URL": url}, ["DATABASES"], tmp_path)["DATABASES"]
    default = databases["default"]
    assert default["ENGINE"] == "django.db.backends.postgresql"
    # A pool per process instead of persistent per-thread connections (see settings.py): no
    # connection outlives its request, so a dead one is never handed out.
    assert default["CONN_MAX_AGE"] == 0
    pool = default["OPTIONS"]["pool"]
    assert 1 <= pool["max_size"] <= 50 and pool["timeout"] <= 30
