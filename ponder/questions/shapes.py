"""A question as plain data, for the JSON API and the JSON export alike, built from the same read
as the page (`question_page`): the counts, first voters, ranks and per-person state are the
page's, never recounted here."""

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from .access import Access, Reader
from .models import Argument, Comment, Idea
from .pages import Page, comments_page, question_page


def argument_data(argument: Argument) -> dict[str, Any]:
    return {
        "id": argument.pk,
        "idea": argument.idea_id,
        "kind": argument.kind,
        "text": argument.text,
        "author": argument.author.name,
        "by_organiser": argument.author.organiser,
        "edited_by_organiser": argument.edited_by_organiser,
        "likes": argument.like_count,
        "liked": argument.liked,
        "changeable": argument.changeable,
        "created_at": argument.created_at,
        "hidden": hidden_data(argument),
    }


def image_data(idea: Idea, reader: Reader) -> dict[str, Any] | None:
    """The idea's picture as the reader may see it (`Reader.sees_image`), or None: its links
    relative to the site (the JSON export makes them absolute), sizes in pixels, and its
    description (the alt text)."""
    if not reader.sees_image(idea):
        return None
    args = (idea.question_id, idea.pk)
    return {
        "url": reverse("idea_picture_file", args=[*args, idea.image_file]),
        "width": idea.image_width,
        "height": idea.image_height,
        "thumbnail_url": reverse("idea_picture_file", args=[*args, idea.thumb_file]),
        "thumbnail_width": idea.thumb_width,
        "thumbnail_height": idea.thumb_height,
        "alt": idea.image_alt,
        "content_type": "image/webp",
    }


def idea_data(idea: Idea, reader: Reader) -> dict[str, Any]:
    return {
        "id": idea.pk,
        "title": idea.title,
        "description": idea.description,
        "author": idea.author.name,
        "by_organiser": idea.author.organiser,
        "edited_by_organiser": idea.edited_by_organiser,
        "votes": idea.vote_count,
        "voters": idea.first_voters,
        "arguments_total": len(idea.argument_list) + idea.more_arguments,
        "voted": idea.voted,
        "my_votes": idea.my_votes,
        "rank": getattr(idea, "rank", None),
        "changeable": idea.changeable,
        "created_at": idea.created_at,
        "arguments": [argument_data(argument) for argument in idea.argument_list],
        "image": image_data(idea, reader),
        "hidden": hidden_data(idea),
    }


def comment_data(access: Access, comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "text": comment.text,
        "author": comment.author.name,
        "by_organiser": comment.author.organiser,
        "edited_by_organiser": comment.edited_by_organiser,
        "changeable": access.can_change(comment),
        "created_at": comment.created_at,
        "hidden": hidden_data(comment),
    }


def hidden_data(entry: Any) -> dict[str, str] | None:
    """Why the organiser hid an entry, for the organiser: everyone else reads no hidden entry
    (`question_page`'s `omit_hidden`)."""
    if not entry.hidden_reason:
        return None
    return {"reason": entry.hidden_reason, "note": entry.hidden_note}


# A read of many ideas (the question's, a page of its ideas) gives each idea its most liked
# arguments and its first voters, as the page does: what one read costs then stays the same however
# many arguments and votes the leading ideas gather. An idea's own read has them all.
ARGUMENTS_PER_IDEA = 20
VOTERS_PER_IDEA = 20
# The ideas in a read of the question, and the most in a page of ideas: a question of thousands
# of ideas, each with every voter named, is megabytes, and a phone wants the leading ones.
IDEAS_PER_READ = 100
# The latest comments in a read of the question, and the most in a page of comments.
COMMENTS_PER_READ = 100


def read(
    access: Access,
    *,
    idea_ids: list[str] | None = None,
    comments: bool = True,
    ideas_from: int = 0,
    ideas_shown: int | None = None,
    capped: bool = False,
    voters: bool = True,
) -> Page:
    """The page's read. With `ideas_shown` (a read of many ideas) or `capped`, each idea with its
    `ARGUMENTS_PER_IDEA` most liked arguments and `VOTERS_PER_IDEA` first voters, and the latest
    `COMMENTS_PER_READ` comments; else with all. Without `voters`: no voters' names."""
    capped = capped or ideas_shown is not None
    return question_page(
        access,
        idea_ids=idea_ids,
        comments=comments,
        comments_shown=COMMENTS_PER_READ if capped else None,
        voters_shown=(VOTERS_PER_IDEA if capped else None) if voters else 0,
        arguments_shown=ARGUMENTS_PER_IDEA if capped else None,
        ideas_from=ideas_from,
        ideas_shown=ideas_shown,
        omit_hidden=True,
    )


def ideas_next(question_id: str, page: Page, ideas_from: int, ideas_shown: int | None) -> Any:
    """The API path of the page of ideas after this one, or None when this one is the last."""
    after = ideas_from + len(page.ideas)
    if ideas_shown is None or after >= page.idea_total:
        return None
    path = reverse("api:question_ideas", kwargs={"question_id": question_id})
    return f"{path}?{urlencode({'offset': after, 'limit': ideas_shown})}"


def comments_path(question_id: str, offset: int, limit: int) -> str:
    path = reverse("api:question_comments", kwargs={"question_id": question_id})
    return f"{path}?{urlencode({'offset': offset, 'limit': limit})}"


def _earlier(question_id: str, before: int, limit: int) -> str | None:
    """The path of the page of comments just before the `before`th (oldest first), if any."""
    if before <= 0:
        return None
    start = max(0, before - limit)
    return comments_path(question_id, start, before - start)


def question_data(
    access: Access,
    *,
    share_url: str,
    with_page: bool = False,
    ideas_shown: int | None = None,
) -> Any:
    """The question as `access` reads it; `with_page`: and the read it was made from.
    `ideas_shown`: the leading ideas only (the API's first page of ideas), each with its leading
    arguments and first voters (`read`); None: every idea with everything (the JSON export)."""
    question, me = access.question, access.participant
    page = read(access, ideas_shown=ideas_shown)
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
            "allow_embed": question.allow_embed,
            "embed_origins": question.embed_origin_list,
            "taking_part": question.taking_part,
            "max_votes": question.max_votes,
            "deadline": question.deadline,
            "time_zone": question.time_zone,
            "max_ideas_per_person": question.max_ideas_per_person,
            "max_ideas": question.max_ideas,
            "max_text_length": question.max_text_length,
            "max_votes_per_idea": question.max_votes_per_idea,
            "ideas_until": question.ideas_until,
            "hide_tally": question.hide_tally,
            "organiser_sees_tally": question.organiser_sees_tally,
            "anonymous_votes": question.anonymous_votes,
            "random_order": question.random_order,
        },
        "phase": access.reader.phase,
        "me": {
            "participant": {"id": me.pk, "name": me.name} if me else None,
            "organiser": access.is_organiser,
            "votes_left": votes_left,
        },
        "ideas": [idea_data(idea, access.reader) for idea in page.ideas],
        "ideas_total": page.idea_total,
        "ideas_next": ideas_next(question.pk, page, 0, ideas_shown),
        "comments": [comment_data(access, comment) for comment in page.comments],
        "comments_total": page.comment_total,
        "comments_earlier": _earlier(question.pk, page.earlier_comments, COMMENTS_PER_READ),
    }
    return (data, page) if with_page else data


def comments_data(access: Access, *, offset: int, limit: int) -> dict[str, Any]:
    """A page of the question's comments, oldest first, as `access` reads them."""
    question = access.question
    comments, total = comments_page(access, offset=offset, limit=limit)
    after = offset + len(comments)
    return {
        "version": question.version,
        "total": total,
        "offset": offset,
        "comments": [comment_data(access, comment) for comment in comments],
        "earlier": _earlier(question.pk, min(offset, total), limit),
        "next": comments_path(question.pk, after, limit) if after < total else None,
    }


def results_data(access: Access) -> dict[str, Any]:
    """The ranking by votes; empty while the tally is hidden from `access` (`tally_hidden`)."""
    if not access.reader.sees_counts():
        status = access.question.status
        return {"status": status, "tally_hidden": True, "winners": [], "ranking": []}
    page = question_page(access, comments=False, ranked=True, voters_shown=0, omit_hidden=True)
    return {
        "status": access.question.status,
        "tally_hidden": False,
        "winners": [idea.pk for idea in page.winners],
        "ranking": [
            {"idea": idea.pk, "title": idea.title, "votes": idea.vote_count, "rank": idea.rank}
            for idea in page.ideas
            if not idea.is_hidden  # out of the result, for the organiser too
        ],
    }


def ideas_data(
    access: Access, *, ideas_from: int, ideas_shown: int, with_page: bool = False
) -> Any:
    """A page of the question's ideas, in the question read's order, as `access` reads them."""
    question = access.question
    page = read(access, comments=False, ideas_from=ideas_from, ideas_shown=ideas_shown)
    data = {
        "version": question.version,
        "total": page.idea_total,
        "offset": ideas_from,
        "ideas": [idea_data(idea, access.reader) for idea in page.ideas],
        "next": ideas_next(question.pk, page, ideas_from, ideas_shown),
    }
    return (data, page) if with_page else data
