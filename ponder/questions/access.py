"""Who is asking, and what they may do. Every view and API endpoint starts here.

A browser is known by two signed cookies: the participant token (one per browser, long-lived,
shared by every question) and, per question, the organiser's admin key. Unknown ids, foreign
entries and wrong keys all end in 404, so nothing tells an outsider what exists.
"""

from dataclasses import dataclass
from urllib.parse import quote, unquote

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from ponder.lib.ids import hash_secret, new_secret, secret_matches

from . import hot
from .models import Argument, Comment, Idea, Participant, Question

PARTICIPANT_COOKIE = "ponder_participant"
NAME_COOKIE = "ponder_name"
COOKIE_AGE = 60 * 60 * 24 * 400  # the longest browsers keep a cookie


def admin_cookie_name(question_id: str) -> str:
    return f"ponder_admin_{question_id}"


def _cookie_options(path: str = "/") -> dict[str, object]:
    return {
        "max_age": COOKIE_AGE,
        "httponly": True,
        "samesite": "Lax",
        "secure": settings.HTTPS,
        "path": path,
    }


@dataclass
class Access:
    question: Question
    participant: Participant | None
    is_organiser: bool
    token: str | None  # the participant token this browser holds, if any
    admin_key: str | None  # the organiser's key, shown back to the organiser only
    idea: Idea | None = None  # the idea the request is about, when read with the question

    @property
    def is_open(self) -> bool:
        return self.question.is_open()

    def can_change(self, entry: Idea | Argument | Comment) -> bool:
        """The organiser may edit or delete anything; an author their own, while it is open."""
        if self.is_organiser:
            return True
        return (
            self.participant is not None
            and entry.author_id == self.participant.pk
            and self.question.is_open()
        )

    def can_add_ideas(self) -> bool:
        return self.is_open and (self.question.allow_ideas or self.is_organiser)

    def can_add_arguments(self) -> bool:
        return self.is_open and (self.question.allow_arguments or self.is_organiser)

    def can_export(self) -> bool:
        """The results (CSV, Excel, JSON, report): the organiser's, and everyone's if allowed."""
        return self.is_organiser or self.question.allow_exports


def question_for(request: HttpRequest, question_id: str, *, idea_id: str | None = None) -> Access:
    """With `idea_id`, the question's idea of that id is read in the same query (`idea_for`
    then finds it there): 404 if there is none."""
    # Every page read starts here: one read in SQL written out once (hot.py).
    token = participant_token(request)
    token_hash = hash_secret(token) if token else None
    # Their votes and likes as read before a request that changes them are not to be shown:
    # such a request does not read them with the question (whoever shows them reads them then).
    reads_only = request.method in ("GET", "HEAD")
    idea = None
    if idea_id is None:
        question, participant = hot.reader(question_id, token_hash)
        if participant is not None and not reads_only:
            del participant.marks
    else:
        question, participant, idea = hot.reader_and_idea(
            question_id, token_hash, idea_id, marks=reads_only
        )
        if idea is None:
            raise Http404
    if question is None:
        raise Http404
    admin_key = request.get_signed_cookie(admin_cookie_name(question.pk), default=None)
    is_organiser = secret_matches(admin_key, question.admin_key_hash)
    return Access(
        question=question,
        participant=participant,
        is_organiser=is_organiser,
        token=token,
        admin_key=admin_key if is_organiser else None,
        idea=idea,
    )


def question_for_token(question_id: str, token: str | None) -> Access:
    """The question as an API client sending this bearer token sees it.

    The token is the question's admin key (the organiser) or a participant's token. The organiser
    takes part under the admin key itself once they have given a name, so one token does both.
    """
    # One read for the question, the participant and their votes and likes (hot.py).
    question, participant = hot.reader(question_id, hash_secret(token) if token else None)
    if question is None:
        raise Http404
    is_organiser = secret_matches(token, question.admin_key_hash)
    return Access(
        question=question,
        participant=participant,
        is_organiser=is_organiser,
        token=token,
        admin_key=token if is_organiser else None,
    )


def admin_for(request: HttpRequest, question_id: str) -> Access:
    """The question, for its organiser only; 404 for everyone else."""
    access = question_for(request, question_id)
    if not access.is_organiser:
        raise Http404
    return access


def idea_for(access: Access, idea_id: str) -> Idea:
    if access.idea is not None and access.idea.pk == idea_id:
        return access.idea  # read with the question
    found = hot.idea(access.question, idea_id)
    if found is None:
        raise Http404
    return found


def argument_for(access: Access, argument_id: str) -> Argument:
    return get_object_or_404(
        Argument.objects.select_related("idea__question"),
        pk=argument_id,
        idea__question=access.question,
    )


def comment_for(access: Access, comment_id: str) -> Comment:
    return get_object_or_404(
        Comment.objects.select_related("question"), pk=comment_id, question=access.question
    )


def participant_token(request: HttpRequest) -> str | None:
    return request.get_signed_cookie(PARTICIPANT_COOKIE, default=None)


def browser_token(request: HttpRequest) -> str:
    """This browser's participant token, or a new one (remembered by `remember_participant`)."""
    return participant_token(request) or new_secret()


def remember_participant(response: HttpResponse, *, token: str, name: str) -> None:
    response.set_signed_cookie(PARTICIPANT_COOKIE, token, **_cookie_options())
    # Quoted: cookies are ASCII and names are not ("Łukasz", "王"); ASGI would answer 500.
    response.set_signed_cookie(NAME_COOKIE, quote(name), **_cookie_options())


def remember_organiser(response: HttpResponse, *, question_id: str, admin_key: str) -> None:
    response.set_signed_cookie(
        admin_cookie_name(question_id), admin_key, **_cookie_options(f"/q/{question_id}/")
    )


def remembered_name(request: HttpRequest) -> str:
    return unquote(request.get_signed_cookie(NAME_COOKIE, default="") or "")


# Embeds -------------------------------------------------------------------------------------

EMBED_PATH = "/embed/"
MESSAGES_COOKIE = "messages"  # django.contrib.messages' cookie storage


def is_embedded(request: HttpRequest) -> bool:
    """Whether the request comes from an embed page, which may sit in an iframe on another site:
    the embed page itself (unless opened in a tab of its own), the htmx requests sent from it
    (they name the page they come from), and form posts made inside a frame without JavaScript
    (the browser's Fetch Metadata says so)."""
    destination = request.headers.get("Sec-Fetch-Dest")
    if request.path_info.startswith(EMBED_PATH):
        return destination != "document"
    htmx = getattr(request, "htmx", None)
    if htmx:
        return (htmx.current_url_abs_path or "").startswith(EMBED_PATH)
    return destination == "iframe"


def allow_cookies_in_embeds(response: HttpResponse) -> None:
    """Let the cookies that taking part needs work in an iframe on another site.

    Browsers send SameSite=Lax cookies to a frame only when the page around it is on the same
    site; a third-party frame needs SameSite=None, which needs Secure (HTTPS). Partitioned (CHIPS)
    keeps them in a jar of their own per embedding site, which browsers that block third-party
    cookies still allow. Over plain HTTP nothing can be done: see README.md.
    """
    for name in (PARTICIPANT_COOKIE, NAME_COOKIE, settings.CSRF_COOKIE_NAME, MESSAGES_COOKIE):
        if name in response.cookies:
            morsel = response.cookies[name]
            morsel["secure"] = True
            # Python 3.12's cookies know no Partitioned attribute (3.14 does): it rides on
            # SameSite's value, which is written out as it is.
            morsel["samesite"] = "None; Partitioned"
