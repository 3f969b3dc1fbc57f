"""What the question page shows, read in a fixed number of queries however big the question is.

The page, the htmx fragments and (later) the live updates and API all build from here, so one idea
row re-rendered after a vote is exactly the row the full page shows.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q

from . import hot
from .access import Access
from .models import Argument, Comment, HiddenReason, Idea, Question, Vote, count_of

# An idea's first voters read with it. A vote box names them all when there are no more, and
# one fewer with "and n more" when there are: "and 1 more" would hide a name it could show.
VOTERS_SHOWN = 4
# A big question shows its leading ideas and latest comments first; the rest come on demand
# ("Show more ideas"), so the page stays a size a phone can take.
IDEAS_SHOWN = 20
COMMENTS_SHOWN = 50
# Per idea and kind: its strongest pro and its strongest con (the most liked), so that a big
# question fits a few screens; the rest unfold in place, and the idea's own page shows them all.
ARGUMENTS_SHOWN = 1
# How a reader may order the ideas (`?sort=`): the first is the default. "random" is fixed per
# reader: one of `SHUFFLES` orders, chosen by who they are (`rendering.page_key`), so that a
# question has a few shared renders of it, not one per reader.
ORDERS = ("votes", "new", "discussed", "random")
SHUFFLES = 16
SEARCH_MAX = 100  # characters of `?q=` looked for; more is cut


@dataclass(frozen=True, slots=True)
class Listing:
    """Which of the ideas a page lists, in which order: `?sort=` and `?q=`, checked."""

    order: str = "votes"
    search: str = ""
    shuffle: int = 0  # which of the `SHUFFLES` random orders

    @classmethod
    def asked(cls, sort: str | None, search: str | None) -> "Listing":
        order = sort if sort in ORDERS else ORDERS[0]
        return cls(order=order, search=" ".join((search or "").split())[:SEARCH_MAX].strip())

    @property
    def is_default(self) -> bool:
        return self.order == ORDERS[0] and not self.search

    @property
    def query(self) -> str:
        """`sort=…&q=…` as the page's own links carry it on ("" for the default)."""
        asked = {"sort": self.order} if self.order != ORDERS[0] else {}
        if self.search:
            asked["q"] = self.search
        return urlencode(asked)


def _shuffled(ids: list[str], shuffle: int) -> list[str]:
    """`ids` in the `shuffle`th random order: the same every time, and an idea added later
    takes its place among the others without moving them."""
    return sorted(ids, key=lambda pk: hashlib.blake2b(f"{shuffle}:{pk}".encode()).digest())


class Author:
    """Who wrote an argument, as a page shows them."""

    __slots__ = ("name", "organiser", "pk")

    def __init__(self, pk: str, name: str, organiser: bool = False) -> None:
        self.pk = pk
        self.name = name
        self.organiser = organiser

    def __str__(self) -> str:
        return self.name


class ShownArgument:
    """An argument as a page shows it: what the templates, the API's shapes and the exports read of
    an `Argument`, and the reader's marks. Not a model instance: a read of the leading ideas of a
    big question holds thousands of arguments, and Django makes a model instance (and one for its
    author) several times slower than this (cProfile of the API's read of L: model `__init__` was
    a third of the time left besides SQL)."""

    __slots__ = (
        "author",
        "author_id",
        "changeable",
        "created_at",
        "edited_by_organiser",
        "hidden_note",
        "hidden_reason",
        "idea_id",
        "kind",
        "like_count",
        "liked",
        "pk",
        "text",
    )

    # What is read of each, in the order `__init__` takes it.
    FIELDS = (
        "pk",
        "idea_id",
        "author_id",
        "author__name",
        "kind",
        "text",
        "created_at",
        "like_count",
        "author__organiser",
        "edited_by_organiser",
        "hidden_reason",
        "hidden_note",
    )

    def __init__(self, row: tuple[Any, ...]) -> None:
        self.pk, self.idea_id, self.author_id, name, self.kind, self.text = row[:6]
        self.created_at, self.like_count, organiser, self.edited_by_organiser = row[6:10]
        self.hidden_reason, self.hidden_note = row[10:]
        self.author = Author(self.author_id, name, organiser)
        self.liked = False
        self.changeable = False

    @property
    def id(self) -> str:
        return self.pk

    def get_kind_display(self) -> str:
        return str(Argument.Kind(self.kind).label)

    @property
    def is_hidden(self) -> bool:
        return bool(self.hidden_reason)

    def get_hidden_reason_display(self) -> str:
        return str(HiddenReason(self.hidden_reason).label) if self.hidden_reason else ""


@dataclass
class Page:
    ideas: list[Idea]
    comments: list[Comment] = field(default_factory=list)
    my_vote_count: int = 0
    my_votes_left: int = 0  # of the question's cap
    idea_total: int = 0  # all the question's ideas, shown or not
    ranked_total: int = 0  # of them, those not hidden: the ones in the ranking (the chart's)
    comment_total: int = 0
    counted: bool = True  # False: the tally is hidden from this reader (no counts, no ranks)

    @property
    def more_ideas(self) -> int:
        return self.idea_total - len(self.ideas)

    @property
    def next_ideas(self) -> int:
        """How many ideas the "Show more ideas" link asks for."""
        return min(self.idea_total, len(self.ideas) + IDEAS_SHOWN)

    @property
    def earlier_comments(self) -> int:
        return self.comment_total - len(self.comments)

    @property
    def winners(self) -> list[Idea]:
        """The idea(s) with the most votes; a tie gives several, no votes gives none. (Of the
        ideas read: the page shows them as the result only in their order by votes.)"""
        ranked = [i for i in self.ideas if not i.is_hidden]  # a hidden idea is out of the result
        top = max((i.vote_count or 0 for i in ranked), default=0)
        return [i for i in ranked if top and i.vote_count == top]

    @property
    def further_ideas(self) -> list[Idea]:
        winners = {i.pk for i in self.winners}
        return [i for i in self.ideas if i.pk not in winners]


def named_voters(first: list[str], count: int) -> list[str]:
    """Of an idea's `first` voters (at most `VOTERS_SHOWN`), the ones its vote box names."""
    return first if count <= len(first) else first[: VOTERS_SHOWN - 1]


def voter_counts(question: Question, idea_ids: list[str]) -> dict[str, int] | None:
    """How many people vote for each idea, where that is not its count of votes (people may put
    several on one idea: `max_votes_per_idea`); None where it is (one query fewer)."""
    if question.max_votes_per_idea <= 1:
        return None
    firsts = Vote.objects.filter(idea_id__in=idea_ids, stack=1).order_by()
    counted = firsts.values("idea_id").annotate(n=Count("*")).values_list("idea_id", "n")
    return dict.fromkeys(idea_ids, 0) | dict(counted)


def question_page(
    access: Access,
    *,
    idea_ids: list[str] | None = None,
    comments: bool = True,
    ranked: bool = False,
    voters_shown: int | None = VOTERS_SHOWN,
    ideas_shown: int | None = None,
    ideas_from: int = 0,
    comments_shown: int | None = None,
    arguments_shown: int | None = None,
    per_kind: bool = False,
    listing: Listing | None = None,
    omit_hidden: bool = False,
) -> Page:
    """Ideas with their counts, arguments, first voters and this person's own votes and likes.

    With `idea_ids`, only those ideas (for a fragment); the number of queries stays the same.
    Ideas are ranked once the question is closed, or while it is open with `ranked` (exports).
    `voters_shown=None` lists every voter of each idea (the API), still in one query.
    `ideas_shown` keeps the leading ideas only (and counts them all), from the `ideas_from`th on
    (0: the first) for the API's pages of ideas; `comments_shown` the latest
    comments; each costs one more query, whatever the size. `arguments_shown` keeps the most
    liked arguments of each idea (and counts them all, in the ideas' query); with `per_kind`, that
    many pros and that many cons (the question page's rows). `listing` orders and filters the
    ideas (one more query for a random order).

    Entries the organiser hid stay in place for a reader who may not see them (`Reader.
    sees_hidden`), emptied of everything but the reason (`hidden_placeholder`), so that the page
    can say "Hidden by the organiser: off topic" there; with `omit_hidden` (the API, the exports)
    they are left out for such a reader, and their ideas' votes with them.
    """
    question, reader = access.question, access.reader
    hides = not reader.sees_hidden()
    omit = hides and omit_hidden
    if not reader.sees_voter_names():
        voters_shown = 0  # nobody named
    counted = reader.sees_counts()
    by_votes = reader.ranks_by_votes() or (ranked and counted)  # the results: always
    if not by_votes and (listing is None or listing.order == "votes"):
        # Not by votes: in a random order (the caller's choice of `SHUFFLES`: the page's is the
        # reader's own, `rendering.page_key`; any other read's is the question's first).
        listing = replace(listing or Listing(), order="random")
    one = None
    if idea_ids is not None and len(idea_ids) == 1 and ideas_shown is None:
        # One idea (the answer to a change on it): read by hand (`hot.one_idea`), for a tenth
        # of what compiling the queries below costs.
        one = hot.one_idea(
            question, idea_ids[0], arguments=arguments_shown, per_kind=per_kind, omit_hidden=omit
        )
    ideas_qs = Idea.objects.filter(question=question).with_counts().select_related("author")
    voters_qs = Vote.objects.filter(idea__question=question)
    # Left out for a reader who may not see them, the arguments the organiser hid are not
    # counted for them either (the API's `arguments_total`).
    shown_only: dict[str, str] = {"hidden_reason": ""} if omit else {}
    if arguments_shown is not None and one is None:
        ideas_qs = ideas_qs.annotate(argument_count=count_of(Argument, "idea", **shown_only))
        if per_kind:
            pro_count = count_of(Argument, "idea", kind="pro", **shown_only)
            ideas_qs = ideas_qs.annotate(pro_count=pro_count)
    if idea_ids is not None:
        ideas_qs = ideas_qs.filter(pk__in=idea_ids)
    listed = Idea.objects.filter(question=question)
    if omit:
        ideas_qs, listed = ideas_qs.filter(hidden_reason=""), listed.filter(hidden_reason="")
    shuffled: list[str] | None = None
    if listing is not None and not listing.is_default:
        if listing.search:
            found = Q(title__icontains=listing.search) | Q(description__icontains=listing.search)
            ideas_qs, listed = ideas_qs.filter(found), listed.filter(found)
        if listing.order == "new":
            ideas_qs = ideas_qs.order_by("-created_at", "-pk")
        elif listing.order == "discussed":
            if arguments_shown is None or one is not None:
                ideas_qs = ideas_qs.annotate(argument_count=count_of(Argument, "idea"))
            votes = ("-vote_count",) if counted else ()  # a tie broken by votes tells them
            ideas_qs = ideas_qs.order_by("-argument_count", *votes, "created_at", "pk")
        elif listing.order == "random" and one is None:
            every = _shuffled(list(ideas_qs.values_list("pk", flat=True)), listing.shuffle)
            end = None if ideas_shown is None else ideas_from + ideas_shown
            shuffled = every[ideas_from:end]
            ideas_qs = ideas_qs.filter(pk__in=shuffled)
    if ideas_shown is not None and shuffled is None:
        ideas_qs = ideas_qs[ideas_from : ideas_from + ideas_shown]
    if one is None:
        ideas = list(ideas_qs)
    else:
        ideas = [idea for idea in one[:1] if idea is not None and not (omit and idea.is_hidden)]
    if shuffled is not None:
        place = {pk: n for n, pk in enumerate(shuffled)}
        ideas.sort(key=lambda idea: place[idea.pk])
    idea_total = len(ideas)
    # A hidden idea is out of the ranking for everyone (`winners`), the organiser included.
    ranked_total = sum(1 for idea in ideas if not idea.is_hidden)
    if ideas_shown is not None:
        idea_ids = [idea.pk for idea in ideas]
        not_hidden = Count("pk", filter=Q(hidden_reason=""))
        totals = listed.aggregate(every=Count("pk"), ranked=not_hidden)
        idea_total, ranked_total = totals["every"], totals["ranked"]
    if idea_ids is None:
        args_qs = Argument.objects.filter(idea__question=question)
    else:
        # The ideas read (of this question): by their ids alone, with no join to the ideas of the
        # question (PostgreSQL then went through all of them: 33 ms on the L question).
        args_qs = Argument.objects.filter(idea_id__in=[idea.pk for idea in ideas])
        voters_qs = voters_qs.filter(idea_id__in=idea_ids)
    args_qs = args_qs.with_counts()
    if omit:
        args_qs = args_qs.filter(hidden_reason="")
    if arguments_shown is not None and one is None:
        args_qs = args_qs.leading(per_idea=arguments_shown, per_kind=per_kind)

    arguments: dict[str, list[ShownArgument]] = defaultdict(list)
    for row in args_qs.values_list(*ShownArgument.FIELDS) if one is None else one[1]:
        argument = ShownArgument(row)
        if omit and argument.is_hidden:
            continue
        arguments[argument.idea_id].append(argument)
    voters: dict[str, list[str]] = defaultdict(list)
    if voters_shown == 0:
        pass  # nobody named (results, the answer to a like): no query
    elif voters_shown is not None:
        # An index seek per idea shown (the leading ideas of a big question have tens of
        # thousands of votes between them, which a window over them all would sort).
        voters.update(hot.first_voters([idea.pk for idea in ideas], per_idea=voters_shown))
    else:  # every voter of each idea (the API), in one query
        # Each voter once, by their first vote on the idea (stack 1).
        voters_qs = voters_qs.filter(stack=1).order_by("idea_id", "created_at")
        for idea_id, name in voters_qs.values_list("idea_id", "participant__name"):
            voters[idea_id].append(name)

    # The reader's own marks, as they are now: this request may have changed them.
    my_votes, my_likes = reader.read_marks_now()
    people_voting = voter_counts(question, [idea.pk for idea in ideas]) if voters_shown else None
    for idea in ideas:
        idea.argument_list = arguments[idea.pk]
        for argument in idea.argument_list:
            argument.liked = argument.pk in my_likes
            argument.changeable = reader.may_change_by(argument.author_id)
        idea.more_arguments = (
            idea.argument_count - len(idea.argument_list) if arguments_shown is not None else 0
        )
        if per_kind and arguments_shown is not None:
            pros = sum(1 for argument in idea.argument_list if argument.kind == "pro")
            idea.more_pros = idea.pro_count - pros
            idea.more_cons = idea.more_arguments - idea.more_pros
        else:
            idea.more_pros = idea.more_cons = 0
        idea.first_voters = voters[idea.pk]
        people = idea.vote_count if people_voting is None else people_voting[idea.pk]
        if voters_shown == VOTERS_SHOWN:  # the page's vote box (the API names as many as read)
            idea.first_voters = named_voters(idea.first_voters, people)
        idea.more_voters = people - len(idea.first_voters)
        idea.voted = idea.pk in my_votes
        idea.my_votes = reader.votes_on(idea.pk) if idea.voted else 0
        idea.rank = None  # set for closed questions below; a missing attribute costs lookups
        idea.changeable = reader.may_change_by(idea.author_id)
        if hides:
            hidden_placeholder(idea)

    if not counted:
        # The tally is not theirs to see: no count, no voter, no rank, in any answer built from
        # this read (page, fragments, API, exports, report, chart).
        for idea in ideas:
            idea.vote_count = None
            idea.first_voters, idea.more_voters = [], 0
    elif ranked or not reader.is_open:
        _rank(ideas, question, everything=idea_ids is None)

    used = reader.votes_used()
    left = max((question.max_votes or 0) - used, 0)
    page = Page(
        ideas=ideas,
        my_vote_count=used,
        my_votes_left=left,
        idea_total=idea_total,
        ranked_total=ranked_total,
        counted=counted,
    )
    if comments:
        comments_qs = Comment.objects.filter(question=question).select_related("author")
        counted = Comment.objects.filter(question=question)
        if omit:
            comments_qs, counted = (
                comments_qs.filter(hidden_reason=""),
                counted.filter(hidden_reason=""),
            )
        if comments_shown is None:
            page.comments = list(comments_qs.order_by("created_at", "pk"))
            page.comment_total = len(page.comments)
        else:
            latest = comments_qs.order_by("-created_at", "-pk")[:comments_shown]
            page.comments = list(latest)[::-1]
            page.comment_total = counted.count()
        for comment in page.comments:
            comment.changeable = reader.may_change_by(comment.author_id)
            if hides:
                hidden_placeholder(comment)
    return page


def hidden_placeholder(entry: Any) -> None:
    """Empty a hidden entry (an idea with its arguments and votes, a `ShownArgument`, a
    comment) of all but its id and the reason it was hidden, for a reader who may not see it:
    whatever shows it then can show nothing of it. A shown entry is left as it is; an idea's
    hidden arguments are emptied alike."""
    for argument in getattr(entry, "argument_list", ()):
        hidden_placeholder(argument)
    if not entry.is_hidden:
        return
    if isinstance(entry, Idea):
        entry.title = entry.description = ""
        entry.argument_list = []
        entry.more_arguments = entry.more_pros = entry.more_cons = 0
        entry.first_voters, entry.more_voters = [], 0
        entry.vote_count, entry.voted, entry.rank, entry.changeable = 0, False, None, False
    elif isinstance(entry, ShownArgument):
        entry.text, entry.like_count, entry.liked, entry.changeable = "", 0, False, False
        entry.author = Author(entry.author_id, "")
    else:
        entry.text, entry.changeable = "", False


def comments_page(access: Access, *, offset: int, limit: int) -> tuple[list[Comment], int]:
    """`limit` of the question's comments, oldest first, after the first `offset`; and how many
    it has (hidden ones left out for a reader who may not see them). Two queries, whatever the
    size."""
    counted = Comment.objects.filter(question=access.question)
    if not access.reader.sees_hidden():
        counted = counted.filter(hidden_reason="")
    comments_qs = counted.select_related("author")
    comments = list(comments_qs.order_by("created_at", "pk")[offset : offset + limit])
    for comment in comments:
        comment.changeable = access.can_change(comment)
    return comments, counted.count()


def _rank(ideas: list[Idea], question: object, *, everything: bool) -> None:
    """Competition ranking by votes (1, 2, 2, 4): equal votes share a rank. Ideas without votes
    get no rank. A fragment of a few ideas ranks them against all the question's ideas."""
    # A hidden idea keeps its votes but is out of the ranking, for everyone.
    counts = [i.vote_count for i in ideas if not i.is_hidden]
    if not everything:
        everyone = Idea.objects.filter(question=question, hidden_reason="").with_counts()
        counts = list(everyone.values_list("vote_count", flat=True))
    first_place: dict[int, int] = {}
    for place, count in enumerate(sorted(counts, reverse=True), start=1):
        first_place.setdefault(count, place)
    for idea in ideas:
        shown = idea.vote_count and not idea.is_hidden
        idea.rank = first_place.get(idea.vote_count) if shown else None
