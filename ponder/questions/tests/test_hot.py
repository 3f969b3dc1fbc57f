"""The page's and the vote's reads in SQL written out (hot.py) answer what the ORM answers."""

from ponder.questions import hot, services
from ponder.questions.models import Idea, Participant, Question, Vote


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
