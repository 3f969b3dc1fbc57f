"""Every write to a subscription: subscribing (an account at once, an address once confirmed),
confirming, changing what one gets, unsubscribing. The worker's pass (`sending`) moves the
cursors; each change here moves `claim` too, so that a pass that read the row before the
change does not write over it (it finds the row changed and leaves it to the next pass)."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ponder import mail
from ponder.lib.text import without_bidi_controls
from ponder.live.models import Event
from ponder.questions.models import Participant, Question

from .models import Activity, Role, Subscription


def base_url_of(subscription: Subscription) -> str:
    """Where its links lead: PONDER_BASE_URL, else the address used when subscribing."""
    return settings.PONDER_BASE_URL or subscription.base_url.rstrip("/")


def link(subscription: Subscription, path: str) -> str:
    return f"{base_url_of(subscription)}{path}"


def starting_cursors(question: Question, since: datetime | None = None) -> dict[str, Any]:
    """The cursors of a new subscription: what happened before `since` (now, by default) is not
    news to it; a result already out is not mailed."""
    version = question.version
    if since is not None:
        before = Event.objects.filter(question=question, created_at__lt=since)
        version = before.aggregate(v=Max("version"))["v"] or 0
    return {
        "version_seen": version,
        "reports_seen_at": since or timezone.now(),
        "result_sent_for": question.closed_at,
    }


def defaults_for(role: str) -> dict[str, Any]:
    """What one gets unless one says otherwise: the organiser new ideas and reports at once and
    the closing summary; a participant new pros and cons on their ideas, the deadline
    approaching and the result."""
    return {"activity": Activity.NOW, "deadline": role == Role.PARTICIPANT, "result": True}


@transaction.atomic
def account_subscribe(
    *,
    question: Question,
    user: Any,
    role: str,
    participant: Participant | None,
    base_url: str,
    language: str,
) -> Subscription:
    """The account's subscription to the question, made with the defaults if it has none (its
    address is verified: nothing to confirm). One it turned off stays off."""
    found = Subscription.objects.filter(question=question, user=user).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Subscription.objects.create(
                question=question,
                user=user,
                role=role,
                participant=participant,
                base_url=base_url,
                language=language,
                confirmed_at=timezone.now(),
                **defaults_for(role),
                **starting_cursors(question),
            )
    except IntegrityError:  # made at the same moment by the worker or another request
        return Subscription.objects.get(question=question, user=user)


@transaction.atomic
def address_subscribe(
    *,
    question: Question,
    email: str,
    role: str,
    participant: Participant | None,
    admin_key_hash: str = "",
    base_url: str,
    language: str,
) -> None:
    """Subscribe an address given on the question: nothing is sent to it but a link to confirm
    (and whoever gave it is told nothing of whether it was subscribed before). An address that
    is subscribed already is left as it is and mailed its settings link instead; one that was
    unsubscribed is subscribed again once confirmed."""
    email = email.strip()
    found = (
        Subscription.objects.select_for_update()
        .filter(question=question, email__iexact=email)
        .first()
    )
    if found is not None and found.confirmed_at is not None and found.is_active:
        _mail_settings_link(found)
        return
    fields = {
        "role": role,
        "participant": participant,
        "admin_key_hash": admin_key_hash,
        "base_url": base_url,
        "language": language,
        "confirmed_at": None,
        **defaults_for(role),
        **starting_cursors(question),
    }
    if found is None:
        found = Subscription.objects.create(question=question, email=email, **fields)
    else:
        for name, value in fields.items():
            setattr(found, name, value)
        found.claim += 1
        found.save()
    _mail_confirmation(found)


def footer(subscription: Subscription) -> str:
    return (
        _(
            "You receive this mail because this address was given for notifications about this "
            "question. Nothing else is sent to it. To choose what you get, or to unsubscribe:"
        )
        + "\n"
        + link(subscription, f"/n/{subscription.pk}/")
    )


def _mail_confirmation(subscription: Subscription) -> None:
    with translation.override(subscription.language):
        title = without_bidi_controls(subscription.question.title)
        subject = _("Confirm notifications: %(title)s") % {"title": title}
        body = "\n\n".join(
            [
                _(
                    "Someone, hopefully you, asked for e-mail notifications about the question "
                    "“%(title)s” on Ponder."
                )
                % {"title": title},
                _("To get them, confirm with one click on the page this link opens:")
                + "\n"
                + link(subscription, f"/n/{subscription.pk}/confirm/"),
                _("If it was not you, do nothing: without confirmation nothing more is sent."),
            ]
        )
    mail.send(to=subscription.email, subject=" ".join(subject.split()), body=body + "\n")


def _mail_settings_link(subscription: Subscription) -> None:
    with translation.override(subscription.language):
        title = without_bidi_controls(subscription.question.title)
        subject = _("Your notifications: %(title)s") % {"title": title}
        body = "\n\n".join(
            [
                _("This address gets notifications about the question “%(title)s” already.")
                % {"title": title},
                footer(subscription),
            ]
        )
    mail.send(
        to=subscription.address,
        subject=" ".join(subject.split()),
        body=body + "\n",
        headers=unsubscribe_headers(subscription),
    )


def unsubscribe_headers(subscription: Subscription) -> dict[str, str]:
    """RFC 8058: a mail program's "Unsubscribe" posts to this link, with one click."""
    return {
        "List-Unsubscribe": f"<{link(subscription, f'/n/{subscription.pk}/unsubscribe/')}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def confirm(*, subscription: Subscription) -> Subscription:
    """Confirm an address (by the link mailed to it): from now on, its mails are sent."""
    if subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        Subscription.objects.filter(pk=subscription.pk).update(
            confirmed_at=subscription.confirmed_at, claim=F("claim") + 1
        )
    return subscription


def settings_update(
    *, subscription: Subscription, activity: str, deadline: bool, result: bool
) -> Subscription:
    """Change what one gets. Activity turned on again starts from now: what happened while it
    was off is not mailed."""
    fields: dict[str, Any] = {"activity": activity, "deadline": deadline, "result": result}
    if subscription.activity == Activity.OFF and activity != Activity.OFF:
        question = Question.objects.get(pk=subscription.question_id)
        fields |= {"version_seen": question.version, "reports_seen_at": timezone.now()}
    if subscription.confirmed_at is None:
        # Only the mailed link leads here: saving settings confirms the address too.
        fields["confirmed_at"] = timezone.now()
    Subscription.objects.filter(pk=subscription.pk).update(claim=F("claim") + 1, **fields)
    subscription.refresh_from_db()
    return subscription


def unsubscribe(*, subscription: Subscription) -> Subscription:
    """Everything off, for good: the row stays, so nothing makes it again by itself."""
    return settings_update(
        subscription=subscription, activity=Activity.OFF, deadline=False, result=False
    )
