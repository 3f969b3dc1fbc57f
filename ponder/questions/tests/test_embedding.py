"""Embedding is the organiser's choice (docs/product-rules.md P7): off by default, then no site
may frame /embed/<id>/, which says so; on, the sites the organiser named may (any site when they
named none). Every surface of the setting: the embed itself, the share panel, the settings form,
the API's read and write, and the rule (`Reader.may_embed`).

alice organises, bob takes part, mallory only has the link."""

import re

import pytest
from django.test import override_settings

from ponder.questions.access import Reader
from ponder.questions.models import Question

from .test_headers import _policy

SETTINGS = {"title": "Where should the team offsite be?", "time_zone": "UTC"}


def _embed_on(question: Question, origins: str = "") -> None:
    Question.objects.filter(pk=question.pk).update(allow_embed=True, embed_origins=origins)


def _api(person, method: str, path: str, body: dict | None = None, *, token: str):
    import json

    return person.client.generic(
        method,
        f"/api/v1{path}",
        json.dumps(body) if body is not None else "",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


# The embed page -------------------------------------------------------------------------------


def test_embedding_is_off_by_default_and_the_embed_says_so_and_refuses_any_frame(question, mallory):
    assert Question.objects.get(pk=question.pk).allow_embed is False

    response = mallory.get(f"/embed/{question.pk}/")

    assert response.status_code == 403
    assert response["X-Frame-Options"] == "DENY"
    assert _policy(response)["frame-ancestors"] == ["'none'"]
    html = response.content.decode()
    assert "Embedding is off" in html
    assert f'href="http://testserver/q/{question.pk}/"' in html
    assert (
        'id="join"' not in html
        and "<form" not in html.split("</header>", 1)[1].split("<footer", 1)[0]
    )


def test_turned_on_with_no_sites_named_any_site_may_frame_it(question, mallory):
    _embed_on(question)

    response = mallory.get(f"/embed/{question.pk}/")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert _policy(response)["frame-ancestors"] == ["*"]
    assert 'id="join"' in response.content.decode()


def test_turned_on_with_sites_named_only_they_may_frame_it(question, mallory):
    _embed_on(question, "https://school.example\nhttps://lms.example.org:8443")

    response = mallory.get(f"/embed/{question.pk}/")

    assert response.status_code == 200
    assert _policy(response)["frame-ancestors"] == [
        "https://school.example",
        "https://lms.example.org:8443",
    ]
    # The question page itself is never framed.
    page = mallory.get(f"/q/{question.pk}/")
    assert (page["X-Frame-Options"], _policy(page)["frame-ancestors"]) == ("DENY", ["'none'"])


@override_settings(PONDER_EMBED_ORIGINS=["https://intranet.example"])
def test_the_operators_list_bounds_the_organisers(question, mallory):
    _embed_on(question, "https://intranet.example https://elsewhere.example")
    response = mallory.get(f"/embed/{question.pk}/")
    assert _policy(response)["frame-ancestors"] == ["https://intranet.example"]

    _embed_on(question)  # no site named: the operator's
    response = mallory.get(f"/embed/{question.pk}/")
    assert _policy(response)["frame-ancestors"] == ["https://intranet.example"]

    _embed_on(question, "https://elsewhere.example")  # nothing the operator allows: refused
    response = mallory.get(f"/embed/{question.pk}/")
    assert response.status_code == 403
    assert _policy(response)["frame-ancestors"] == ["'none'"]


def test_the_rule_lives_in_the_reader(question):
    fresh = Question.objects.get(pk=question.pk)
    assert Reader(fresh, None, organiser=True).may_embed() is False
    assert Reader(fresh, None, organiser=True).embed_ancestors() is None
    _embed_on(question, "https://a.example")
    fresh = Question.objects.get(pk=question.pk)
    reader = Reader(fresh, None, organiser=False)
    assert reader.may_embed() is True
    assert reader.embed_ancestors() == ["https://a.example"]
    assert reader.kind.may_embed is True


# The share panel ----------------------------------------------------------------------------


def test_the_embed_code_is_offered_only_when_embedding_is_on(question, alice):
    off = alice.get(f"/q/{question.pk}/").content.decode()
    assert 'id="embed-code"' not in off
    assert "Other websites cannot embed this question." in off

    alice.post(f"/q/{question.pk}/settings/", {**SETTINGS, "allow_embed": "on"})

    on = alice.get(f"/q/{question.pk}/").content.decode()
    assert 'id="embed-code"' in on
    assert "Other websites cannot embed this question." not in on


# The settings form ----------------------------------------------------------------------------


def test_the_settings_form_turns_embedding_on_for_the_sites_named(question, alice):
    page = alice.get(f"/q/{question.pk}/settings/").content.decode()
    assert 'name="allow_embed"' in page and 'name="embed_origins"' in page
    assert "Leave empty to let any website embed it." in page

    response = alice.post(
        f"/q/{question.pk}/settings/",
        {
            **SETTINGS,
            "allow_embed": "on",
            "embed_origins": "HTTPS://School.Example/\r\n https://lms.example.org:8443, "
            "https://school.example",
        },
    )

    assert response.status_code == 302
    saved = Question.objects.get(pk=question.pk)
    assert saved.allow_embed is True
    assert saved.embed_origin_list == ["https://school.example", "https://lms.example.org:8443"]
    # And shown back as saved, one a line.
    again = alice.get(f"/q/{question.pk}/settings/").content.decode()
    assert "https://school.example\nhttps://lms.example.org:8443</textarea>" in again


@pytest.mark.parametrize(
    "garbage",
    [
        "example.org",
        "https://example.org/path",
        "https://*.example.org",
        "javascript:alert(1)",
        "https://example.org; script-src *",
        "'self'",
        "https://user@example.org",
        "https://exämple.org",
    ],
)
def test_the_settings_form_refuses_what_is_not_an_origin_next_to_the_field(
    question, alice, garbage
):
    _embed_on(question, "https://kept.example")

    response = alice.post(
        f"/q/{question.pk}/settings/",
        {**SETTINGS, "allow_embed": "on", "embed_origins": f"https://fine.example\n{garbage}"},
    )

    assert response.status_code == 422
    errors = re.search(r'id="id_embed_origins_error"[^>]*>(.*?)</', response.content.decode(), re.S)
    assert errors and "is not a website" in errors.group(1), response.content.decode()
    assert Question.objects.get(pk=question.pk).embed_origin_list == ["https://kept.example"]


def test_only_the_organiser_turns_embedding_on(question, alice, bob):
    response = bob.post(f"/q/{question.pk}/settings/", {**SETTINGS, "allow_embed": "on"})
    assert response.status_code == 404
    assert Question.objects.get(pk=question.pk).allow_embed is False


# The API --------------------------------------------------------------------------------------


def test_the_api_reads_and_writes_the_embedding_setting(question, alice):
    token = question.admin_key
    read = _api(alice, "GET", f"/questions/{question.pk}", token=token).json()["settings"]
    assert (read["allow_embed"], read["embed_origins"]) == (False, [])

    body = {"settings": {"allow_embed": True, "embed_origins": ["https://School.example/"]}}
    written = _api(alice, "PATCH", f"/questions/{question.pk}", body, token=token)

    assert written.status_code == 200, written.content
    settings = written.json()["settings"]
    assert (settings["allow_embed"], settings["embed_origins"]) == (
        True,
        ["https://school.example"],
    )
    framed = alice.get(f"/embed/{question.pk}/")
    assert _policy(framed)["frame-ancestors"] == ["https://school.example"]

    # Leaving them out keeps them.
    _api(alice, "PATCH", f"/questions/{question.pk}", {"title": "Renamed"}, token=token)
    assert Question.objects.get(pk=question.pk).embed_origin_list == ["https://school.example"]


def test_the_api_refuses_what_is_not_an_origin_naming_the_field(question, alice):
    token = question.admin_key
    body = {"settings": {"allow_embed": True, "embed_origins": ["https://x.example/path"]}}

    response = _api(alice, "PATCH", f"/questions/{question.pk}", body, token=token)

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["settings.embed_origins"]
    assert Question.objects.get(pk=question.pk).allow_embed is False


def test_the_openapi_document_describes_the_setting(db, mallory):
    document = mallory.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert {"allow_embed", "embed_origins"} <= set(schemas["SettingsIn"]["properties"])
    assert {"allow_embed", "embed_origins"} <= set(schemas["SettingsOut"]["properties"])
