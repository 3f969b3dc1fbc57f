"""The API's view of a question, built from the same read as the page (`question_page`): the
counts, first voters, ranks and per-person state are the page's, never recounted here.

`question_data` is also "the API shape" that a JSON export can reuse."""

from typing import Any

from ponder.questions.access import Access
from ponder.questions.models import Argument, Comment, Idea
from ponder.questions.pages import Page, question_page


def argument_data(argument: Argument) -> dict[str, Any]:
    return {
        "id": argument.pk,
        "idea": argument.idea_id,
        "kind": argument.kind,
        "text": argument.text,
        "author": argument.author.name,
        "likes": argument.like_count,
        "liked": argument.liked,
        "changeable": argument.changeable,
        "created_at": argument.created_at,
    }


def idea_data(idea: Idea) -> dict[str, Any]:
    return {
        "id": idea.pk,
        "title": idea.title,
        "description": idea.description,
        "author": idea.author.name,
        "votes": idea.vote_count,
        "voters": idea.first_voters,
        "voted": idea.voted,
        "rank": getattr(idea, "rank", None),
        "changeable": idea.changeable,
        "created_at": idea.created_at,
        "arguments": [argument_data(argument) for argument in idea.argument_list],
    }


def comment_data(access: Access, comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "text": comment.text,
        "author": comment.author.name,
        "changeable": access.can_change(comment),
        "created_at": comment.created_at,
    }


def read(access: Access, *, idea_ids: list[str] | None = None, comments: bool = True) -> Page:
    """The page's read, with every voter listed (the page shows the first few)."""
    return question_page(access, idea_ids=idea_ids, comments=comments, voters_shown=None)


def question_data(access: Access, *, share_url: str, with_page: bool = False) -> Any:
    """The question as `access` reads it; `with_page`: and the read it was made from."""
    question, me = access.question, access.participant
    page = read(access)
    votes_left = None
    if question.max_votes is not None:
        votes_left = max(0, question.max_votes - page.my_vote_count)
    data = {
        "id": question.pk,
        "title": question.title,
        "description": question.description,
        "status": question.status,
        "share_url": share_url,
        "created_at": question.created_at,
        "closed_at": question.closed_at,
        "version": question.version,
        "settings": {
            "allow_ideas": question.allow_ideas,
            "allow_arguments": question.allow_arguments,
            "allow_exports": question.allow_exports,
            "max_votes": question.max_votes,
            "deadline": question.deadline,
            "time_zone": question.time_zone,
        },
        "me": {
            "participant": {"id": me.pk, "name": me.name} if me else None,
            "organiser": access.is_organiser,
            "votes_left": votes_left,
        },
        "ideas": [idea_data(idea) for idea in page.ideas],
        "comments": [comment_data(access, comment) for comment in page.comments],
    }
    return (data, page) if with_page else data


def results_data(access: Access) -> dict[str, Any]:
    page = question_page(access, comments=False, ranked=True, voters_shown=0)
    return {
        "status": access.question.status,
        "winners": [idea.pk for idea in page.winners],
        "ranking": [
            {"idea": idea.pk, "title": idea.title, "votes": idea.vote_count, "rank": idea.rank}
            for idea in page.ideas
        ],
    }
