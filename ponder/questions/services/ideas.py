"""What participants write: ideas and their pictures, pros and cons with their likes, and
comments."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ponder.live.events import announce

from .. import hot, images
from ..models import Argument, Comment, Idea, Like, Participant, Question, bump_rows
from .base import (
    ActionRefused,
    _announce,
    _bump,
    _event,
    _lock,
    _remove_images,
    _require_open,
    _require_phase,
    _require_present,
    _require_short,
    _require_shown,
    _Unchanged,
    _unless_unchanged,
)


def _require_room_for_idea(question: Question, author: Participant, *, by_organiser: bool) -> None:
    """The question's limits on ideas, counted under its lock: two ideas sent at once at the
    limit queue on the lock, and the second finds no room."""
    ideas = Idea.objects.filter(question=question)
    if question.max_ideas is not None and ideas.count() >= question.max_ideas:
        raise ActionRefused(
            _("This question takes no more ideas: it has all %(n)d it may have.")
            % {"n": question.max_ideas},
            code="idea_limit",
        )
    per_person = question.max_ideas_per_person
    mine = ideas.filter(author=author)
    if per_person is not None and not by_organiser and mine.count() >= per_person:
        raise ActionRefused(
            ngettext(
                "You have added the %(n)d idea each participant may add here.",
                "You have added all %(n)d ideas each participant may add here.",
                per_person,
            )
            % {"n": per_person},
            code="idea_limit_per_person",
        )


def _edited_by_organiser(entry: Idea | Argument | Comment, by_organiser: bool) -> bool:
    """Whether an edit marks the entry "edited by the organiser": the organiser changed what
    someone else wrote. Once marked, it stays marked."""
    if entry.edited_by_organiser or not by_organiser:
        return entry.edited_by_organiser
    return not Participant.objects.filter(pk=entry.author_id, organiser=True).exists()


# Ideas --------------------------------------------------------------------------------------


def idea_add(
    *,
    question: Question,
    author: Participant,
    title: str,
    description: str = "",
    by_organiser: bool = False,
    image: images.Prepared | None = None,
    image_alt: str = "",
) -> Idea:
    """Add an idea; with `image` (from `images.prepare`), with that picture, which `image_alt`
    describes."""
    with _stored(image) as key:
        return _idea_add(
            question=question,
            author=author,
            title=title,
            description=description,
            by_organiser=by_organiser,
            image=image,
            image_key=key,
            image_alt=image_alt,
        )


@transaction.atomic
def _idea_add(
    *,
    question: Question,
    author: Participant,
    title: str,
    description: str,
    by_organiser: bool,
    image: images.Prepared | None,
    image_key: str,
    image_alt: str,
) -> Idea:
    locked = _lock(question)
    _require_open(locked)
    _require_phase(locked, "ideas")
    if not (locked.allow_ideas or by_organiser):
        raise ActionRefused(_("Only the organiser can add ideas here."), code="ideas_disabled")
    _require_short(locked, "description", description)
    _require_room_for_idea(locked, author, by_organiser=by_organiser)
    idea = Idea(question=locked, author=author, title=title, description=description)
    if image is not None:
        _show_image(idea, image, image_key, image_alt)
    idea.save(force_insert=True)
    _announce(locked, "idea.added", idea=idea.pk)
    return idea


@transaction.atomic
def idea_update(*, idea: Idea, title: str, description: str, by_organiser: bool = False) -> Idea:
    locked = _lock(idea.question)
    _require_present(idea, _("This idea has been deleted."))
    if description != idea.description:  # a text saved before a lowered limit may stay
        _require_short(locked, "description", description)
    idea.title, idea.description = title, description
    idea.edited_by_organiser = _edited_by_organiser(idea, by_organiser)
    idea.save(update_fields=["title", "description", "edited_by_organiser"])
    bump_rows(Idea.objects.filter(pk=idea.pk))
    _announce(locked, "idea.changed", idea=idea.pk)
    return idea


@transaction.atomic
def idea_delete(*, idea: Idea) -> None:
    locked = _lock(idea.question)
    idea_id = idea.pk
    _remove_images(Idea.objects.filter(pk=idea_id))
    idea.delete()
    _announce(locked, "idea.deleted", idea=idea_id)


# Pictures on ideas (images.py) ------------------------------------------------------------


@contextmanager
def _stored(image: images.Prepared | None) -> Iterator[str]:
    """The key of `image` stored (empty without one), removed again if the write that was to
    show it fails. (A caller's own transaction rolled back after the write leaves the files
    unshown: never served, as no idea names them.)"""
    key = images.store(image) if image is not None else ""
    try:
        yield key
    except BaseException:
        if key:
            images.remove(key)
        raise


def _show_image(idea: Idea, image: images.Prepared, key: str, alt: str) -> None:
    idea.image_key, idea.image_alt = key, alt
    idea.image_width, idea.image_height = image.width, image.height
    idea.thumb_width, idea.thumb_height = image.thumb_width, image.thumb_height


IMAGE_FIELDS = [
    "image_key",
    "image_alt",
    "image_width",
    "image_height",
    "thumb_width",
    "thumb_height",
    "edited_by_organiser",
]


def idea_image_set(
    *,
    idea: Idea,
    image: images.Prepared | None,
    alt: str,
    by_organiser: bool = False,
) -> Idea:
    """Give the idea this picture (from `images.prepare`) described by `alt`, in place of the
    one it had; with `image` None, describe the picture it has anew."""
    with _stored(image) as key:
        return _idea_image_set(idea=idea, image=image, key=key, alt=alt, by_organiser=by_organiser)


@transaction.atomic
def _idea_image_set(
    *, idea: Idea, image: images.Prepared | None, key: str, alt: str, by_organiser: bool
) -> Idea:
    locked = _lock(idea.question)
    current = Idea.objects.filter(pk=idea.pk).values_list("image_key", flat=True).first()
    if current is None:
        raise ActionRefused(_("This idea has been deleted."), code="deleted")
    if image is None:
        if not current:
            raise ActionRefused(_("Please choose a picture."), code="no_image")
        idea.image_alt = alt
    else:
        _show_image(idea, image, key, alt)
        images.remove_after_commit(current)
    idea.edited_by_organiser = _edited_by_organiser(idea, by_organiser)
    idea.save(update_fields=IMAGE_FIELDS)
    bump_rows(Idea.objects.filter(pk=idea.pk))
    _announce(locked, "idea.changed", idea=idea.pk)
    return idea


@transaction.atomic
def idea_image_remove(*, idea: Idea, by_organiser: bool = False) -> Idea:
    """Take the idea's picture away; its files go once this commits. No picture: nothing."""
    locked = _lock(idea.question)
    current = Idea.objects.filter(pk=idea.pk).values_list("image_key", flat=True).first()
    if current is None:
        raise ActionRefused(_("This idea has been deleted."), code="deleted")
    if not current:
        return idea
    idea.image_key, idea.image_alt = "", ""
    idea.image_width = idea.image_height = idea.thumb_width = idea.thumb_height = 0
    idea.edited_by_organiser = _edited_by_organiser(idea, by_organiser)
    idea.save(update_fields=IMAGE_FIELDS)
    images.remove_after_commit(current)
    bump_rows(Idea.objects.filter(pk=idea.pk))
    _announce(locked, "idea.changed", idea=idea.pk)
    return idea


# Arguments and likes ------------------------------------------------------------------------


@transaction.atomic
def argument_add(
    *, idea: Idea, author: Participant, kind: str, text: str, by_organiser: bool = False
) -> Argument:
    locked = _lock(idea.question)
    _require_open(locked)
    if by_organiser:
        _require_present(idea, _("This idea has been deleted."))
    else:
        _require_shown(idea, _("This idea has been deleted."))
    if not (locked.allow_arguments or by_organiser):
        raise ActionRefused(
            _("Only the organiser can add pros and cons here."), code="arguments_disabled"
        )
    _require_short(locked, "text", text)
    argument = Argument.objects.create(idea=idea, author=author, kind=kind, text=text)
    bump_rows(Idea.objects.filter(pk=idea.pk))
    _announce(locked, "argument.added", idea=idea.pk, argument=argument.pk)
    return argument


@transaction.atomic
def argument_update(
    *, argument: Argument, kind: str, text: str, by_organiser: bool = False
) -> Argument:
    locked = _lock(argument.idea.question)
    _require_present(argument, _("This argument has been deleted."))
    if text != argument.text:
        _require_short(locked, "text", text)
    argument.kind, argument.text = kind, text
    argument.edited_by_organiser = _edited_by_organiser(argument, by_organiser)
    argument.save(update_fields=["kind", "text", "edited_by_organiser"])
    bump_rows(Idea.objects.filter(pk=argument.idea_id))
    _announce(locked, "argument.changed", idea=argument.idea_id, argument=argument.pk)
    return argument


@transaction.atomic
def argument_delete(*, argument: Argument) -> None:
    locked = _lock(argument.idea.question)
    ids = {"idea": argument.idea_id, "argument": argument.pk}
    argument.delete()
    bump_rows(Idea.objects.filter(pk=ids["idea"]))
    _announce(locked, "argument.deleted", **ids)


@dataclass(frozen=True, slots=True)
class LikeResult:
    """What `like_add` or `like_remove` did."""

    like: Like | None  # the person's like of the argument after it (None: they like it no more)
    changed: bool  # False: liked again, or taken back when there was none; nothing written
    version: int  # the question's version after it


@_unless_unchanged
def like_add(*, argument: Argument, participant: Participant) -> LikeResult:
    """Like an argument. Liking twice keeps one like (the database holds one per person)."""
    locked = _bump(argument.idea.question)
    _require_open(locked)
    event = _event(locked, "like.added", idea=argument.idea_id, argument=argument.pk)
    like = hot.insert_like(argument.pk, argument.idea_id, participant.pk, event)
    if like is None:
        # Not inserted: the argument is gone or hidden, or this person liked it before
        # (perhaps a moment ago, in a concurrent request): the database keeps one, and so do we.
        _require_shown(argument, _("This argument has been deleted."))
        kept = Like.objects.get(argument=argument, participant=participant)
        raise _Unchanged(LikeResult(kept, changed=False, version=locked.version - 1))
    announce(locked.pk, locked.version)
    return LikeResult(like, changed=True, version=locked.version)


@_unless_unchanged
def like_remove(*, argument: Argument, participant: Participant) -> LikeResult:
    locked = _bump(argument.idea.question)
    _require_open(locked)
    event = _event(locked, "like.removed", idea=argument.idea_id, argument=argument.pk)
    if not hot.delete_like(argument.pk, argument.idea_id, participant.pk, event):
        raise _Unchanged(LikeResult(None, changed=False, version=locked.version - 1))
    announce(locked.pk, locked.version)
    return LikeResult(None, changed=True, version=locked.version)


# Comments -----------------------------------------------------------------------------------


@transaction.atomic
def comment_add(*, question: Question, author: Participant, text: str) -> Comment:
    locked = _lock(question)
    _require_open(locked)
    _require_short(locked, "text", text)
    comment = Comment.objects.create(question=locked, author=author, text=text)
    _announce(locked, "comment.added", comment=comment.pk)
    return comment


@transaction.atomic
def comment_update(*, comment: Comment, text: str, by_organiser: bool = False) -> Comment:
    locked = _lock(comment.question)
    _require_present(comment, _("This comment has been deleted."))
    if text != comment.text:
        _require_short(locked, "text", text)
    comment.text = text
    comment.edited_by_organiser = _edited_by_organiser(comment, by_organiser)
    comment.save(update_fields=["text", "edited_by_organiser"])
    _announce(locked, "comment.changed", comment=comment.pk)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment) -> None:
    locked = _lock(comment.question)
    comment_id = comment.pk
    comment.delete()
    _announce(locked, "comment.deleted", comment=comment_id)
