"""Accounts' personas: dana has an account and is logged in; erin has another one."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from conftest import Person


def make_account(username: str) -> Any:
    return get_user_model().objects.create_user(username, f"{username}@example.org")


class Member(Person):
    """A browser that is logged in to an account."""

    def __init__(self, name: str, account: Any) -> None:
        super().__init__(name)
        self.account = account
        self.client.force_login(account)


@pytest.fixture
def dana(db: None) -> Member:
    return Member("Dana", make_account("dana"))


@pytest.fixture
def erin(db: None) -> Member:
    return Member("Erin", make_account("erin"))
