"""What an account has beyond Django's user: the name it takes part under, and its API tokens.

The display name lives on a `Profile` of its own rather than in the user's `first_name`: it is
one free-form name ("Dr. Anna-Lena Müller", "王伟", "the 3b class"), held to the same rules as a
participant's name (`validate_label`, `PONDER_NAME_MAX`), not a given name with a family name
beside it; and the sign-up forms, which own the user's fields, need not know about it.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="profile",
    )
    # Offered as the name when the person joins a question while logged in.
    display_name = models.CharField(_("display name"), max_length=settings.PONDER_NAME_MAX)

    def __str__(self) -> str:
        return self.display_name


class ApiToken(models.Model):
    """A token with which a program acts as the account through the API. Only its hash is
    stored; the token is shown once, when it is made (`services.api_token_create`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    label = models.CharField(_("what it is for"), max_length=settings.PONDER_NAME_MAX)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The token's first characters, shown in the list so that the person can tell tokens apart.
    hint = models.CharField(max_length=16, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.label
