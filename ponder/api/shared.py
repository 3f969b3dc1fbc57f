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
from typing import Any

from django.http import HttpRequest, HttpResponse

from ponder.lib.memory import size_of
from ponder.questions import hot
from ponder.questions.access import Access
from ponder.questions.rendering import (
    SHARED_BYTES,
    SHARED_ROWS,
    Failures,
    Kept,
    row_fingerprint,
)
from ponder.questions.shapes import IDEAS_PER_READ, ideas_data, question_data

from .schemas import IdeaOut, IdeasOut, QuestionOut

KEPT = 64  # reads per process: a question's first read and pages of its ideas
_kept = Kept(KEPT, SHARED_BYTES)  # the ideas in a read are counted here and in `_checked_ideas`
# Each idea as checked against the schema, by everything it shows (as the page keeps its rows):
# after a vote, a read checks the voted idea again, not the hundred around it.
_checked_ideas = Kept(SHARED_ROWS, SHARED_BYTES)
_reading = [threading.Lock() for _ in range(64)]
_read_failures = Failures()


def _everyones(
    access: Access, part: tuple[int, int] | None
) -> tuple[dict[str, Any], dict[str, str], int]:
    """The question (`part` None) or a page of its ideas (`part`: from, how many) as nobody in
    particular reads it, checked against the schema; the author of every entry by id; about how
    many bytes the two hold."""
    nobody = Access(
        question=access.question, participant=None, is_organiser=False, token=None, admin_key=None
    )
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
    ideas = [_checked(shown, idea) for shown, idea in pairs]
    checked["ideas"] = [idea for idea, _ in ideas]
    return checked, authors, size + sum(weight for _, weight in ideas)


def _checked(shown: dict[str, Any], idea: Any) -> tuple[dict[str, Any], int]:
    """An idea of a read as nobody in particular reads it (`shown`, made from `idea`), checked
    against the schema, with about how many bytes it holds; kept, and shared by every read in
    which it shows the same."""
    key = row_fingerprint(idea)
    kept = _checked_ideas.get(key)
    if kept is None:
        checked = IdeaOut.model_validate(shown).model_dump()
        kept = (checked, size_of(checked))
        _checked_ideas.put(key, kept, kept[1])
    return kept


def _shared(access: Access, part: tuple[int, int] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The read of `part` (see `_everyones`) at the question's version: made once, then kept."""
    question = access.question
    key = (
        question.pk,
        part,
        question.version,  # every change through the services bumps it
        question.is_open(),  # a deadline passes without one
        # The question's own fields, in case one is changed without the services.
        question.title,
        question.description,
        question.closed_at,
        question.max_votes,
        question.allow_ideas,
        question.allow_arguments,
        question.allow_exports,
        question.deadline,
        question.time_zone,
    )
    # The newest read of each question and part only: under a stream of changes, older ones are
    # of use to nobody.
    kept = _kept.get(key[:2])
    if kept is None or kept[0] != key:
        # One read of a question at a time per process: the callers who come meanwhile wait
        # for it and take it, rather than each making the same read at once. If it fails on
        # the database, they fail with it (`Failures`).
        asked = time.monotonic()
        with _reading[hash(question.pk) % len(_reading)]:
            kept = _kept.get(key[:2])
            if kept is None or kept[0] != key:
                _read_failures.check(key[:2], asked)
                with _read_failures.attempt(key[:2]):
                    kept = (key, *_everyones(access, part))
                _kept.put(key[:2], kept, kept[3])
    return kept[1], kept[2]


class _Yours:
    """The caller's own in a shared read: their votes and likes, and what they may change."""

    def __init__(self, access: Access, authors: dict[str, str]) -> None:
        me = access.participant
        self.votes: frozenset[str] = frozenset()
        self.likes: frozenset[str] = frozenset()
        if me is not None:
            marks = getattr(me, "marks", None)
            self.votes, self.likes = marks if marks is not None else hot.votes_and_likes(me.pk)
        self.organiser = access.is_organiser
        self.mine = me.pk if me is not None and access.question.is_open() else None
        self.authors = authors

    def changeable(self, entry_id: str) -> bool:  # as Access.can_change
        return self.organiser or (self.mine is not None and self.authors[entry_id] == self.mine)

    def idea(self, shared: dict[str, Any]) -> dict[str, Any]:
        """A shared idea with the caller's marks on it and on its arguments."""
        changeable, likes = self.changeable, self.likes
        return {
            **shared,
            "voted": shared["id"] in self.votes,
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
        votes_left = max(0, question.max_votes - len(yours.votes))
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
