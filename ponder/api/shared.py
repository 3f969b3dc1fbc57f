"""Reading a question through the API, shared by every caller at one version (as the page's
render is, ponder/questions/rendering.py).

The read and its check against the response schema (`QuestionOut`) are done once per question
version: what is the same for everybody is kept, with the author of each entry beside it. Each
caller then gets a copy with their own `me`, `voted`, `liked` and `changeable` put in, turned into
JSON by the API's own renderer: a copy of a few hundred small dicts, not a read of the database
and a validation of every field.
"""

import threading
from typing import Any

from django.http import HttpRequest, HttpResponse

from ponder.questions import hot
from ponder.questions.access import Access
from ponder.questions.rendering import Kept

from .schemas import QuestionOut
from .shapes import question_data

KEPT = 16  # questions per process
_kept = Kept(KEPT)
_reading = [threading.Lock() for _ in range(64)]


def _everyones(access: Access) -> tuple[dict[str, Any], dict[str, str]]:
    """The question as nobody in particular reads it, checked against the schema, and the
    author of every idea, argument and comment by id."""
    nobody = Access(
        question=access.question, participant=None, is_organiser=False, token=None, admin_key=None
    )
    data, page = question_data(nobody, share_url="", with_page=True)
    authors = {}
    for idea in page.ideas:
        authors[idea.pk] = idea.author_id
        for argument in idea.argument_list:
            authors[argument.pk] = argument.author_id
    for comment in page.comments:
        authors[comment.pk] = comment.author_id
    return QuestionOut.model_validate(data).model_dump(), authors


def question_response(
    request: HttpRequest, access: Access, *, share_url: str, api: Any
) -> HttpResponse:
    question = access.question
    is_open = question.is_open()
    key = (
        question.pk,
        question.version,  # every change through the services bumps it
        is_open,  # a deadline passes without one
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
    # The newest read of each question only: under a stream of changes, older ones are of use
    # to nobody, and a big question's read is several megabytes.
    kept = _kept.get(question.pk)
    if kept is None or kept[0] != key:
        # One read of a question at a time per process: the callers who come meanwhile wait
        # for it and take it, rather than each making the same read at once.
        with _reading[hash(question.pk) % len(_reading)]:
            kept = _kept.get(question.pk)
            if kept is None or kept[0] != key:
                kept = (key, *_everyones(access))
                _kept.put(question.pk, kept)
    _key, everyones, authors = kept

    me = access.participant
    votes: frozenset[str] = frozenset()
    likes: frozenset[str] = frozenset()
    if me is not None:
        marks = getattr(me, "marks", None)
        votes, likes = marks if marks is not None else hot.votes_and_likes(me.pk)
    organiser = access.is_organiser
    mine = me.pk if me is not None and is_open else None

    def changeable(entry_id: str) -> bool:  # as Access.can_change
        return organiser or (mine is not None and authors[entry_id] == mine)

    votes_left = None
    if question.max_votes is not None:
        votes_left = max(0, question.max_votes - len(votes))
    data = {
        **everyones,
        "share_url": share_url,
        "me": {
            "participant": {"id": me.pk, "name": me.name} if me is not None else None,
            "organiser": organiser,
            "votes_left": votes_left,
        },
        "ideas": [
            {
                **idea,
                "voted": idea["id"] in votes,
                "changeable": changeable(idea["id"]),
                "arguments": [
                    {**a, "liked": a["id"] in likes, "changeable": changeable(a["id"])}
                    for a in idea["arguments"]
                ],
            }
            for idea in everyones["ideas"]
        ],
        "comments": [
            {**comment, "changeable": changeable(comment["id"])}
            for comment in everyones["comments"]
        ],
    }
    return api.create_response(request, data, status=200)
