"""The OpenAPI document and the API reference drawn from it: every contract path is documented,
and /api/v1/docs shows each operation with its parameters, request body and responses, in the
site's style and language, with files from this server only (the browser test in
tests/browser/test_api_docs.py tries operations out in Chromium)."""

import re
from html.parser import HTMLParser

from django.test import Client

CONTRACT = {
    "/api/v1/questions": {"post"},
    "/api/v1/questions/{question_id}": {"get", "patch", "delete"},
    "/api/v1/questions/{question_id}/close": {"post"},
    "/api/v1/questions/{question_id}/reopen": {"post"},
    "/api/v1/questions/{question_id}/admin-token": {"post"},
    "/api/v1/questions/{question_id}/duplicate": {"post"},
    "/api/v1/questions/{question_id}/results": {"get"},
    "/api/v1/questions/{question_id}/crowds": {"get"},
    "/api/v1/questions/{question_id}/crowds/{network}/remove": {"post"},
    "/api/v1/questions/{question_id}/participants": {"post"},
    "/api/v1/questions/{question_id}/ideas": {"get", "post"},
    "/api/v1/questions/{question_id}/ideas/{idea_id}": {"get"},
    "/api/v1/questions/{question_id}/comments": {"get", "post"},
    "/api/v1/ideas/{idea_id}": {"get", "patch", "delete"},
    "/api/v1/ideas/{idea_id}/vote": {"put", "delete"},
    "/api/v1/ideas/{idea_id}/image": {"post", "delete"},
    "/api/v1/ideas/{idea_id}/arguments": {"post"},
    "/api/v1/arguments/{argument_id}": {"patch", "delete"},
    "/api/v1/arguments/{argument_id}/like": {"put", "delete"},
    "/api/v1/comments/{comment_id}": {"patch", "delete"},
    "/api/v1/surveys": {"post"},
    "/api/v1/surveys/{survey_id}": {"get"},
    "/api/v1/surveys/{survey_id}/questions": {"post"},
    "/api/v1/surveys/{survey_id}/questions/{question_id}": {"delete"},
    # Moderation.
    "/api/v1/questions/{question_id}/reports": {"get"},
    "/api/v1/questions/{question_id}/merge": {"post"},
    "/api/v1/questions/{question_id}/participants/{participant_id}": {"delete"},
    **{
        f"/api/v1/{kind}s/{{{kind}_id}}/{action}": {"post"}
        for kind in ("idea", "argument", "comment")
        for action in ("hide", "restore", "report", "reports/dismiss")
    },
    "/api/v1/me": {"get"},
    "/api/v1/me/questions": {"get"},
    "/api/v1/questions/{question_id}/invitations": {"get", "post"},
    "/api/v1/questions/{question_id}/invitations/{invitation_id}/revoke": {"post"},
    "/api/v1/questions/{question_id}/co-organisers": {"get", "post"},
    "/api/v1/questions/{question_id}/co-organisers/{user_id}": {"delete"},
}
# The account's own endpoints name no id that could be unknown.
WITHOUT_IDS = {"/api/v1/questions", "/api/v1/surveys", "/api/v1/me", "/api/v1/me/questions"}
DE = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}


def test_the_openapi_document_covers_the_contract(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert {path: set(ops) for path, ops in document["paths"].items()} == CONTRACT
    assert document["components"]["securitySchemes"] == {
        "BearerToken": {"type": "http", "scheme": "bearer"}
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            # Every error is documented, so clients (and schemathesis) know what to expect.
            assert "404" in operation["responses"] or path in WITHOUT_IDS, (path, method)


class Sections(HTMLParser):
    """The text and the HTML of every element with an id, to look into one operation at a time."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, str | None, list[str]]] = []  # tag, id, texts
        self.text: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"br", "wbr", "input", "img", "link", "meta"}:
            self.open.append((tag, dict(attrs).get("id"), []))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            opened, element_id, texts = self.open.pop()
            if element_id:
                self.text[element_id] = " ".join("".join(texts).split())
            if self.open:
                self.open[-1][2].extend(texts)
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1][2].append(data)


def sections(html: str) -> dict[str, str]:
    parser = Sections()
    parser.feed(html)
    return parser.text


def test_the_reference_shows_every_operation_with_its_parameters_body_and_responses(
    db: None,
) -> None:
    client = Client()
    document = client.get("/api/v1/openapi.json").json()
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    found = sections(response.text)
    assert "<h1>API reference</h1>" in response.text
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            shown = found[operation["operationId"]]
            assert f"{method.upper()} {path}" in shown, shown
            assert operation["summary"] in shown
            for parameter in operation.get("parameters", []):
                assert parameter["name"] in shown
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json")
            form = content.get("multipart/form-data")  # a file upload: its parts
            if body:
                name = body["schema"]["$ref"].rsplit("/", 1)[-1]
                assert f"application/json: {name}" in shown
                for field in document["components"]["schemas"][name]["properties"]:
                    assert re.search(rf"\b{field}\b", shown), (operation["operationId"], field)
            elif form:
                assert "multipart/form-data" in shown
                for field in form["schema"]["properties"]:
                    assert re.search(rf"\b{field}\b", shown), (operation["operationId"], field)
            else:
                assert "Request body None." in shown
            for status in operation["responses"]:
                assert re.search(rf"\b{status}\b", shown), (operation["operationId"], status)
            token = "not needed" if "security" not in operation else "optional"
            if operation.get("security") == [{"BearerToken": []}]:
                token = "required"
            assert f"Token: {token}." in shown, (operation["operationId"], shown)

    # Every schema the operations name is there too, field by field, and the names link to it.
    for name, schema in document["components"]["schemas"].items():
        shown = found[f"schema-{name}"]
        for field in schema["properties"]:
            assert field in shown, (name, field)
    for target in set(re.findall(r'href="#([^"]+)"', response.text)):
        assert f'id="{target}"' in response.text, target


def test_the_reference_says_what_each_field_is(db: None) -> None:
    found = sections(Client().get("/api/v1/docs").text)

    idea_in = found["schema-IdeaIn"]
    assert "title string required" in idea_in
    assert "description string optional default" in idea_in
    assert "at most 200 characters" in idea_in  # from the field's own description
    assert "max_votes integer from 1 to 1000 or null optional" in found["schema-SettingsIn"]
    assert 'status string, one of "open", "closed" required' in found["schema-QuestionOut"]
    # Hundreds of time zones fold away behind one line, and all of them are there.
    assert "time_zone string, one of" in found["schema-SettingsIn"]
    assert "Europe/Berlin" in found["schema-SettingsIn"]
    assert "ideas array of IdeaOut required" in found["schema-QuestionOut"]
    assert (
        "question_id string matching ^(?:[0-9A-Za-z]{22}|[0-9A-Za-z]{12})$ · in the path required"
        in (found["idea_add"])
    )
    # 401 is said in Ponder's words, not only as "Unauthorized".
    assert "401 No token, or a token of another question: Error" in found["idea_add"]


def test_the_reference_loads_only_files_from_this_server_and_runs_no_inline_script(
    db: None,
) -> None:
    client = Client()
    response = client.get("/api/v1/docs")

    html = response.text
    files = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)
    assert files and all(url.startswith("/static/") for url in files), files
    for url in files:
        assert client.get(url).status_code == 200, url
    assert re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html) == []
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "swagger" not in html.lower() and "cdn" not in html.lower()


def test_the_try_it_forms_stay_hidden_until_the_script_shows_them(db: None) -> None:
    html = Client().get("/api/v1/docs").text

    forms = re.findall(r'<details class="try" hidden>', html)
    operations = re.findall(r'<section class="operation panel" id="', html)
    assert len(forms) == len(operations) == sum(len(ops) for ops in CONTRACT.values())
    assert 'data-method="POST" data-path="/api/v1/questions"' in html


def test_the_reference_is_german_for_a_german_browser_and_marks_the_api_texts_english(
    db: None,
) -> None:
    html = Client().get("/api/v1/docs", **DE).text

    assert '<html lang="de">' in html
    assert "<h1>API-Referenz</h1>" in html
    assert "Anfrage senden" in html and "Antworten" in html and "Token: erforderlich." in html
    for english in ("API reference", "Send request", "Responses", "Token: required."):
        assert english not in html
    # What the API says is English, and says so to screen readers and translators (WCAG 3.1.2).
    assert '<p class="summary" lang="en">Ask a question</p>' in html
    english_page = Client().get("/api/v1/docs").text
    assert 'lang="en"' not in english_page.split("<main", 1)[1].split("</main>", 1)[0]
