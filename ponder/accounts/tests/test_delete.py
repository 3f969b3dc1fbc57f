"""Deleting an account: asked first; the person's contributions are removed or kept as "Former
participant", as they chose; the questions they asked stay; nobody else's data changes, and
every count stays right."""

from typing import Any

from conftest import Person, counts_off
from ponder.questions import services
from ponder.questions.models import Argument, Comment, Idea, Like, Participant, Question, Vote

from .conftest import Member


def scene(dana: Member) -> dict[str, Any]:
    """Bob asks; Dana and Carol take part. Dana writes an idea nobody answered, an idea Carol
    voted for, a pro Carol liked, a con nobody liked and a comment; she votes and likes too."""
    question, _key = services.question_create(title="Which venue?")
    bob, _t = services.participant_join(question=question, name="Bob")
    carol, _t = services.participant_join(question=question, name="Carol")
    dana.join(question)
    me = Participant.objects.get(question=question, user=dana.account)
    bobs_idea = services.idea_add(question=question, author=bob, title="The lake")
    lonely = services.idea_add(question=question, author=me, title="Dana's lonely idea")
    answered = services.idea_add(question=question, author=me, title="Dana's answered idea")
    liked = services.argument_add(idea=bobs_idea, author=me, kind="pro", text="Dana's liked pro")
    unliked = services.argument_add(idea=bobs_idea, author=me, kind="con", text="Dana's con")
    carols = services.argument_add(idea=bobs_idea, author=carol, kind="pro", text="Carol's pro")
    services.comment_add(question=question, author=me, text="Dana's comment")
    services.comment_add(question=question, author=carol, text="Carol's comment")
    services.vote_cast(idea=answered, participant=carol)
    services.vote_cast(idea=bobs_idea, participant=carol)
    services.vote_cast(idea=bobs_idea, participant=me)
    services.like_add(argument=liked, participant=carol)
    services.like_add(argument=carols, participant=me)
    asked, _key = services.question_create(title="Dana's own question", created_by=dana.account)
    services.participant_join(question=asked, name="Carol")
    return {
        "question": question,
        "me": me,
        "bobs_idea": bobs_idea,
        "lonely": lonely,
        "answered": answered,
        "liked": liked,
        "unliked": unliked,
        "carols": carols,
        "asked": asked,
    }


def others_data(dana: Member) -> set[tuple[str, ...]]:
    """Everything of everybody but Dana: who wrote, voted and liked what."""
    mine = {"author__user": dana.account}
    return (
        {("idea", i.title, i.author.name) for i in Idea.objects.exclude(**mine)}
        | {("argument", a.text, a.author.name) for a in Argument.objects.exclude(**mine)}
        | {("comment", c.text, c.author.name) for c in Comment.objects.exclude(**mine)}
        | {
            ("vote", v.idea.title, v.participant.name)
            for v in Vote.objects.exclude(participant__user=dana.account)
        }
        | {
            ("like", like.argument.text, like.participant.name)
            for like in Like.objects.exclude(participant__user=dana.account)
        }
        | {
            ("participant", p.name, p.question.title)
            for p in Participant.objects.exclude(user=dana.account)
        }
    )


def test_deleting_is_asked_first_and_says_what_happens_to_the_questions_asked(
    dana: Member,
) -> None:
    scene(dana)

    page = dana.get("/me/delete/").text

    assert "You asked 1 question. It stays" in page
    assert "admin link" in page
    assert "Remove my contributions" in page and "Former participant" in page
    response = dana.post("/me/delete/", {})  # no choice made
    assert response.status_code == 422
    assert "This field is required." in response.text
    assert type(dana.account).objects.filter(pk=dana.account.pk).exists()


def test_removing_takes_away_what_dana_did_and_keeps_what_others_answered(
    dana: Member,
) -> None:
    s = scene(dana)
    before = others_data(dana)

    response = dana.post("/me/delete/", {"contributions": "remove"})

    assert response.status_code == 302
    assert not type(dana.account).objects.filter(pk=dana.account.pk).exists()
    titles = set(Idea.objects.values_list("title", flat=True))
    assert "Dana's lonely idea" not in titles
    texts = set(Argument.objects.values_list("text", flat=True))
    assert "Dana's con" not in texts
    assert not Comment.objects.filter(text="Dana's comment").exists()
    assert not Vote.objects.filter(participant=s["me"]).exists()
    assert not Like.objects.filter(participant=s["me"]).exists()
    # Answered by others: kept, under "Former participant", and nothing ties them to Dana.
    answered = Idea.objects.get(pk=s["answered"].pk)
    assert answered.author.name == "Former participant"
    assert Argument.objects.get(pk=s["liked"].pk).author.name == "Former participant"
    assert answered.author.user is None and answered.author.network == ""
    assert others_data(dana) - before == {
        ("idea", "Dana's answered idea", "Former participant"),
        ("argument", "Dana's liked pro", "Former participant"),
        ("participant", "Former participant", "Which venue?"),
    }
    assert before <= others_data(dana)  # nobody else's data changed
    assert counts_off() == []
    # Dana's question stays, with its participants, for whoever holds its admin link.
    asked = Question.objects.get(pk=s["asked"].pk)
    assert asked.created_by is None
    assert asked.participants.count() == 1


def test_keeping_shows_everything_as_former_participant(dana: Member) -> None:
    s = scene(dana)
    before = others_data(dana)
    votes, likes = Vote.objects.count(), Like.objects.count()

    dana.post("/me/delete/", {"contributions": "keep"})

    me = Participant.objects.get(pk=s["me"].pk)
    assert me.name == "Former participant" and me.user is None
    assert Idea.objects.filter(author=me).count() == 2
    assert Argument.objects.filter(author=me).count() == 2
    assert Comment.objects.filter(author=me).count() == 1
    assert (Vote.objects.count(), Like.objects.count()) == (votes, likes)
    after = others_data(dana)
    assert before <= after
    assert counts_off() == []
    page = Person("Anon").get(f"/q/{s['question'].pk}/").text
    assert "<bdi>Former participant</bdi>" in page and "<bdi>Dana</bdi>" not in page


def test_dana_s_old_browser_no_longer_acts_as_her(dana: Member) -> None:
    s = scene(dana)

    dana.post("/me/delete/", {"contributions": "keep"})

    page = dana.get(f"/q/{s['question'].pk}/").text
    assert 'id="join"' in page  # a newcomer again: asked for a name


def test_nobody_else_s_account_changes(dana: Member, erin: Member) -> None:
    s = scene(dana)
    erin.join(s["question"])

    dana.post("/me/delete/", {"contributions": "remove"})

    assert Participant.objects.get(question=s["question"], user=erin.account).name == "Erin"
    assert erin.get("/me/").status_code == 200
