"""Who is calling the API: `Authorization: Bearer <token>`, nothing else.

No endpoint looks at cookies, so a browser's session or participant cookie never acts through the
API and no CSRF token is needed (a cross-site page cannot set the Authorization header).

A token means something only on one question: it is that question's admin key (the organiser) or
the token of one of its participants (`ponder.questions.access.question_for_token`). An account
token (`ponder_…`, made on the account page: `ponder.accounts.tokens`) is the exception: the
program acts as the account on every question, as the person does logged in on the pages
(`question_for_account`): the organiser of what the account asked, a participant where it took
part, and free to take part anywhere. A revoked, wrong or unknown account token gets 401. The door
(`BearerToken`) only checks that a token came; the functions below decide, per question, the same
way the pages do:

- `public`: anyone, and the token is not even looked at.
- `reader`: anyone; a token that is sent must belong to the question (else 401).
- `member`: the organiser or a participant, for an entry reached by its id alone (401 without a
  token; any other token gets 404, so an entry's id tells nobody else whether it exists).
- `writer`: anyone, for a write; a token that is sent but does not belong to the question gets
  404, as an unknown id does (same status, same body), so a write tells no one which ids exist.
- `participant`: someone who has taken part (401 without a token, 404 with a token of another
  question; 403 for an organiser who has not given a name yet).
- `changer`: the author or the organiser of an entry (`Access.can_change`); others get 404.
- `organiser`: the holder of the admin key; any other token gets 404, as on the pages.
- `moderator`: who may hide, restore, merge, remove participants and read reports
  (`Reader.may_moderate`: the organiser); any other token gets 404.
"""

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer

from ponder.accounts.tokens import account_of, is_account_token
from ponder.questions.access import Access, question_for_account, question_for_token
from ponder.questions.models import Argument, Comment, Idea
from ponder.questions.services import ActionRefused


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        return token.strip() or None


bearer = BearerToken()


def _token(request: HttpRequest) -> str | None:
    """The bearer token sent, if any; a malformed Authorization header is refused."""
    if getattr(request, "auth", None):
        return request.auth  # checked at the door
    if "Authorization" not in request.headers:
        return None
    token = bearer(request)
    if not token:
        raise AuthenticationError(message=_("Send your token as: Authorization: Bearer <token>."))
    return token


def bearer_of(request: HttpRequest) -> str | None:
    """The bearer token sent, if any (`_token`)."""
    return _token(request)


def account(request: HttpRequest) -> Any:
    """The account whose token was sent (`Authorization: Bearer ponder_…`), or None when no
    account token was sent. 401 for a revoked, wrong or unknown one."""
    token = _token(request)
    return _account_of(token) if token is not None and is_account_token(token) else None


def _account_of(token: str) -> Any:
    found = account_of(token)
    if found is None:
        raise AuthenticationError(
            message=_("This account token is not valid: it was revoked, or it is mistyped.")
        )
    return found


def _resolve(question_id: str, token: str | None, *, gate: bool = True) -> Access:
    # An account token is looked up among the accounts' tokens only; any other token is this
    # question's admin key or one of its participants' tokens. Whoever the question's access
    # setting keeps out gets 403 (`Gated`), unless `gate` is off.
    if token is not None and is_account_token(token):
        return question_for_account(question_id, _account_of(token), gate=gate)
    return question_for_token(question_id, token, gate=gate)


def public(question_id: str) -> Access:
    """Anyone, as anyone: what is the same for everybody. No token is looked at (and a question
    open to some only answers 403: `Gated`)."""
    return question_for_token(question_id, None)


def reader(request: HttpRequest, question_id: str) -> Access:
    access = _resolve(question_id, _token(request))
    if access.token and not (access.is_organiser or access.participant):
        raise AuthenticationError(message=_("This token does not belong to this question."))
    return access


def writer(request: HttpRequest, question_id: str, *, gate: bool = True) -> Access:
    """Whoever writes: a token that is sent must belong to the question, else 404 (not 401,
    which an unknown id never gets: the two answers would tell an entry's existence). `gate`
    off: for joining, which may bring the password or an invitation."""
    access = _resolve(question_id, _token(request), gate=gate)
    if access.token and not (access.is_organiser or access.participant):
        raise Http404
    return access


def viewer(request: HttpRequest, question_id: str) -> Access:
    """Whoever asks, by the token they send (if any), not refused when the question's access
    setting keeps them out: the caller asks `reader.may_view()` itself (a survey's read lists
    such a question as gated)."""
    return _resolve(question_id, _token(request), gate=False)


def member(request: HttpRequest, question_id: str) -> Access:
    """Whoever holds a token of this question: its admin key or a participant's token.

    For an entry reached by its id alone, which is short enough to be guessed (ids.py): the
    question's id is the private link, so without it only a token of the question reads."""
    token = _token(request)
    if not token:
        raise AuthenticationError(message=_("Send your token as: Authorization: Bearer <token>."))
    access = _resolve(question_id, token)
    if not (access.is_organiser or access.participant):
        raise Http404
    return access


def participant(request: HttpRequest, question_id: str) -> Access:
    access = writer(request, question_id)
    if access.participant is None:
        if access.is_organiser or access.account is not None:
            raise HttpError(
                403,
                _(
                    "Take part first: send your name to /api/v1/questions/%(id)s/participants "
                    "with this same token."
                )
                % {"id": question_id},
            )
        raise AuthenticationError(message=_("Send your token as: Authorization: Bearer <token>."))
    return access


def changer(request: HttpRequest, question_id: str) -> Access:
    access = writer(request, question_id)
    if not (access.token or access.account):
        raise AuthenticationError(message=_("Send your token as: Authorization: Bearer <token>."))
    return access


def may_change(access: Access, entry: Idea | Argument | Comment) -> None:
    """Refuse unless `access.can_change(entry)`, the rule the pages follow.

    An author whose question has closed hears why (409); anyone else gets 404, as on the pages."""
    if access.can_change(entry):
        return
    if access.participant is not None and entry.author_id == access.participant.pk:
        raise ActionRefused(_("This question is closed."), code="closed")
    raise Http404


def moderator(request: HttpRequest, question_id: str) -> Access:
    """Whoever may moderate the question (`Reader.may_moderate`); any other token gets 404."""
    access = _resolve(question_id, _token(request))
    if not access.reader.may_moderate():
        raise Http404
    return access


def organiser(request: HttpRequest, question_id: str) -> Access:
    access = _resolve(question_id, _token(request))
    if not access.is_organiser:
        raise Http404
    return access
