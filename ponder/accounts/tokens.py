"""Account API tokens: what they look like and whose they are.

A token is `ponder_` followed by a secret of 131 bits (`ponder.lib.ids.new_secret`). The prefix
tells it apart at a glance from a question's admin key and a participant's token, which are bare
secrets of 22 letters and digits: the API looks a prefixed token up among the accounts' tokens
only, and never takes it for anything else (nor anything else for it). Only its hash is stored.
"""

from django.contrib.auth.models import AbstractBaseUser

from ponder.lib.ids import hash_secret

from .models import ApiToken

PREFIX = "ponder_"
HINT_LENGTH = len(PREFIX) + 4  # "ponder_Ab3x…": enough to tell one's tokens apart


def is_account_token(token: str | None) -> bool:
    return bool(token) and token.startswith(PREFIX)  # type: ignore[union-attr]


def account_of(token: str) -> AbstractBaseUser | None:
    """The active account whose token this is; None for a revoked, wrong or unknown one."""
    found = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_secret(token), user__is_active=True)
        .first()
    )
    return found.user if found is not None else None
