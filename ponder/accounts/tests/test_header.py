"""The header says "Log in", or the account's name with "My questions" and "Log out", on every
page: also on question pages, whose render is shared by all their readers."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from ponder.questions import services

pytestmark = pytest.mark.django_db


def test_each_reader_of_a_shared_question_page_gets_their_own_header() -> None:
    question, _ = services.question_create(title="Where to meet?")
    alice = get_user_model().objects.create_user(
        "alice", "alice@example.org", first_name="Alice <b>"
    )
    logged_in = Client()
    logged_in.force_login(alice)
    for path in ("/", f"/q/{question.pk}/"):
        mine = logged_in.get(path).content.decode()
        assert '<bdi dir="auto">Alice &lt;b&gt;</bdi>' in mine
        assert 'href="/me/"' in mine
        assert 'action="/accounts/logout/"' in mine
        theirs = Client().get(path).content.decode()
        assert "Alice" not in theirs
        assert "/accounts/logout/" not in theirs
        assert "Log in" in theirs
