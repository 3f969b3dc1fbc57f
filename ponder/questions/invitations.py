"""Invitations to a question that only invitees may take part in (README, Who may take part).

Each invitation is a personal link, `/q/<id>/i/<key>/`, whose key is stored only as a hash. The
first browser to open it is bound to it: it gets a secret of its own in a signed cookie, whose
hash the invitation keeps, and every other browser that opens the link is turned away. The
participant who joins from that browser is bound to it too. Revoking it lets nobody in any more,
them included (`access.admission`).
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ponder import mail
from ponder.lib.ids import hash_secret, new_secret, secret_matches
from ponder.lib.text import without_bidi_controls

from .models import Invitation, Question
from .services import ActionRefused
from .services.base import _announce, _lock


@dataclass(frozen=True, slots=True)
class NewInvitation:
    """An invitation just made, with its key: the only time the key is known."""

    invitation: Invitation
    key: str


def _create(question: Question, *, label: str, email: str = "") -> NewInvitation:
    key = new_secret()
    invitation = Invitation.objects.create(
        question=question, label=label, email=email, key_hash=hash_secret(key)
    )
    return NewInvitation(invitation, key)


@transaction.atomic
def invitation_create_links(
    *, question: Question, count: int, label: str = ""
) -> list[NewInvitation]:
    """`count` personal links, labelled "<label> 1", "<label> 2" … (or "Invitation 1" …)."""
    _lock(question)
    base = label or _("Invitation")
    start = Invitation.objects.filter(question=question).count()
    return [_create(question, label=f"{base} {start + n}") for n in range(1, count + 1)]


@transaction.atomic
def invitation_create_for_emails(*, question: Question, emails: list[str]) -> list[NewInvitation]:
    """One personal link for each address. The mails are sent by the caller, with the links
    (`send_invitation_mail`), once the invitations are stored."""
    _lock(question)
    return [_create(question, label=email, email=email) for email in emails]


def invitation_of_key(question: Question, key: str) -> Invitation | None:
    return Invitation.objects.filter(question=question, key_hash=hash_secret(key)).first()


@transaction.atomic
def invitation_bind(*, invitation: Invitation, secret: str) -> bool:
    """Bind the invitation to the browser holding `secret`, if no browser holds it yet. Whether
    that browser holds it now (bound before, or just now); False for any other browser."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.revoked_at is not None:
        return False
    if locked.browser_hash:
        return secret_matches(secret, locked.browser_hash)
    locked.browser_hash = hash_secret(secret)
    locked.used_at = timezone.now()
    locked.save(update_fields=["browser_hash", "used_at"])
    invitation.browser_hash, invitation.used_at = locked.browser_hash, locked.used_at
    return True


@transaction.atomic
def invitation_take(*, invitation: Invitation) -> Invitation:
    """An API client takes part by the invitation: it is used from then on (no browser can bind
    it). Refused if it is used or revoked."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.revoked_at is not None:
        raise ActionRefused(_("This invitation was withdrawn."), code="revoked")
    if locked.used_at is not None:
        raise ActionRefused(
            _("This invitation was used already: it lets one person in."), code="used"
        )
    locked.used_at = timezone.now()
    locked.browser_hash = hash_secret(new_secret())  # no browser holds it
    locked.save(update_fields=["browser_hash", "used_at"])
    return locked


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    """The link lets nobody in any more, nor the browser or participant that came in by it. Open
    pages of the question are told to reload (so the revoked one meets the gate)."""
    question = _lock(invitation.question)
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        _announce(question, "question.changed")
    return invitation


def send_invitation_mail(*, to: str, question: Question, url: str) -> None:
    """The invitation mail: the question's title and the invitee's own link."""
    subject = _("You are invited to take part: %(title)s") % {"title": question.title[:80]}
    body = _(
        "You are invited to take part in a question on Ponder:\n\n%(title)s\n\n"
        "Your personal link (it lets you in, in the first browser you open it in):\n%(url)s\n\n"
        "Do not pass it on: it is yours alone.\n"
    ) % {"title": question.title, "url": url}
    # Queued, and sent by the worker (ponder/mail.py), never during the request.
    mail.send(to=to, subject=" ".join(without_bidi_controls(subject).split()), body=body)
