"""The page's and the vote's reads and writes in SQL written out (hot.py) do what the ORM does."""

from datetime import datetime

from django.db import transaction

from ponder.live.models import Event
from ponder.questions import hot, services
from ponder.questions.models import Idea, Like, Participant, Question, Vote


def test_votes_of_counts_and_names_the_first_voters_in_order(question: Question) -> None:
    author, _ = services.participant_join(question=question, name="Ann", token=None)
    idea = services.idea_add(question=question, author=author, title="Lake")
    assert hot.votes_of(idea.pk, first=3) == (0, [])
    for name in ["Bo", "Cy", "Di", "Ed", "Flo"]:
        voter, _ = services.participant_join(question=question, name=name, token=None)
        services.vote_cast(idea=idea, participant=voter)
    first = list(
        Vote.objects.filter(idea=idea)
        .order_by("created_at")
        .values_list("participant__name", flat=True)[:3]
    )
    assert first == ["Bo", "Cy", "Di"]
    assert hot.votes_of(idea.pk, first=3) == (5, first)


def test_hot_reads_match_the_orm(question: Question, make_question) -> None:
    other, _ = make_question(title="Elsewhere")
    ann, _token = services.participant_join(question=question, name="Ann", token=None)
    idea = services.idea_add(question=question, author=ann, title="Lake")
    pro = services.argument_add(idea=idea, author=ann, kind="pro", text="Quiet")
    services.vote_cast(idea=idea, participant=ann)
    services.like_add(argument=pro, participant=ann)

    found = hot.question(question.pk)
    assert found is not None and found.version == Question.objects.get(pk=question.pk).version
    assert found.created_at == Question.objects.get(pk=question.pk).created_at  # converted
    assert hot.question("nosuchquesti") is None
    me = hot.participant(found, Participant.objects.get(pk=ann.pk).token_hash)
    assert me is not None and me.pk == ann.pk and me.question is found
    assert hot.participant(hot.question(other.pk), me.token_hash) is None  # another question's
    assert hot.votes_and_likes(ann.pk) == (frozenset({idea.pk}), frozenset({pro.pk}))
    assert hot.idea(found, idea.pk).title == Idea.objects.get(pk=idea.pk).title
    assert hot.idea(hot.question(other.pk), idea.pk) is None  # not an idea of that question


def test_bump_version_takes_the_next_version_and_returns_the_whole_question(
    question: Question,
) -> None:
    before = Question.objects.get(pk=question.pk)
    with transaction.atomic():
        bumped = hot.bump_version(question.pk)
    assert bumped is not None and bumped.version == before.version + 1
    assert bumped.title == before.title and bumped.created_at == before.created_at  # converted
    assert isinstance(bumped.created_at, datetime) and bumped.allow_ideas is True
    assert Question.objects.get(pk=question.pk).version == before.version + 1
    assert hot.bump_version("nosuchquestion00000000") is None


def test_inserts_keep_one_vote_and_one_like_per_person_and_none_for_a_deleted_parent(
    question: Question,
) -> None:
    ann, _ = services.participant_join(question=question, name="Ann", token=None)
    idea = services.idea_add(question=question, author=ann, title="Lake")
    pro = services.argument_add(idea=idea, author=ann, kind="pro", text="Quiet")

    vote = hot.insert_vote(idea.pk, ann.pk)
    assert vote is not None and Vote.objects.get(pk=vote.pk).idea_id == idea.pk
    assert Vote.objects.get(pk=vote.pk).created_at == vote.created_at
    assert hot.insert_vote(idea.pk, ann.pk) is None  # a second vote: nothing inserted
    assert hot.votes_used(ann.pk, idea.pk) == (1, True)
    assert hot.votes_used(ann.pk, "otheridea000") == (1, False)
    like = hot.insert_like(pro.pk, ann.pk)
    assert like is not None and Like.objects.get(pk=like.pk).participant_id == ann.pk
    assert hot.insert_like(pro.pk, ann.pk) is None
    assert Vote.objects.count() == 1 and Like.objects.count() == 1

    assert hot.delete_like(pro.pk, ann.pk) is True
    assert hot.delete_like(pro.pk, ann.pk) is False
    assert hot.delete_vote(idea.pk, ann.pk) is True
    assert hot.delete_vote(idea.pk, ann.pk) is False
    assert hot.votes_used(ann.pk, idea.pk) == (0, False)

    Idea.objects.filter(pk=idea.pk).delete()
    assert hot.insert_vote(idea.pk, ann.pk) is None  # the idea is gone: no orphan vote
    assert hot.insert_like(pro.pk, ann.pk) is None
    assert Vote.objects.count() == 0 and Like.objects.count() == 0


def test_insert_event_stores_what_the_orm_reads_back(question: Question) -> None:
    hot.insert_event(question.pk, 99, "vote.cast", {"idea": "abcdefghijkl"})
    event = Event.objects.get(question=question, version=99)
    assert (event.type, event.ids) == ("vote.cast", {"idea": "abcdefghijkl"})
    assert isinstance(event.created_at, datetime)
