"""The interactive API docs work under the site's Content Security Policy, with every file served
by Ponder itself (no CDN): a reader can open an operation and try it out."""

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import Request, expect

from .conftest import Person

pytestmark = pytest.mark.browser


def test_the_api_docs_load_only_same_origin_files_and_try_it_out_works(
    live_server, person: Callable[..., Person]
) -> None:
    dana = person("Dana")
    requested: list[str] = []

    def remember(request: Request) -> None:
        requested.append(request.url)

    dana.page.on("request", remember)
    dana.page.goto(live_server.url + "/api/v1/docs")

    expect(dana.page.locator(".opblock").first).to_be_visible()
    create = dana.page.locator("#operations-questions-question_create")
    create.locator(".opblock-summary").click()
    create.get_by_role("button", name="Try it out").click()
    create.locator("textarea.body-param__text").fill(json.dumps({"title": "Asked from the docs"}))
    create.get_by_role("button", name="Execute").click()
    answer = create.locator(".live-responses-table tbody .response-col_status")
    expect(answer).to_have_text("201")

    assert requested and all(url.startswith(live_server.url + "/") for url in requested)
    assert dana.problems == []
