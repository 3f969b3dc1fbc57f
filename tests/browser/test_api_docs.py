"""The API reference (/api/v1/docs) in Chromium: a page of the site, under its Content Security
Policy, with every file from this server; with JavaScript a developer tries operations out from
it, and without JavaScript it still shows every operation."""

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import Request, expect

from ponder.api.tests.test_docs import CONTRACT
from ponder.questions.models import Question

from .conftest import Person

pytestmark = pytest.mark.browser

OPERATIONS = sum(len(methods) for methods in CONTRACT.values())


def test_a_developer_tries_operations_out_from_the_reference(
    live_server, person: Callable[..., Person]
) -> None:
    dana = person("Dana")
    requested: list[str] = []

    def remember(request: Request) -> None:
        requested.append(request.url)

    dana.page.on("request", remember)
    dana.page.goto(live_server.url + "/api/v1/docs")
    expect(dana.page.locator("section.operation")).to_have_count(OPERATIONS)

    # Ask a question from the docs: the answer holds its id and the admin token.
    create = dana.page.locator("#question_create")
    create.get_by_text("Try it").click()
    create.get_by_label("Request body (JSON)").fill(json.dumps({"title": "Asked from the docs"}))
    create.get_by_role("button", name="Send request").click()
    expect(create.get_by_role("status")).to_have_text("Answer: 201 Created")
    answer = json.loads(create.locator(".try-output").inner_text())
    assert Question.objects.get(pk=answer["id"]).title == "Asked from the docs"

    # Read it with the admin token.
    detail = dana.page.locator("#question_detail")
    detail.get_by_text("Try it").click()
    send = detail.get_by_role("button", name="Send request")
    send.click()  # the id is missing: said, and the field gets the focus
    expect(detail.get_by_role("status")).to_have_text("Please fill in question_id.")
    expect(detail.get_by_label("question_id")).to_be_focused()
    detail.get_by_label("question_id").fill(answer["id"])
    detail.get_by_label("Token").fill(answer["admin_token"])
    send.click()
    expect(detail.get_by_role("status")).to_have_text("Answer: 200 OK")
    expect(detail.locator(".try-output")).to_contain_text('"title": "Asked from the docs"')

    # Close it: the next form opened offers the token and the id typed last.
    close = dana.page.locator("#question_close")
    close.get_by_text("Try it").click()
    expect(close.get_by_label("Token")).to_have_value(answer["admin_token"])
    expect(close.get_by_label("question_id")).to_have_value(answer["id"])
    close.get_by_role("button", name="Send request").click()
    expect(close.get_by_role("status")).to_have_text("Answer: 200 OK")
    assert Question.objects.get(pk=answer["id"]).closed_at is not None

    # An unknown id: the API's 404 and its message are shown as they came.
    detail.get_by_label("question_id").fill("AAAAAAAAAAAA")
    send.click()
    expect(detail.get_by_role("status")).to_have_text("Answer: 404 Not Found")
    expect(detail.locator(".try-output")).to_contain_text('"detail"')
    dana.forgive("404")  # Chromium logs every refused request in the console

    # Bad JSON never leaves the page.
    join = dana.page.locator("#participant_join")
    join.get_by_text("Try it").click()
    join.get_by_label("Request body (JSON)").fill("{name: Dana")
    join.get_by_role("button", name="Send request").click()
    expect(join.get_by_role("status")).to_have_text("The request body is not valid JSON.")
    expect(join.get_by_label("Request body (JSON)")).to_be_focused()

    assert requested and all(url.startswith(live_server.url + "/") for url in requested)
    assert dana.problems == []


def test_without_javascript_the_reference_shows_every_operation_and_no_dead_form(
    live_server, person: Callable[..., Person]
) -> None:
    nora = person("Nora", javascript=False)
    nora.page.goto(live_server.url + "/api/v1/docs")

    expect(nora.page.locator("section.operation")).to_have_count(OPERATIONS)
    expect(nora.page.locator("#idea_add")).to_contain_text("IdeaIn")
    # The "Try it" forms need the script: without it there is none to press.
    expect(nora.page.locator(".try").first).to_be_hidden()
    expect(nora.page.get_by_role("button", name="Send request")).to_have_count(0)
    # The links between operations and schemas lead somewhere.
    nora.page.locator("#idea_add").get_by_role("link", name="IdeaOut").first.click()
    expect(nora.page.locator("#schema-IdeaOut")).to_be_in_viewport()
