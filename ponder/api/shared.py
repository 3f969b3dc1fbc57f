"""Reading a question through the API, shared by every caller at one version (as the page's
render is, ponder/questions/rendering.py).

The read and its check against the response schema (`QuestionOut`) are done once per question
version: what is the same for everybody is kept, with the author of each entry beside it. Each
caller then gets a copy with their own `me`, `voted`, `liked` and `changeable` put in, turned into
JSON by the API's own renderer: a copy of a few hundred small dicts, not a read of the database
and a validation of every field.
"""

import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from django.http import HttpRequest, HttpResponse

from ponder.lib.memory import size_of
from ponder.questions.access import Access, ReaderKind
from ponder.questions.rendering import SHARED_BYTES, Cache, Failures
from ponder.questions.shapes import IDEAS_PER_READ, ideas_data, question_data

from .schemas import IdeaOut, IdeasOut, QuestionOut

_kept = Cache(SHARED_BYTES)  # the ideas in a read are counted here and in `_checked_ideas`
# Each idea as checked against the schema, by its version (as the page keeps its rows): after a
# vote, a read checks the voted idea again, not the hundred around it.
_checked_ideas = Cache(SHARED_BYTES)
_reading = [threading.Lock() for _ in range(64)]
_read_failures = Failures()


@dataclass(frozen=True, slots=True)
class ReadKey:
    """Everything a shared read depends on (made by `read_key` alone)."""

    question: str
    part: tuple[int, int] | None  # None: the question; else a page of ideas (from, how many)
    reader: ReaderKind  # the reader rule's answers for the caller's kind
    version: int | None  # every change through the services moves it; None: any version
    is_open: bool | None  # a deadline passes without a new version


def read_key(access: Access, part: tuple[int, int] | None) -> ReadKey:
    return ReadKey(
        question=access.question.pk,
        part=part,
        reader=access.reader.kind,
        version=access.question.version,
        is_open=access.is_open,
    )


@dataclass(frozen=True, slots=True)
class IdeaKey:
    """Everything an idea of a shared read shows that is the same for every caller of a kind."""

    idea: str
    version: int  # moved by every service that changes what the idea shows (names included)
    rank: int | None  # from the other ideas' counts, once the question is closed
    reader: ReaderKind
    question: str  # whose (`rendering.forget_question`)


def _everyones(
    access: Access, part: tuple[int, int] | None
) -> tuple[dict[str, Any], dict[str, str], int]:
    """The question (`part` None) or a page of its ideas (`part`: from, how many) as anyone of
    the caller's kind reads it, checked against the schema; the author of every entry by id;
    about how many bytes the two hold."""
    nobody = access.anyone_of_kind()
    if part is None:
        data, page = question_data(nobody, share_url="", with_page=True, ideas_shown=IDEAS_PER_READ)
        schema: Any = QuestionOut
    else:
        data, page = ideas_data(nobody, ideas_from=part[0], ideas_shown=part[1], with_page=True)
        schema = IdeasOut
    authors = {}
    for idea in page.ideas:
        authors[idea.pk] = idea.author_id
        for argument in idea.argument_list:
            authors[argument.pk] = argument.author_id
    for comment in page.comments:
        authors[comment.pk] = comment.author_id
    checked = schema.model_validate({**data, "ideas": []}).model_dump()
    size = size_of(checked) + size_of(authors)
    pairs = zip(data["ideas"], page.ideas, strict=True)
    kind = access.reader.kind
    ideas = [
        _checked(shown, IdeaKey(idea.pk, idea.version, idea.rank, kind, access.question.pk))
        for shown, idea in pairs
    ]
    checked["ideas"] = [idea for idea, _ in ideas]
    return checked, authors, size + sum(weight for _, weight in ideas)


def _checked(shown: dict[str, Any], key: IdeaKey) -> tuple[dict[str, Any], int]:
    """An idea of a read as anyone of a kind reads it (`shown`, of the idea of `key`), checked
    against the schema, with about how many bytes it holds; kept, and shared by every read in
    which it shows the same."""
    kept = _checked_ideas.get(key)
    if kept is None:
        checked = IdeaOut.model_validate(shown).model_dump()
        kept = (checked, size_of(checked))
        _checked_ideas.put(key, kept, kept[1])
    return kept


def _shared(access: Access, part: tuple[int, int] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The read of `part` (see `_everyones`) at the question's version: made once, then kept."""
    key = read_key(access, part)
    # The newest read of each question, part and kind only: under a stream of changes, older
    # ones are of use to nobody.
    newest = replace(key, version=None, is_open=None)
    kept = _kept.get(newest)
    if kept is None or kept[0] != key:
        # One read of a question at a time per process: the callers who come meanwhile wait
        # for it and take it, rather than each making the same read at once. If it fails on
        # the database, they fail with it (`Failures`).
        asked = time.monotonic()
        with _reading[hash(key.question) % len(_reading)]:
            kept = _kept.get(newest)
            if kept is None or kept[0] != key:
                _read_failures.check(newest, asked)
                with _read_failures.attempt(newest):
                    kept = (key, *_everyones(access, part))
                _kept.put(newest, kept, kept[3])
    return kept[1], kept[2]


class _Yours:
    """The caller's own in a shared read, as the reader rule says: their votes and likes, and
    what they may change."""

    def __init__(self, access: Access, authors: dict[str, str]) -> None:
        self.reader = reader = access.reader
        self.votes, self.likes = reader.votes, reader.likes
        self.authors = authors

    def changeable(self, entry_id: str) -> bool:
        return self.reader.may_change_by(self.authors[entry_id])

    def idea(self, shared: dict[str, Any]) -> dict[str, Any]:
        """A shared idea with the caller's marks on it and on its arguments."""
        changeable, likes = self.changeable, self.likes
        return {
            **shared,
            "voted": shared["id"] in self.votes,
            "my_votes": self.reader.votes_on(shared["id"]),
            "changeable": changeable(shared["id"]),
            "arguments": [
                {**a, "liked": a["id"] in likes, "changeable": changeable(a["id"])}
                for a in shared["arguments"]
            ],
        }


def question_response(
    request: HttpRequest, access: Access, *, share_url: str, api: Any
) -> HttpResponse:
    """The question with its leading ideas (`IDEAS_PER_READ`), as this caller reads it."""
    question, me, organiser = access.question, access.participant, access.is_organiser
    everyones, authors = _shared(access, None)
    yours = _Yours(access, authors)
    votes_left = None
    if question.max_votes is not None:
        votes_left = max(0, question.max_votes - yours.reader.votes_used())
    data = {
        **everyones,
        "share_url": share_url,
        "me": {
            "participant": {"id": me.pk, "name": me.name} if me is not None else None,
            "organiser": organiser,
            "votes_left": votes_left,
        },
        "ideas": [yours.idea(shared) for shared in everyones["ideas"]],
        "comments": [
            {**comment, "changeable": yours.changeable(comment["id"])}
            for comment in everyones["comments"]
        ],
    }
    return api.create_response(request, data, status=200)


def ideas_response(
    request: HttpRequest, access: Access, *, ideas_from: int, ideas_shown: int, api: Any
) -> HttpResponse:
    """A page of the question's ideas, as this caller reads them."""
    everyones, authors = _shared(access, (ideas_from, ideas_shown))
    yours = _Yours(access, authors)
    data = {**everyones, "ideas": [yours.idea(shared) for shared in everyones["ideas"]]}
    return api.create_response(request, data, status=200)
