"""What one gets by e-mail about one question (README, Notifications).

A subscription is reached by its id alone: the id is the only key of its links (settings,
confirm, unsubscribe), so it is a secret's length. An unsubscribed row is kept with everything
off, so that the worker does not make it again for an account: subscribing again is an act of
its own. The cursors say what has been accounted for, and the worker claims the work of a
subscription by moving them (`sending`), so two workers never mail the same thing twice."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ponder.lib.ids import new_secret


class Role(models.TextChoices):
    ORGANISER = "organiser", _("organiser")
    PARTICIPANT = "participant", _("participant")


class Activity(models.TextChoices):
    OFF = "off", _("Never")
    NOW = "now", _("At once (at most one mail every ten minutes)")
    DAILY = "daily", _("Once a day, in one mail")


class Subscription(models.Model):
    id = models.CharField(primary_key=True, max_length=22, default=new_secret, editable=False)
    question = models.ForeignKey(
        "questions.Question", on_delete=models.CASCADE, related_name="subscriptions"
    )
    # Who: an account (its verified address, read when the mail is sent), or an address given
    # on the question (confirmed by a link mailed to it). Never shown to anyone else.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    email = models.EmailField(blank=True, default="")
    # The participant whose ideas' new pros and cons are mailed; removed with them.
    participant = models.ForeignKey(
        "questions.Participant",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    role = models.CharField(max_length=12, choices=Role.choices)
    # For an address given with the admin key: the key's hash then. A new admin key (the old
    # one leaked) ends what the old one subscribed to.
    admin_key_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    # What one gets: new ideas and reports (organiser) or new pros and cons on one's own ideas
    # (participant); the deadline approaching; the result (the closing summary).
    activity = models.CharField(max_length=5, choices=Activity.choices, default=Activity.NOW)
    deadline = models.BooleanField(default=True)
    result = models.BooleanField(default=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=10, default="en")
    base_url = models.CharField(max_length=300, default="")

    # Cursors: what has been mailed (or passed over) already.
    version_seen = models.PositiveBigIntegerField(default=0)  # the question's version
    reports_seen_at = models.DateTimeField(default=timezone.now)
    last_mail_at = models.DateTimeField(null=True, blank=True)  # the last activity mail
    deadline_sent_for = models.DateTimeField(null=True, blank=True)
    result_sent_for = models.DateTimeField(null=True, blank=True)  # the closed_at it was for
    # Grows with every claim of the worker: the compare-and-set that lets one worker only
    # move the cursors from what it read.
    claim = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question", "user"],
                condition=Q(user__isnull=False),
                name="subscription_one_per_account",
            ),
            models.UniqueConstraint(
                fields=["question", "email"],
                condition=~Q(email=""),
                name="subscription_one_per_address",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, email="") | Q(user__isnull=True) & ~Q(email=""),
                name="subscription_account_or_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} of {self.question_id}"

    @property
    def is_active(self) -> bool:
        return self.activity != Activity.OFF or self.deadline or self.result

    @property
    def address(self) -> str:
        return self.user.email if self.user_id else self.email  # type: ignore[union-attr]
