"""Who is asking, and what they may do. Every view and API endpoint starts here.

A browser is known by two signed cookies: the participant token (one per browser, long-lived,
shared by every question) and, per question, the organiser's admin key. Unknown ids, foreign
entries and wrong keys all end in 404, so nothing tells an outsider what exists.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import quote, unquote

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

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


@dataclass(frozen=True, slots=True)
class ReaderKind:
    """What a render or read shared by many readers may depend on of its reader: the rule's
    answers that are the same for every reader of the kind. Part of every shared key
    (`rendering.page_key`, the API's shared reads), so that a change to the rule changes the keys
    with it and nothing kept under the old rule is served."""

    organiser: bool
    newcomer: bool  # has given no name here yet: the forms ask for one
    may_add_ideas: bool
    may_add_arguments: bool
    may_vote: bool
    may_export: bool
    may_embed: bool
    sees_counts: bool
    sees_voter_names: bool
    ranks_by_votes: bool
    phase: str


def shown_to_everyone(question: Question) -> tuple[bool, bool]:
    """Whether every kind of reader of the question sees its vote counts, and its voters'
    names: only then may a live event, which every open page receives alike, carry them (a
    reader the rule withholds them from fetches their own view instead)."""
    readers = [
        Reader(question, None, organiser=organiser, newcomer=newcomer)
        for organiser in (False, True)
        for newcomer in (False, True)
    ]
    return (
        all(reader.sees_counts() for reader in readers),
        all(reader.sees_voter_names() for reader in readers),
    )


EVERY = None  # in `Reader.slots`: every slot of the kind is the reader's


class Reader:
    """The one rule for what a reader of a question sees and may do. The page, the render shared
    by many readers (rendering.py), the template tags, and the API's answers and shared reads
    all ask it: hidden tallies, anonymous votes and the like are decided here and nowhere else.

    Two levels: what depends on the question and the reader's kind only (organiser or not,
    newcomer or not: `kind`) may be rendered once and shared; what depends on who they are (their
    votes, their likes, their own entries: `slots`) is put in for each reader. The kind's answers
    must not ask who the reader is (`participant`): a shared render asks a stand-in of the kind
    (`anyone_of_kind`), who is nobody."""

    __slots__ = (
        "_marks",
        "_stacks",
        "is_open",
        "newcomer",
        "organiser",
        "participant",
        "phase",
        "question",
    )

    def __init__(
        self,
        question: Question,
        participant: Participant | None,
        *,
        organiser: bool,
        newcomer: bool | None = None,
        at: datetime | None = None,
    ) -> None:
        self.question = question
        self.participant = participant
        self.organiser = organiser
        self.newcomer = participant is None if newcomer is None else newcomer
        # Read once, from one instant: a reader is never in two phases at once.
        self.phase = question.phase(at=at or timezone.now())
        self.is_open = self.phase != "closed"
        self._marks: tuple[frozenset[str], frozenset[str]] | None = None
        self._stacks: dict[str, int] = {}

    def anyone_of_kind(self) -> "Reader":
        """A reader of this kind who is nobody in particular: votes, likes and owns nothing."""
        stand_in = Reader(self.question, None, organiser=self.organiser, newcomer=self.newcomer)
        stand_in.phase, stand_in.is_open = self.phase, self.is_open
        stand_in._marks = (frozenset(), frozenset())
        return stand_in

    # Who they are.

    @property
    def is_organiser(self) -> bool:
        return self.organiser

    @property
    def is_participant(self) -> bool:
        return not self.newcomer

    @property
    def is_newcomer(self) -> bool:
        return self.newcomer

    # What they may do.

    def may_add_ideas(self) -> bool:
        """Not in the vote phase, for anyone: an idea added then would meet votes already cast.
        Pros, cons and comments stay open in both phases: weighing the ideas goes on."""
        return self.phase in ("open", "ideas") and (self.question.allow_ideas or self.organiser)

    def may_add_arguments(self) -> bool:
        return self.is_open and (self.question.allow_arguments or self.organiser)

    def may_vote(self) -> bool:
        """Whether the page offers them a vote (a newcomer is asked for a name first): not in
        the idea phase."""
        return self.phase in ("open", "votes")

    def may_export(self) -> bool:
        """The results (CSV, Excel, JSON, report): the organiser's, and everyone's if allowed."""
        return self.organiser or self.question.allow_exports

    def may_embed(self) -> bool:
        """Whether other websites may show the question in an iframe (/embed/<id>/): only when
        its organiser turned it on. The same for every reader."""
        return self.question.allow_embed

    def embed_ancestors(self) -> list[str] | None:
        """The sites that may frame the embed page (CSP `frame-ancestors`), or None when none
        may. The question's own list, or any site when it is empty; within what the operator
        allows (PONDER_EMBED_ORIGINS, any site by default)."""
        if not self.may_embed():
            return None
        operator = settings.PONDER_EMBED_ORIGINS
        allowed = self.question.embed_origin_list or operator
        if "*" not in operator:
            allowed = [origin for origin in allowed if origin in operator]
        return allowed or None

    def may_change(self, entry: "Idea | Argument | Comment") -> bool:
        return self.may_change_by(entry.author_id)

    def may_change_by(self, author_id: str) -> bool:
        """Whether they may edit or delete an entry written by `author_id`."""
        authors = self.may_change_entries_of()
        return authors is EVERY or author_id in authors

    def may_change_entries_of(self) -> frozenset[str] | None:
        """Whose entries they may edit or delete: the organiser anyone's (`EVERY`); an author
        their own, while the question is open."""
        if self.organiser:
            return EVERY
        me = self.participant
        if self.is_open and me is not None:
            return frozenset((me.pk,))
        return frozenset()

    # What they see.

    def sees_counts(self) -> bool:
        """Whether the votes are counted for them (and the ideas ranked). A hidden tally is
        shown to nobody until the question closes, but to its organiser if they chose to see it
        meanwhile. (Likes on pros and cons are not votes: they stay shown.)"""
        question = self.question
        if not question.hide_tally or not self.is_open:
            return True
        return self.organiser and question.organiser_sees_tally

    def sees_voter_names(self) -> bool:
        """Whether they see who voted for what: never with anonymous votes (not even the
        organiser), and not while the counts are hidden from them."""
        return self.sees_counts() and not self.question.anonymous_votes

    def ranks_by_votes(self) -> bool:
        """Whether their ideas come in order of votes by default. While the question is open
        and its ideas come in random order, or while the counts are hidden from them (an order
        by votes would tell the tally), they come in an order of their own
        (`pages.Listing`, `rendering.page_key`); once it closes, by votes, as the result."""
        if not self.sees_counts():
            return False
        return not (self.is_open and self.question.random_order)

    @property
    def kind(self) -> ReaderKind:
        return ReaderKind(
            organiser=self.organiser,
            newcomer=self.newcomer,
            may_add_ideas=self.may_add_ideas(),
            may_add_arguments=self.may_add_arguments(),
            may_vote=self.may_vote(),
            may_export=self.may_export(),
            may_embed=self.may_embed(),
            sees_counts=self.sees_counts(),
            sees_voter_names=self.sees_voter_names(),
            ranks_by_votes=self.ranks_by_votes(),
            phase=self.phase,
        )

    # Their own marks.

    def _read_marks(self) -> tuple[frozenset[str], frozenset[str]]:
        if self._marks is None:
            me = self.participant
            if me is None:
                self._marks = (frozenset(), frozenset())
            elif getattr(me, "marks", None):  # read with the question (`hot.reader`)
                self._marks, self._stacks = me.marks, getattr(me, "stacks", {})
            else:  # now, in one query
                votes, likes, self._stacks = hot.marks_of(me.pk)
                self._marks = (votes, likes)
        return self._marks

    def read_marks_now(self) -> tuple[frozenset[str], frozenset[str]]:
        """Their votes and likes as they are now (one query), not as read with the question: for
        an answer made after a change this request made."""
        me = self.participant
        if me is not None:
            votes, likes, self._stacks = hot.marks_of(me.pk)
            self._marks = (votes, likes)
        return self._read_marks()

    @property
    def votes(self) -> frozenset[str]:
        """The ideas they vote for."""
        return self._read_marks()[0]

    @property
    def likes(self) -> frozenset[str]:
        """The arguments they like."""
        return self._read_marks()[1]

    def has_voted(self, idea_id: str) -> bool:
        return idea_id in self.votes

    def votes_on(self, idea_id: str) -> int:
        """How many of their votes are on the idea (more than one where the organiser lets
        people put several on one idea)."""
        if idea_id not in self.votes:
            return 0
        return self._stacks.get(idea_id, 1)

    def votes_used(self) -> int:
        """How many votes they have cast in the question, every stacked vote counted."""
        votes = self.votes
        return len(votes) + sum(n - 1 for n in self._stacks.values())

    def likes_argument(self, argument_id: str) -> bool:
        return argument_id in self.likes

    def slots(self) -> dict[str, frozenset[str] | None]:
        """Which of a page's personal parts (`{% personal KIND x %}`) show their `yes` variant
        to this reader: by kind, the keys that do (an idea's id for "voted", an argument's for
        "liked", an author's for "mine"), or `EVERY`."""
        return {
            "voted": self.votes,
            "liked": self.likes,
            "mine": self.may_change_entries_of(),
            "participant": EVERY if self.is_participant else frozenset(),
        }

    def wants(self, kind: str, key: str) -> bool:
        """Whether the personal part `kind` of `key` shows its `yes` variant (see `slots`)."""
        keys = self.slots()[kind]
        return keys is EVERY or key in keys


@dataclass
class Access:
    """Who is asking about which question: what they may see and do is `reader`'s to say."""

    question: Question
    participant: Participant | None
    is_organiser: bool
    token: str | None  # the participant token this browser holds, if any
    admin_key: str | None  # the organiser's key, shown back to the organiser only
    idea: Idea | None = None  # the idea the request is about, when read with the question
    _reader: Reader | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def reader(self) -> Reader:
        """The rule for this reader (made again once they join: `participant` set)."""
        reader = self._reader
        if reader is None or reader.participant is not self.participant:
            reader = self._reader = Reader(
                self.question, self.participant, organiser=self.is_organiser
            )
        return reader

    def anyone_of_kind(self, *, admin_key: str | None = None) -> "Access":
        """This access as any reader of its kind has it: nobody in particular, with `admin_key`
        in the place of the organiser's (a stand-in, in a shared render)."""
        neutral = replace(self, participant=None, token=None, admin_key=admin_key)
        neutral._reader = self.reader.anyone_of_kind()
        return neutral

    @property
    def is_open(self) -> bool:
        return self.reader.is_open

    # The rule's answers, where templates and views ask the access.

    def can_change(self, entry: Idea | Argument | Comment) -> bool:
        return self.reader.may_change(entry)

    def can_add_ideas(self) -> bool:
        return self.reader.may_add_ideas()

    def can_add_arguments(self) -> bool:
        return self.reader.may_add_arguments()

    def can_export(self) -> bool:
        return self.reader.may_export()

    def can_embed(self) -> bool:
        return self.reader.may_embed()


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


def remember_browser(response: HttpResponse, *, token: str) -> None:
    """Give a browser that has none a participant token, before it takes part (its own random
    order of the ideas is chosen by it); joining later keeps it (`browser_token`)."""
    response.set_signed_cookie(PARTICIPANT_COOKIE, token, **_cookie_options())


def forget_participant(response: HttpResponse) -> None:
    """This browser forgets who takes part from it ("not you?"): its token and its name. What
    they wrote stays, under their name."""
    for name in (PARTICIPANT_COOKIE, NAME_COOKIE):
        response.delete_cookie(name, path="/", samesite="Lax")


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
