"""Every write to an account is one function here: its display name, claiming what this browser
asked and wrote before logging in, its API tokens, and deleting it."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from ponder.lib.ids import hash_secret, new_secret, secret_matches
from ponder.questions import services as questions
from ponder.questions.models import Participant, Question
from ponder.questions.services import ActionRefused

from .models import ApiToken, Profile
from .tokens import HINT_LENGTH, PREFIX

TOKENS_PER_ACCOUNT = 20  # a program needs one or two; a list of hundreds helps nobody


@transaction.atomic
def profile_update(*, account: Any, display_name: str) -> Profile:
    """Set the name the account is offered when it takes part (a checked name: `ProfileForm`).
    The names it took part under so far stay as they are: each question has its own."""
    profile, _created = Profile.objects.update_or_create(
        user=account, defaults={"display_name": display_name}
    )
    return profile


@dataclass(frozen=True, slots=True)
class Claimed:
    """What `claims_take` made the account's."""

    questions: int  # questions whose admin key the browser holds
    participations: int  # names this browser took part under


@transaction.atomic
def claims_take(
    *, account: Any, admin_keys: dict[str, str], participant_token: str | None
) -> Claimed:
    """Make what this browser asked and wrote before logging in the account's: the questions
    whose admin key it holds (`admin_keys`: question id to key) and the names it took part under
    (its participant token, shared by every question). What another account has already is
    never taken over."""
    held = Question.objects.filter(pk__in=admin_keys, created_by__isnull=True).only(
        "pk", "admin_key_hash"
    )
    proven = [q for q in held if secret_matches(admin_keys[q.pk], q.admin_key_hash)]
    claimed = questions.questions_claim(questions=proven, account=account) if proven else 0
    participations = 0
    if participant_token:
        participations = Participant.objects.filter(
            token_hash=hash_secret(participant_token), user__isnull=True
        ).update(user=account)
    return Claimed(questions=claimed, participations=participations)


@transaction.atomic
def api_token_create(*, account: Any, label: str) -> tuple[ApiToken, str]:
    """A new API token for the account; returns it with the token, which is stored only as a
    hash and shown this once."""
    # Lock the account's row: two quick clicks must not both pass the limit.
    get_user_model().objects.select_for_update().filter(pk=account.pk).first()
    if ApiToken.objects.filter(user=account).count() >= TOKENS_PER_ACCOUNT:
        raise ActionRefused(
            _("You have %(n)d tokens already. Revoke one you no longer use first.")
            % {"n": TOKENS_PER_ACCOUNT},
            code="too_many_tokens",
        )
    token = PREFIX + new_secret()
    api_token = ApiToken.objects.create(
        user=account, label=label, token_hash=hash_secret(token), hint=token[:HINT_LENGTH]
    )
    return api_token, token


@transaction.atomic
def api_token_revoke(*, account: Any, token_id: int) -> bool:
    """Revoke one of the account's tokens: it works no more, at once. False if the account has
    no such token (another account's tokens are not its to revoke)."""
    deleted, _kinds = ApiToken.objects.filter(user=account, pk=token_id).delete()
    return bool(deleted)


@transaction.atomic
def account_delete(*, account: Any, remove_contributions: bool) -> None:
    """Delete the account. Its contributions are removed (`remove_contributions`) or stay under
    "Former participant" (`questions.participant_leave` says exactly what goes). The questions it
    asked stay, with their participants' contributions, reachable by their links and their
    admin links as before; no account administers them any more. Nobody else's data changes."""
    for participant in Participant.objects.filter(user=account).select_related("question"):
        questions.participant_leave(participant=participant, remove=remove_contributions)
    # Its profile and tokens go with it; its questions' `created_by` becomes empty.
    account.delete()
