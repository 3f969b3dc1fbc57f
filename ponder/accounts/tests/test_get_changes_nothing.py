"""No GET of an account's own pages or API changes anything (as test_csrf_routes.py holds for
every other route): crawled logged in and with an account token, every table stays as it was."""

from ponder.accounts.services import api_token_create
from ponder.questions import services
from ponder.questions.tests.test_csrf_routes import snapshot

from .conftest import Member


def test_reading_my_pages_and_my_api_changes_no_row(dana: Member) -> None:
    question, _key = services.question_create(title="Which venue?", created_by=dana.account)
    dana.join(question)
    _api_token, token = api_token_create(account=dana.account, label="script")
    before = snapshot()

    for path in ("/me/", "/me/settings/", "/me/data.json", "/me/delete/"):
        assert dana.get(path).status_code == 200, path
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for path in ("/api/v1/me", "/api/v1/me/questions"):
        assert dana.get(path, **bearer).status_code == 200, path

    assert snapshot() == before
