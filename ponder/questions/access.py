"""Who is asking, and what they may do. Every view and API endpoint starts here.

A browser is known by two signed cookies: the participant token (one per browser, long-lived,
shared by every question) and, per question, the organiser's admin key. Unknown ids, foreign
entries and wrong keys all end in 404, so nothing tells an outsider what exists.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from django.conf import settings
from django.db.models import Case, Exists, OuterRef, Q, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ponder.lib.ids import hash_secret, new_secret, secret_matches

from . import hot
from .models import (
    Argument,
    Comment,
    CoOrganiser,
    Idea,
    Invitation,
    Participant,
    Question,
    Survey,
    TakingPart,
    Vote,
    count_of,
)

PARTICIPANT_COOKIE = "ponder_participant"
NAME_COOKIE = "ponder_name"
COOKIE_AGE = 60 * 60 * 24 * 400  # the longest browsers keep a cookie


def admin_cookie_name(question_id: str) -> str:
    return f"ponder_admin_{question_id}"


def survey_admin_cookie_name(survey_id: str) -> str:
    return f"ponder_survey_admin_{survey_id}"


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
    sees_hidden: bool
    may_moderate: bool
    # The organiser holds the admin key here: an organiser by their account alone (its creator,
    # or a co-organiser) is not shown the admin link.
    holds_key: bool = False
    may_view: bool = True  # admitted (`admission`): else nothing is rendered for them at all


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
        "admitted",
        "holds_key",
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
        admitted: bool = True,
        holds_key: bool | None = None,
    ) -> None:
        self.question = question
        self.participant = participant
        self.organiser = organiser
        self.holds_key = organiser if holds_key is None else holds_key
        # The organiser is always let in (`admission`).
        self.admitted = admitted or organiser
        self.newcomer = participant is None if newcomer is None else newcomer
        # Read once, from one instant: a reader is never in two phases at once.
        self.phase = question.phase(at=at or timezone.now())
        self.is_open = self.phase != "closed"
        self._marks: tuple[frozenset[str], frozenset[str]] | None = None
        self._stacks: dict[str, int] = {}

    def anyone_of_kind(self) -> "Reader":
        """A reader of this kind who is nobody in particular: votes, likes and owns nothing."""
        stand_in = Reader(
            self.question,
            None,
            organiser=self.organiser,
            newcomer=self.newcomer,
            admitted=self.admitted,
            holds_key=self.holds_key,
        )
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

    def may_view(self) -> bool:
        """Whether they see the question at all: its ideas, arguments, votes and comments, on
        every surface (page, fragments, live events, API, exports, report, embed). Those the
        question's access setting keeps out see a gate saying what is needed (`admission`)."""
        return self.admitted

    def may_take_part(self) -> bool:
        """Whether they may give a name and add, vote, like and comment (while it is open)."""
        return self.admitted

    def may_add_ideas(self) -> bool:
        """Not in the vote phase, for anyone: an idea added then would meet votes already cast.
        Pros, cons and comments stay open in both phases: weighing the ideas goes on."""
        return (
            self.admitted
            and self.phase in ("open", "ideas")
            and (self.question.allow_ideas or self.organiser)
        )

    def may_add_arguments(self) -> bool:
        return self.admitted and self.is_open and (self.question.allow_arguments or self.organiser)

    def may_vote(self) -> bool:
        """Whether the page offers them a vote (a newcomer is asked for a name first): not in
        the idea phase."""
        return self.admitted and self.phase in ("open", "votes")

    def may_export(self) -> bool:
        """The results (CSV, Excel, JSON, report): the organiser's, and everyone's if allowed."""
        return self.organiser or (self.admitted and self.question.allow_exports)

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
        """Edit or delete it: the organiser anything; its author while it is open and not
        hidden by the organiser."""
        if entry.hidden_reason and not self.organiser:
            return False
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

    def may_change_image(self, idea: "Idea") -> bool:
        """Whether they may add, replace or remove the idea's picture: whoever may edit it."""
        return self.may_change(idea)

    # What they see.

    def sees_image(self, idea: "Idea") -> bool:
        """Whether the idea's picture is served to them. The idea is there (a deleted idea's
        picture is gone with it) and they read its question: yes. An idea withheld from some
        readers would withhold its picture here, for the page and the picture's own URL alike."""
        return idea.has_image

    def may_moderate(self) -> bool:
        """Hide and restore entries, remove a participant with all they did, merge ideas, and
        read and settle reports: the organiser's, open or closed."""
        return self.organiser

    def may_report(self, entry: "Idea | Argument | Comment") -> bool:
        """Report an entry to the organiser: a participant (who has given a name), about
        someone else's entry that is shown. The organiser hides instead."""
        me = self.participant
        return (
            me is not None
            and not self.organiser
            and entry.author_id != me.pk
            and not entry.hidden_reason
        )

    def may_vote_for(self, idea: "Idea") -> bool:
        """Whether the idea takes votes: not while the organiser hides it."""
        return self.may_vote() and not idea.hidden_reason

    # What they see.

    def sees_hidden(self) -> bool:
        """Whether they see what the organiser hid (greyed, with Restore); everyone else sees
        "Hidden by the organiser: <reason>" in its place on the page, and nothing of it in the
        API, the exports, the report, the embed or the events."""
        return self.organiser

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
            sees_hidden=self.sees_hidden(),
            may_moderate=self.may_moderate(),
            holds_key=self.organiser and self.holds_key,
            may_view=self.may_view(),
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
    # The account an API client acts as (its account token), if any: it may take part, and
    # administers the questions it asked (`account_administers`).
    account: Any = None
    admission: "Admission" = field(default_factory=lambda: ADMITTED)
    _reader: Reader | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def reader(self) -> Reader:
        """The rule for this reader (made again once they join, `participant` set, or once the
        question was changed, `question` set)."""
        reader = self._reader
        if (
            reader is None
            or reader.participant is not self.participant
            or reader.question is not self.question
        ):
            reader = self._reader = Reader(
                self.question,
                self.participant,
                organiser=self.is_organiser,
                admitted=self.admission.admitted,
                holds_key=self.admin_key is not None,
            )
        return reader

    @property
    def invitation(self) -> Invitation | None:
        """The invitation this browser or client came in by, if any."""
        return self.admission.invitation

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

    def can_moderate(self) -> bool:
        return self.reader.may_moderate()

    def can_report(self, entry: Idea | Argument | Comment) -> bool:
        return self.reader.may_report(entry)


def moderator_for(request: HttpRequest, question_id: str) -> Access:
    """The question, for who may moderate it (`Reader.may_moderate`); 404 for everyone else."""
    access = question_for(request, question_id)
    if not access.reader.may_moderate():
        raise Http404
    return access


def question_for(
    request: HttpRequest, question_id: str, *, idea_id: str | None = None, gate: bool = True
) -> Access:
    """With `idea_id`, the question's idea of that id is read in the same query (`idea_for`
    then finds it there): 404 if there is none. Someone the question's access setting keeps out
    gets `Gated` (a gate page, 403), unless `gate` is off (the gate's own views)."""
    # Every page read starts here: one read in SQL written out once (hot/).
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
    holds_key = key_organises(question, admin_key)
    if not holds_key and question.survey_id is not None:
        admin_key = survey_admin_key(request, question.survey_id)
        holds_key = survey_key_organises(question, admin_key)
    is_organiser = holds_key or account_administers(question, request_user(request))
    access = Access(
        question=question,
        participant=participant,
        is_organiser=is_organiser,
        token=token,
        admin_key=admin_key if holds_key else None,
        idea=idea,
        admission=admission_of_request(request, question, participant, organiser=is_organiser),
    )
    if gate and not access.reader.may_view():
        raise Gated(question, access.admission.needs)
    return access


def question_for_token(question_id: str, token: str | None, *, gate: bool = True) -> Access:
    """The question as an API client sending this bearer token sees it.

    The token is the question's admin key (the organiser) or a participant's token. The organiser
    takes part under the admin key itself once they have given a name, so one token does both.
    A client the question's access setting keeps out gets `Gated` (403), unless `gate` is off
    (joining, which may bring the password or an invitation).
    """
    # One read for the question, the participant and their votes and likes (hot/).
    question, participant = hot.reader(question_id, hash_secret(token) if token else None)
    if question is None:
        raise Http404
    is_organiser = key_organises(question, token)
    access = Access(
        question=question,
        participant=participant,
        is_organiser=is_organiser,
        token=token,
        admin_key=token if is_organiser else None,
        admission=admission_of_participant(question, participant, organiser=is_organiser),
    )
    if gate and not access.reader.may_view():
        raise Gated(question, access.admission.needs)
    return access


# Surveys ------------------------------------------------------------------------------------


def survey_key_organises(question: Question, key: str | None) -> bool:
    """Whether `key` is the admin key of the survey the question belongs to: it makes its
    holder the organiser of each of the survey's questions (one query, only for a question of a
    survey and a key to check)."""
    if question.survey_id is None or not key:
        return False
    digest = Survey.objects.filter(pk=question.survey_id).values_list("admin_key_hash", flat=True)
    return secret_matches(key, digest.first() or "")


def key_organises(question: Question, key: str | None) -> bool:
    """Whether `key` makes its holder the question's organiser: the question's own admin key,
    or its survey's."""
    return secret_matches(key, question.admin_key_hash) or survey_key_organises(question, key)


def survey_admin_key(request: HttpRequest, survey_id: str) -> str | None:
    """The survey's admin key as this browser holds it (not checked)."""
    return request.get_signed_cookie(survey_admin_cookie_name(survey_id), default=None)


def survey_organiser_key(request: HttpRequest, survey: Survey) -> str | None:
    """The survey's admin key, if this browser holds the right one: its organiser."""
    key = survey_admin_key(request, survey.pk)
    return key if secret_matches(key, survey.admin_key_hash) else None


def survey_for_token(survey_id: str, token: str | None) -> tuple[Survey, bool]:
    """The survey as an API client with this bearer token sees it, and whether the token is its
    admin key (the organiser); 404 for an unknown id."""
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    return survey, secret_matches(token, survey.admin_key_hash)


def remember_survey_organiser(response: HttpResponse, *, survey_id: str, admin_key: str) -> None:
    # For the whole site: the survey's page (/s/) and each of its questions' (/q/) ask for it.
    response.set_signed_cookie(
        survey_admin_cookie_name(survey_id), admin_key, **_cookie_options("/")
    )


def question_for_account(question_id: str, account: Any, *, gate: bool = True) -> Access:
    """The question as an API client acting as `account` (with its account token) sees it: its
    organiser if the account administers it, its participant if the account took part (the
    first of its names there, when it took part from several browsers). An account is let in
    where an account is what it takes; where a password or an invitation is, its participant
    must have joined with one (`admission_of_participant`), or it gets `Gated` unless `gate`
    is off."""
    question, _ = hot.reader(question_id, None)
    if question is None:
        raise Http404
    participant = (
        Participant.objects.filter(question=question, user=account)
        .order_by("created_at", "pk")
        .first()
    )
    is_organiser = account_administers(question, account)
    if question.taking_part == TakingPart.ACCOUNT:
        admitted = ADMITTED
    else:
        admitted = admission_of_participant(question, participant, organiser=is_organiser)
    access = Access(
        question=question,
        participant=participant,
        is_organiser=is_organiser,
        token=None,
        admin_key=None,
        account=account,
        admission=admitted,
    )
    if gate and not access.reader.may_view():
        raise Gated(question, access.admission.needs)
    return access


def asked_by(question: Question, user: Any) -> bool:
    """Whether this account asked the question (or claimed it since): it is its creator."""
    return user is not None and user.is_authenticated and question.created_by_id == user.pk


def account_administers(question: Question, user: Any) -> bool:
    """Whether this account (a logged-in person, or an API client with an account token) is
    an organiser of the question without its admin key: it asked the question while logged in,
    or claimed it since (`ponder.accounts.services.claims_take`), or the organiser made it a
    co-organiser (`is_co_organiser`)."""
    if user is None or not user.is_authenticated:
        return False
    return question.created_by_id == user.pk or is_co_organiser(question, user)


def administered_by(account: Any) -> Q:
    """`account_administers` as a filter of questions, for a list of many in one query: the
    ones the account asked (or claimed) or co-organises."""
    co_organises = CoOrganiser.objects.filter(question=OuterRef("pk"), user=account)
    return Q(created_by=account) | Exists(co_organises)


def account_counts(account: Any) -> dict[str, Any]:
    """The counts of each question a list of the account's questions shows (My questions, the
    API's `/me/questions`), as annotations: `idea_count`, `participant_count`, `vote_count`.
    What the organiser hid is counted for the organiser only (`Reader.sees_hidden`): for anyone
    else a hidden idea and its votes are not there at all, as on every other surface."""
    organises = administered_by(account)

    def counted(model: Any, field: str, **shown: object) -> Case:
        return Case(
            When(organises, then=count_of(model, field)), default=count_of(model, field, **shown)
        )

    return {
        "idea_count": counted(Idea, "question", hidden_reason=""),
        "participant_count": count_of(Participant, "question"),
        "vote_count": counted(Vote, "idea__question", idea__hidden_reason=""),
    }


def admin_for(request: HttpRequest, question_id: str) -> Access:
    """The question, for its organiser only; 404 for everyone else."""
    access = question_for(request, question_id)
    if not access.is_organiser:
        raise Http404
    return access


# Who may take part ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Admission:
    """Whether the question's access setting lets this reader in, and if not, what they need:
    "login", "password", "invitation" (they hold none) or "revoked". (An invitation link opened
    in a second browser answers "invitation_used" itself: `gates.invitation_link`.)"""

    admitted: bool
    needs: str = ""
    invitation: Invitation | None = None  # the invitation they came in by


ADMITTED = Admission(admitted=True)


class Gated(Exception):
    """Someone the question's access setting keeps out asked for it: answered with the gate
    page (`gates.gate_page`) or, in the API, a 403 in JSON."""

    def __init__(self, question: Question, needs: str) -> None:
        super().__init__(needs)
        self.question = question
        self.needs = needs


def admission(
    question: Question,
    *,
    organiser: bool,
    account: bool,
    knows_password: bool,
    invitation: Invitation | None,
) -> Admission:
    """THE rule of who may take part (and so see the question). The organiser always; then by
    the question's setting: anyone with the link; someone with an account; someone who gave the
    password (or joined with it); someone holding an invitation not revoked."""
    mode = question.taking_part
    if organiser or mode == TakingPart.LINK:
        return ADMITTED
    if mode == TakingPart.ACCOUNT:
        return ADMITTED if account else Admission(False, "login")
    if mode == TakingPart.PASSWORD:
        return ADMITTED if knows_password else Admission(False, "password")
    if invitation is not None:
        if invitation.revoked_at is not None:
            return Admission(False, "revoked")
        return Admission(True, "", invitation)
    return Admission(False, "invitation")


def request_user(request: HttpRequest) -> Any:
    """The account logged in, or None."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def admission_of_request(
    request: HttpRequest,
    question: Question,
    participant: Participant | None,
    *,
    organiser: bool,
) -> Admission:
    """`admission` for a browser: its login, its password cookie, its invitation cookie."""
    if organiser or question.taking_part == TakingPart.LINK:
        return ADMITTED  # nothing more to read
    return admission(
        question,
        organiser=organiser,
        account=request_user(request) is not None,
        # Who joined, knew it (or took part before it was set): a new password keeps newcomers out.
        knows_password=participant is not None or knows_password(request, question),
        invitation=held_invitation(request, question),
    )


def admission_of_participant(
    question: Question, participant: Participant | None, *, organiser: bool
) -> Admission:
    """`admission` for an API client, by its token: a participant who joined with an account,
    with the password, or by an invitation (`participant_join` in the API asks for them)."""
    if organiser or question.taking_part == TakingPart.LINK:
        return ADMITTED
    invitation = None
    if participant is not None and question.taking_part == TakingPart.INVITATION:
        invitation = Invitation.objects.filter(question=question, participant=participant).first()
    return admission(
        question,
        organiser=organiser,
        account=participant is not None and participant.user_id is not None,
        knows_password=participant is not None,
        invitation=invitation,
    )


def is_co_organiser(question: Question, user: Any) -> bool:
    """A co-organiser, logged in, is the question's organiser without its admin key."""
    if user is None:
        return False
    return CoOrganiser.objects.filter(question=question, user=user).exists()


# A browser's proof of the password: a digest of the question's password hash, so that a new
# password makes every proof of the old one worthless. Signed, per question.
def password_cookie_name(question_id: str) -> str:
    return f"ponder_pass_{question_id}"


def _password_proof(question: Question) -> str:
    return hash_secret(f"{question.pk}:{question.password_hash}")


def knows_password(request: HttpRequest, question: Question) -> bool:
    if not question.password_hash:
        return False
    proof = request.get_signed_cookie(password_cookie_name(question.pk), default=None)
    return proof is not None and secret_matches(proof, hash_secret(_password_proof(question)))


def remember_password(response: HttpResponse, question: Question) -> None:
    response.set_signed_cookie(
        password_cookie_name(question.pk), _password_proof(question), **_cookie_options()
    )


# An invitation held by this browser: the invitation's id and the secret it was bound with.


def invitation_cookie_name(question_id: str) -> str:
    return f"ponder_invite_{question_id}"


def held_invitation(request: HttpRequest, question: Question) -> Invitation | None:
    held = request.get_signed_cookie(invitation_cookie_name(question.pk), default=None)
    if not held:
        return None
    invitation_id, _, secret = held.partition(":")
    invitation = Invitation.objects.filter(pk=invitation_id, question=question).first()
    if invitation is None or not secret_matches(secret, invitation.browser_hash):
        return None
    return invitation


def remember_invitation(
    response: HttpResponse, question: Question, invitation: Invitation, secret: str
) -> None:
    response.set_signed_cookie(
        invitation_cookie_name(question.pk), f"{invitation.pk}:{secret}", **_cookie_options()
    )


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
    """The name offered to someone about to take part: their account's display name when they
    are logged in and have one, else the name this browser gave last."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        profile = getattr(user, "profile", None)  # ponder.accounts.models.Profile, if made
        if profile is not None and profile.display_name:
            return profile.display_name
    return unquote(request.get_signed_cookie(NAME_COOKIE, default="") or "")


def request_account(request: HttpRequest) -> Any:
    """The logged-in account of a page request, or None."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


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
