"""The question page's shared parts (and an idea's own page), rendered once per question version
and kind of reader, and reused by every reader of the kind.

Most of a question page is the same for every reader: the ideas, their pros and cons, counts and
voters, the comments. Only a few marks are a reader's own: which ideas they voted for, which
arguments they like, which entries they may edit, their CSRF token. So the ideas and comments are
rendered once per question version (and language, open state and kind of reader) with each of
those marks left as a *slot* holding both of its variants (`{% personal %}` in the template), and
every reader gets the cached HTML with their own variant chosen for each slot: a list join, not a
template render. A write bumps the question's version, so the next reader renders afresh; nothing
has to be invalidated.

The cache lives in each process (one render per process and version, no network round trip);
it holds the most recently used renders only, up to `SHARED_BYTES`.

What is shared is keyed by one function (`page_key`: the question, its version, the language, the
open state and the reader's kind as the reader rule gives it, `access.ReaderKind`); what each
reader gets of the slots is the rule's to say too (`access.Reader.slots`).

A new version re-renders the page, but not every idea on it: each idea's row is kept too, keyed by
the idea's `version` (which every service changing what the row shows moves) and what the row
shows from outside itself (`row_key`), so after a vote only that idea's row is rendered again
(`{% shared_row %}`).
"""

import contextlib
import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from cachetools import LRUCache
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from ponder.lib.ids import new_secret

from .access import EVERY, Access, Reader, ReaderKind, participant_token, remembered_name
from .forms import CommentForm, IdeaAddForm, NameForm, RenameForm
from .pages import (
    ARGUMENTS_SHOWN,
    IDEAS_SHOWN,
    SHUFFLES,
    VOTERS_SHOWN,
    Listing,
    Page,
    question_page,
)

QUESTION_PAGE = "questions/detail.html"
IDEA_PAGE = "questions/idea.html"  # one idea whole: every argument, every voter

# Stand-ins for the reader's own values in shared HTML. Letters and digits: they pass escaping
# and URL quoting unchanged. Random in each process, so that no user text can carry one and have
# a reader's own value (their admin key, say) put in its place.
_NONCE = new_secret()[:12]
CSRF_MARK = f"ponderCsrf{_NONCE}"
ADMIN_MARK = new_secret()  # as an admin key: 22 letters and digits
NAME_MARK = f"ponderName{_NONCE}"
USED_MARK = f"ponderUsed{_NONCE}"
LEFT_MARK = f"ponderLeft{_NONCE}"
PATH_MARK = f"ponderPath{_NONCE}"
# The header's "Log in", or the account's name with "My questions" and "Log out".
ACCOUNT_MARK = f"ponderAccount{_NONCE}"
# How many of their votes a reader has on an idea (where several may go on one): the mark and
# the idea's id, filled in per reader (`_Values`).
STACK_MARK = f"ponderStack{_NONCE}"
# A field with no name to fill in has no value at all, as a form renders it: the whole attribute
# is a mark of its own.
NAME_VALUE_MARK = f' value="{NAME_MARK}"'
MARKS = re.compile(
    "|".join(
        re.escape(m)
        for m in (
            CSRF_MARK,
            ADMIN_MARK,
            NAME_VALUE_MARK,
            NAME_MARK,
            USED_MARK,
            LEFT_MARK,
            PATH_MARK,
            ACCOUNT_MARK,
        )
    )
    + "|"
    + re.escape(STACK_MARK)
    + "[0-9A-Za-z]{12}"
)
PART_END = "ponderPartEnd"  # in `Shared.parts` only, after each part: not in any HTML
SLOT = re.compile(r"<!--ponder-slot-(\d+)-->")
# What each process keeps, bounded by bytes: a page's render is 50-450 KB, a row 2-15 KB. Bytes
# bound it so that a worker's memory stops growing soon after it starts, whatever size its
# questions grow to.
SHARED_BYTES = 12 * 1024 * 1024  # for each of `renders`, `latest` and `rows` (and the API's)


@dataclass(frozen=True, slots=True)
class Slot:
    """A spot in shared HTML that depends on the reader: `yes` if `kind` holds for `key`."""

    kind: str  # "voted" (key: idea), "liked" (argument), "mine" (author), "participant"
    key: str
    yes: str | tuple[bytes | str, ...]  # once the render is stored: `Shared.parts` without slots
    no: str | tuple[bytes | str, ...]


def slot_marker(slots: list[Slot], slot: Slot) -> str:
    slots.append(slot)
    return f"<!--ponder-slot-{len(slots) - 1}-->"


@dataclass(frozen=True, slots=True)
class SharedRequest:
    """What a shared render may know of the request: the site's address, nothing of the reader."""

    scheme: str
    host: str
    method: str = "GET"

    def get_host(self) -> str:
        return self.host

    def get_full_path(self) -> str:
        return PATH_MARK

    def build_absolute_uri(self, location: str) -> str:
        return f"{self.scheme}://{self.host}{location}"


@dataclass(frozen=True, slots=True)
class Shared:
    """One shared render, in parts: text (bytes, UTF-8: joining bytes is several times quicker
    than text with non-ASCII letters, and the response needs bytes anyway), marks (str: one of
    the `*_MARK`s, to be replaced by the reader's value) and slots."""

    parts: tuple[bytes | str | Slot, ...]
    size: int = 0  # bytes of text held, for `Cache`
    plans: tuple["_Plan", ...] = ()  # of the parts of `shared_parts`, for `_assemble`


def _size(parts: Iterable[bytes | str | Slot]) -> int:
    size = 0
    for part in parts:
        if part.__class__ is Slot:
            size += _size(part.yes) + _size(part.no)  # type: ignore[union-attr, arg-type]
        else:
            size += len(part)  # type: ignore[arg-type]
    return size


def _split(html: str) -> list[bytes | str]:
    """Text as `Shared.parts` holds it: in UTF-8, the marks apart."""
    parts: list[bytes | str] = []
    start = 0
    for found in MARKS.finditer(html):
        parts += (html[start : found.start()].encode(), found[0])
        start = found.end()
    parts.append(html[start:].encode())
    return parts


def _weight(kept: tuple[Any, int]) -> int:
    return kept[1]


class Cache:
    """What a process keeps of its shared work: at most `budget` bytes of it, the least recently
    used going first (`cachetools.LRUCache`, each item weighed by the size it was put with), safe
    across the process's threads."""

    def __init__(self, budget: int) -> None:
        self.lru: LRUCache[Any, tuple[Any, int]] = LRUCache(budget, getsizeof=_weight)
        self.lock = threading.Lock()
        _caches.append(self)

    def get(self, key: Any) -> Any:
        with self.lock:
            kept = self.lru.get(key)
        return None if kept is None else kept[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        with self.lock:
            try:
                self.lru[key] = (value, max(size, 1))
            except ValueError:  # more than the whole budget: not kept
                self.lru.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self.lru.clear()

    def held(self) -> list[Any]:
        """The keys of what is kept now."""
        with self.lock:
            return list(self.lru)

    def forget(self, question_id: str) -> None:
        """Drop everything kept of one question (its keys name it: `question_of_key`)."""
        with self.lock:
            for key in [key for key in self.lru if question_of_key(key) == question_id]:
                self.lru.pop(key, None)


_caches: list[Cache] = []  # every cache of shared work in the process, for `forget_question`


def question_of_key(key: Any) -> str | None:
    """The question a key of shared work belongs to: every key names it, itself (`PageKey`, the
    API's keys) or in the page around it (`RowKey`)."""
    question = getattr(key, "question", None)
    if question is None:
        question = getattr(getattr(key, "around", None), "question", None)
    return question


def kept_of(question_id: str) -> list[Any]:
    """The keys of everything this process keeps of one question."""
    return [key for cache in _caches for key in cache.held() if question_of_key(key) == question_id]


def forget_question(question_id: str) -> None:
    """Drop every render and read of a deleted question that this process keeps. Nothing could
    serve them (every request reads the question first, and finds none), but they need not wait
    for the least-recently-used rule to make room; other processes drop theirs that way."""
    for cache in _caches:
        cache.forget(question_id)


renders = Cache(SHARED_BYTES)
# The newest render of each page whatever its version (its key's `version` None): (version,
# when rendered, render).
latest = Cache(SHARED_BYTES)
# One idea's row: (HTML with its own slot numbers, its slots).
rows = Cache(SHARED_BYTES)


@dataclass(frozen=True, slots=True)
class PageKey:
    """Everything a shared render depends on (made by `page_key` alone)."""

    question: str
    version: int | None  # every change through the services moves it; None: any version
    language: str
    is_open: bool  # a deadline passes without a new version
    reader: ReaderKind
    site: tuple[str, str]  # scheme and host: the links to share are absolute
    template: str
    parts: tuple[str, ...]
    ideas_shown: int | None
    comments_shown: int | None
    idea: str | None  # one idea's row, or one idea's page
    listing: Listing  # the ideas' order and filter (a random order: which of a few)
    closes_in: tuple[str, int] | None  # "closes in 2 days": moves without a new version


def _shuffle_of(request: HttpRequest, access: Access) -> int:
    """Which random order a reader gets: one of `SHUFFLES`, the same each time they come, from
    who they are: their browser's participant token (which a newcomer's browser is given with
    the first page that orders ideas at random, `views.question_detail`, and keeps when they
    join), else their participant id (an API client); a reader with neither gets the first."""
    who = access.token or participant_token(request)
    if not who and access.participant is not None:
        who = access.participant.pk
    return shuffle_for(access.question.pk, who or "")


def shuffle_for(question_id: str, who: str) -> int:
    """The random order (of `SHUFFLES`) of the reader known as `who` ("" for the first)."""
    if not who:
        return 0
    digest = hashlib.blake2b(f"{question_id}:{who}".encode(), digest_size=8).digest()
    return int.from_bytes(digest) % SHUFFLES


def _closes_in(access: Access) -> tuple[str, int] | None:
    """How soon an open question with a deadline closes, as its status says it: in whole days
    (two or more), whole hours, or "soon" (within the hour)."""
    deadline = access.question.deadline
    if not access.is_open or deadline is None:
        return None
    left = deadline - timezone.now()
    if left >= timedelta(days=2):
        return ("days", left.days)
    if left >= timedelta(hours=1):
        return ("hours", int(left.total_seconds() // 3600))
    return ("soon", 0)


def page_key(
    request: HttpRequest,
    access: Access,
    *,
    template: str,
    parts: tuple[str, ...],
    ideas_shown: int | None = None,
    comments_shown: int | None = None,
    idea_id: str | None = None,
    listing: Listing | None = None,
) -> PageKey:
    """The key of the shared render of `parts` of `template` for this reader's kind (and the
    order and filter of its ideas)."""
    question = access.question
    listing = listing or Listing()
    # The usual order is the reader's own while the ideas are not ranked by votes for them
    # (`Reader.ranks_by_votes`; `question_page` shuffles them).
    own = listing.order == "votes" and not access.reader.ranks_by_votes()
    if listing.order == "random" or own:
        listing = replace(listing, shuffle=_shuffle_of(request, access))
    return PageKey(
        question=question.pk,
        version=question.version,
        language=get_language(),
        is_open=access.is_open,
        reader=access.reader.kind,
        site=(request.scheme or "", request.get_host()),
        template=template,
        parts=parts,
        ideas_shown=ideas_shown,
        comments_shown=comments_shown,
        idea=idea_id,
        listing=listing,
        closes_in=_closes_in(access),
    )


@dataclass(frozen=True, slots=True)
class RowKey:
    """Everything an idea's row in a shared render shows that is the same for every reader of
    the kind (what is each reader's own is a slot). Made by `row_key` alone."""

    idea: str
    version: int  # moved by every service that changes what the row shows (names included)
    rank: int | None  # from the other ideas' counts, once the question is closed
    around: PageKey  # the page's language, open state, reader kind and site


def row_key(page: PageKey, idea: Any) -> RowKey:
    around = replace(
        page,
        version=None,
        template="",
        parts=(),
        ideas_shown=None,
        comments_shown=None,
        idea=None,
        listing=Listing(),  # a row is the same in every order
        closes_in=None,
    )
    return RowKey(idea=idea.pk, version=idea.version, rank=idea.rank, around=around)


def shared_row(context: Any, idea: Any, render: Callable[[Any], str]) -> str:
    """An idea's row in a shared render, from the rows kept if it has not changed. Its slots
    join the page's, renumbered. Outside shared renders: just `render`."""
    slots = context.get("shared_slots")
    page = context.get("page_key")
    if slots is None or page is None:
        return render(context)
    key = row_key(page, idea)
    kept = rows.get(key)
    if kept is None:
        own: list[Slot] = []
        with context.push(shared_slots=own):
            html = render(context)
        # Stored as `_render_shared` stores every slot, so it need not do it again each time.
        stored = tuple(_stored(slot) for slot in own)
        kept = (html, stored)
        rows.put(key, kept, len(html) + _size(stored))
    html, own_slots = kept
    if not own_slots:
        return html
    offset = len(slots)
    slots.extend(own_slots)
    return SLOT.sub(lambda found: f"<!--ponder-slot-{int(found[1]) + offset}-->", html)


# The templates' indentation, which is a tenth of a page: a run of white space that starts a line
# is worth one line break in HTML, except inside <pre> and <textarea>.
INDENTATION = re.compile(r"\n[ \t]+")
KEEP_WHITE_SPACE = re.compile(r"(<pre[ >].*?</pre>|<textarea[ >].*?</textarea>)", re.DOTALL)


def _tidy(html: str) -> str:
    pieces = KEEP_WHITE_SPACE.split(html)
    return "".join(p if i % 2 else INDENTATION.sub("\n", p) for i, p in enumerate(pieces))


def _stored(slot: Slot) -> Slot:
    """A slot as a shared render keeps it: both variants tidied and split (`_split`)."""
    if slot.yes.__class__ is tuple:  # kept with a row already
        return slot
    return replace(slot, yes=tuple(_split(_tidy(slot.yes))), no=tuple(_split(_tidy(slot.no))))  # type: ignore[arg-type]


def _render_shared(template: str, context: dict[str, Any]) -> Shared:
    slots: list[Slot] = []
    html = render_to_string(template, {**context, "shared_slots": slots, "csrf_token": CSRF_MARK})
    pieces = SLOT.split(_tidy(html))
    parts: list[bytes | str | Slot] = []
    for index, piece in enumerate(pieces):
        if index % 2:
            parts.append(_stored(slots[int(piece)]))
        else:
            parts += _split(piece)
    return Shared(parts=tuple(parts), size=_size(parts))


@dataclass(frozen=True, slots=True)
class _Plan:
    """One part of a shared render made ready for `_assemble`: its text for a reader whom no
    slot concerns (every slot's `no` variant in place, adjacent text joined into one piece),
    where its marks are, and where each slot lies with its `yes` variant. A reader's part is
    that list with their values at the marks and their few slots swapped: a page S has 377
    slots, of which a reader wants a few dozen, and walking every slot and piece of it for each
    reader took 167 µs of its 1.3 ms in-process."""

    base: tuple[bytes | str, ...]
    marks: tuple[tuple[int, str], ...]  # (position in `base`, mark)
    spans: tuple[tuple[int, int, tuple[bytes | str, ...]], ...]  # a slot's: start, end, `yes`
    keyed: dict[tuple[str, str], tuple[int, ...]]  # (kind, key): its slots' numbers
    every: dict[str, tuple[int, ...]]  # kind: the numbers of all its slots


class _Pieces(list[bytes | str]):
    """Text and marks, adjacent text joined, but never across a `fence` (a slot's edge)."""

    fence = 0

    def put(self, piece: bytes | str) -> None:
        if piece.__class__ is bytes:
            if not piece:
                return
            if len(self) > self.fence and self[-1].__class__ is bytes:
                self[-1] += piece  # type: ignore[operator]
                return
        self.append(piece)


def _plan(pieces: Iterable[bytes | str | Slot]) -> _Plan:
    base = _Pieces()
    spans: list[tuple[int, int, tuple[bytes | str, ...]]] = []
    keyed: dict[tuple[str, str], list[int]] = {}
    every: dict[str, list[int]] = {}
    for piece in pieces:
        if piece.__class__ is not Slot:
            base.put(piece)  # type: ignore[arg-type]
            continue
        slot: Slot = piece  # type: ignore[assignment]
        start = base.fence = len(base)
        for no in slot.no:
            base.put(no)
        base.fence = len(base)
        yes = _Pieces()
        for each in slot.yes:
            yes.put(each)
        number = len(spans)
        spans.append((start, len(base), tuple(yes)))
        keyed.setdefault((slot.kind, slot.key), []).append(number)
        every.setdefault(slot.kind, []).append(number)
    marks = tuple((at, piece) for at, piece in enumerate(base) if piece.__class__ is str)
    return _Plan(
        base=tuple(base),
        marks=marks,  # type: ignore[arg-type]
        spans=tuple(spans),
        keyed={key: tuple(numbers) for key, numbers in keyed.items()},
        every={kind: tuple(numbers) for kind, numbers in every.items()},
    )


def _plans(pieces: list[bytes | str | Slot]) -> tuple[_Plan, ...]:
    """A plan for each part (each ends at `PART_END`)."""
    plans = []
    part: list[bytes | str | Slot] = []
    for piece in pieces:
        if piece.__class__ is str and piece == PART_END:
            plans.append(_plan(part))
            part = []
        else:
            part.append(piece)
    return tuple(plans)


def _wanted(plan: _Plan, reader: Reader) -> list[int]:
    """The slots of `plan` whose `yes` variant is this reader's, as the reader rule says
    (`Reader.slots`), found through the plan's index."""
    wanted: list[int] = []
    for kind, keys in reader.slots().items():
        if keys is EVERY:
            wanted += plan.every.get(kind, ())
        else:
            for key in keys:
                wanted += plan.keyed.get((kind, key), ())
    return wanted


class _Values(dict[str, bytes]):
    """A reader's value of each mark; of a stack mark (`STACK_MARK` and an idea's id), how many of
    their votes are on that idea."""

    def __init__(self, reader: Reader, values: dict[str, bytes]) -> None:
        super().__init__(values)
        self.reader = reader

    def __missing__(self, mark: str) -> bytes:
        if not mark.startswith(STACK_MARK):
            raise KeyError(mark)
        return str(self.reader.votes_on(mark[len(STACK_MARK) :])).encode()


def stack_mark(idea_id: str) -> str:
    return STACK_MARK + idea_id


def _assemble(shared: Shared, reader: Reader, values: dict[str, bytes]) -> list[bytes]:
    """The reader's HTML (UTF-8) of each part: their variant of each slot, their value for each
    mark. The parts were rendered and escaped by our templates; the marks' values are a CSRF
    token, a number, an admin key and an escaped name and path."""
    parts = []
    for plan in shared.plans:
        out: list[bytes | str] = list(plan.base)
        for at, mark in plan.marks:
            out[at] = values[mark]
        wanted = _wanted(plan, reader)
        if wanted:
            spliced: list[bytes | str] = []
            done = 0
            for number in sorted(wanted):
                start, end, yes = plan.spans[number]
                spliced += out[done:start]
                spliced += [values[p] if p.__class__ is str else p for p in yes]  # type: ignore[index]
                done = end
            spliced += out[done:]
            out = spliced
        parts.append(b"".join(out))  # type: ignore[arg-type]
    return parts


def _render_parts(
    request: HttpRequest,
    access: Access,
    context: dict[str, Any],
    key: PageKey,
) -> Shared:
    """The named parts rendered as anyone of the reader's kind (see `shared_parts`)."""
    # Rendered as nobody in particular of the reader's kind: an organiser or not (that changes
    # what they may add), a newcomer or not (newcomers' forms ask for a name). Everything else
    # is a slot or a mark.
    # An organiser by their account alone holds no admin key: no link to show them.
    organiser_key = ADMIN_MARK if access.admin_key else None
    neutral = access.anyone_of_kind(admin_key=organiser_key)
    needs_name = neutral.reader.is_newcomer
    whole = key.template == IDEA_PAGE
    if key.idea is None:
        page: Page = question_page(
            neutral,
            ideas_shown=key.ideas_shown,
            comments_shown=key.comments_shown,
            arguments_shown=ARGUMENTS_SHOWN,
            per_kind=True,
            listing=key.listing,
        )
    else:  # one idea: its row on the question page, or its own page
        page = question_page(
            neutral,
            idea_ids=[key.idea],
            comments=False,
            arguments_shown=None if whole else ARGUMENTS_SHOWN,
            per_kind=not whole,
            voters_shown=None if whole else VOTERS_SHOWN,
        )
        if not page.ideas:
            raise Http404
        context = {**context, "idea": page.ideas[0]}
    page.my_vote_count = USED_MARK  # type: ignore[assignment]
    page.my_votes_left = LEFT_MARK  # type: ignore[assignment]
    text_max = neutral.question.text_max  # a setting: its change moves the version
    shared_context = {
        **context,
        "access": neutral,
        "page": page,
        "needs_name": needs_name,
        "name_form": NameForm(initial={"name": NAME_MARK}),
        "my_name": NAME_MARK,  # who a participant takes part as, in "You take part as …"
        "rename_form": RenameForm(initial={"name": NAME_MARK}),
        "idea_form": IdeaAddForm(needs_name=needs_name, name=NAME_MARK, text_max=text_max),
        "comment_form": CommentForm(needs_name=needs_name, name=NAME_MARK, text_max=text_max),
        "request": SharedRequest(scheme=request.scheme or "", host=request.get_host()),
        "messages": (),
        "account_nav": ACCOUNT_MARK,
        "shared": None,
        "page_key": key,
        "listing": key.listing,
        "closes_in": key.closes_in,
    }
    pieces: list[bytes | str | Slot] = []
    for name in key.parts:
        template = key.template + ("" if name == "page" else f"#{name}")
        pieces += _render_shared(template, shared_context).parts
        pieces.append(PART_END)  # where `_assemble` ends the part
    return Shared(parts=tuple(pieces), size=_size(pieces), plans=_plans(pieces))


DATABASE_ERRORS = (OperationalError, InterfaceError)  # answered 503 (DatabaseUnavailableMiddleware)


class Failures:
    """When each piece of shared work (a render, an API read) last failed on the database.

    Whoever waited for that work is told at once rather than trying it again in turn: with the
    database hung, each try takes PONDER_DB_TIMEOUT before it fails, and a queue of waiters took
    that long times its length (docs/reliability.md #8: five API reads of one question waited 15 s).
    Who asks after the failure tries again."""

    def __init__(self) -> None:
        self._failed: dict[Any, float] = {}

    @contextlib.contextmanager
    def attempt(self, key: Any) -> Iterator[None]:
        """The work itself: a database error in it is noted (before the waiters wake), a
        success forgets the last failure."""
        try:
            yield
        except DATABASE_ERRORS:
            self._failed[key] = time.monotonic()
            raise
        self._failed.pop(key, None)

    def check(self, key: Any, asked: float) -> None:
        """Raise if the work failed after `asked` (when the caller began to wait for it)."""
        failed = self._failed.get(key)
        if failed is not None and failed >= asked:
            raise OperationalError("the database failed the shared work this request waited for")


# The pages being rendered in this process now (any version), and who waits for them.
_rendering: dict[PageKey, threading.Event] = {}
_rendering_lock = threading.Lock()
_render_failures = Failures()
RENDER_WAIT = 30.0  # seconds a reader waits for another's render before trying their own


def _in_turn(key: PageKey, lag: float, render: Callable[[], Shared]) -> Shared:
    """One render of a page at a time in a process: a reader who finds the page being rendered
    waits for that render instead of making another (the crowd after a change would otherwise
    render it once each, all at once, each slower for the others). With `lag`, a reader never
    waits: the newest render there is will do while one is made."""
    any_version = replace(key, version=None)
    asked = time.monotonic()
    while True:
        with _rendering_lock:
            recent = latest.get(any_version) if lag > 0 else None
            busy = _rendering.get(any_version)
            if recent is not None and (time.monotonic() - recent[1] <= lag or busy is not None):
                return recent[2]
            if busy is None:
                done = _rendering[any_version] = threading.Event()
                break
        busy.wait(RENDER_WAIT)
        _render_failures.check(any_version, asked)
        shared = renders.get(key)
        if shared is not None:
            return shared
    try:
        with _render_failures.attempt(any_version):  # before the waiters wake (finally)
            shared = render()
        renders.put(key, shared, shared.size)
        newest = latest.get(any_version)
        if newest is None or newest[0] <= key.version:
            latest.put(any_version, (key.version, time.monotonic(), shared), shared.size)
        return shared
    finally:
        with _rendering_lock:
            del _rendering[any_version]
        done.set()


class RenderBusy(Exception):
    """Every slot for a long render was taken for `LONG_RENDER_WAIT`: answered 503 with
    Retry-After (`ponder.questions.middleware.BusyMiddleware`)."""


# Renders of more than the leading ideas ("Show more ideas", up to all 400 of a big question:
# 335 ms each) that run at once in a process. A few readers asking for them made every other
# page ten times slower; now the rest wait for a slot, and a reader who waits
# `LONG_RENDER_WAIT` seconds is asked to come back. Renders of the usual page never wait here.
long_renders = threading.BoundedSemaphore(settings.PONDER_LONG_RENDERS)
LONG_RENDER_WAIT = 10.0


def is_long(key: PageKey) -> bool:
    return key.ideas_shown is not None and key.ideas_shown > IDEAS_SHOWN


def _bounded(render: Callable[[], Shared]) -> Callable[[], Shared]:
    def in_a_slot() -> Shared:
        if not long_renders.acquire(timeout=LONG_RENDER_WAIT):
            raise RenderBusy
        try:
            return render()
        finally:
            long_renders.release()

    return in_a_slot


def shared_parts(
    request: HttpRequest,
    access: Access,
    context: dict[str, Any],
    *,
    parts: tuple[str, ...],
    template: str = QUESTION_PAGE,
    ideas_shown: int | None = None,
    comments_shown: int | None = None,
    idea_id: str | None = None,
    listing: Listing | None = None,
    lag: float = 0.0,
) -> dict[str, bytes]:
    """This reader's HTML of the named partials of `template` (`article`, `ideas`, ... of the
    question page, or `page` for all of it), from the shared render of the question's current
    version for the reader's kind, rendered now if there is none. With `idea_id`, of that idea
    alone: its row on the question page (`idea`), what live updates fetch after a vote; or its
    own page (`IDEA_PAGE`).

    `lag` (seconds): a render of an earlier version made at most that long ago will do. Only
    for a whole page: it carries the version it shows, from which its live updates replay what
    came since. Under a stream of votes the page is then rendered twice a second, not for each
    reader. The reader's own marks are always their current ones."""
    key = page_key(
        request,
        access,
        template=template,
        parts=parts,
        ideas_shown=ideas_shown,
        comments_shown=comments_shown,
        idea_id=idea_id,
        listing=listing,
    )
    shared = renders.get(key)
    if shared is None:
        render = lambda: _render_parts(request, access, context, key)  # noqa: E731
        shared = _in_turn(key, lag, _bounded(render) if is_long(key) else render)
    reader = access.reader
    # A newcomer's forms offer the name this browser last gave; a participant's page says who
    # they take part as.
    me = access.participant
    name = remembered_name(request) if reader.is_newcomer else (me.name if me else "")
    values = {
        # The reader's own token, as `{% csrf_token %}` would give it.
        CSRF_MARK: get_token(request).encode(),
        ADMIN_MARK: (access.admin_key or "").encode(),
        USED_MARK: str(reader.votes_used()).encode(),
        LEFT_MARK: str(max((access.question.max_votes or 0) - reader.votes_used(), 0)).encode(),
        PATH_MARK: escape(request.get_full_path()).encode(),
        NAME_MARK: escape(name).encode(),
        NAME_VALUE_MARK: f' value="{escape(name)}"'.encode() if name else b"",
        # Rendered by the autoescaping template for this reader.
        ACCOUNT_MARK: render_to_string("accounts/_account.html", request=request).encode(),
    }
    return dict(zip(parts, _assemble(shared, reader, _Values(reader, values)), strict=True))


def as_html(part: bytes) -> SafeString:
    """A part from `shared_parts` to put in a template."""
    # Safe: assembled from our own renders (see `_assemble`).
    return mark_safe(part.decode())  # noqa: S308
