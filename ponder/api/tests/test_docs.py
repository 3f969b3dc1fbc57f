"""The OpenAPI document and the interactive docs: every contract path is documented, and the docs
page loads its files from this server only, under the site's Content Security Policy (the browser
test in tests/browser/test_api_docs.py tries it out in Chromium)."""

import re

from django.test import Client

CONTRACT = {
    "/api/v1/questions": {"post"},
    "/api/v1/questions/{question_id}": {"get", "patch", "delete"},
    "/api/v1/questions/{question_id}/close": {"post"},
    "/api/v1/questions/{question_id}/reopen": {"post"},
    "/api/v1/questions/{question_id}/results": {"get"},
    "/api/v1/questions/{question_id}/participants": {"post"},
    "/api/v1/questions/{question_id}/ideas": {"post"},
    "/api/v1/questions/{question_id}/comments": {"post"},
    "/api/v1/ideas/{idea_id}": {"get", "patch", "delete"},
    "/api/v1/ideas/{idea_id}/vote": {"put", "delete"},
    "/api/v1/ideas/{idea_id}/arguments": {"post"},
    "/api/v1/arguments/{argument_id}": {"patch", "delete"},
    "/api/v1/arguments/{argument_id}/like": {"put", "delete"},
    "/api/v1/comments/{comment_id}": {"patch", "delete"},
}


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
            assert "404" in operation["responses"] or path == "/api/v1/questions", (path, method)


def test_the_docs_page_loads_only_files_from_this_server(db: None) -> None:
    client = Client()
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    # Swagger UI's files, and our fixes for its contrast and target sizes (api-docs.css).
    assert urls and all(url.startswith("/static/") for url in urls), urls
    for url in urls:
        assert client.get(url).status_code == 200, url
    # The only inline script is a JSON data block, which no Content Security Policy runs.
    assert re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html) == [
        ' type="application/json" id="swagger-settings"'
    ]
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "cdn" not in html.lower()
