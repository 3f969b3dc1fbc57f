"""The page's and the vote's reads and writes in SQL written out (`hot`) do what the ORM does."""

from dataclasses import FrozenInstanceError
from datetime import datetime
from typing import Any

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from conftest import counts_off
from ponder.live.models import Event
from ponder.questions import hot, services
from ponder.questions.access import PARTICIPANT_COOKIE, question_for
from ponder.questions.models import (
    Argument,
    Comment,
    Idea,
    Like,
    Participant,
    Question,
    Vote,
    recount,
)


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

    found, nobody = hot.reader(question.pk, None)
    assert found is not None and found.version == Question.objects.get(pk=question.pk).version
    assert found.created_at == Question.objects.get(pk=question.pk).created_at  # converted
    assert nobody is None
    assert hot.reader("nosuchquestion00000000", None) == (None, None)
    stored = Participant.objects.get(pk=ann.pk)
    again, me = hot.reader(question.pk, stored.token_hash)
    assert me is not None and me.question is again
    assert (me.pk, me.name, me.token_hash, me.created_at) == (
        stored.pk,
        stored.name,
        stored.token_hash,
        stored.created_at,  # created_at converted
    )
    assert me.marks == (frozenset({idea.pk}), frozenset({pro.pk}))
    assert hot.votes_and_likes(ann.pk) == me.marks
    assert hot.reader(other.pk, stored.token_hash)[1] is None  # another question's participant
    bo, _ = services.participant_join(question=question, name="Bo", token=None)
    assert hot.reader(question.pk, bo.token_hash)[1].marks == (frozenset(), frozenset())
    assert hot.idea(found, idea.pk).title == Idea.objects.get(pk=idea.pk).title
    assert hot.idea(hot.reader(other.pk, None)[0], idea.pk) is None  # not an idea of that question


def test_the_question_and_its_idea_are_read_together(question: Question, make_question) -> None:
    other, _ = make_question(title="Elsewhere")
    ann, _token = services.participant_join(question=question, name="Ann", token=None)
    idea = services.idea_add(question=question, author=ann, title="Lake", description="By boat")
    services.vote_cast(idea=idea, participant=ann)
    stored = Idea.objects.get(pk=idea.pk)
    token_hash = Participant.objects.get(pk=ann.pk).token_hash

    found, me, read = hot.reader_and_idea(question.pk, token_hash, idea.pk)
    assert found is not None and me is not None and me.marks[0] == {idea.pk}
    assert read is not None and read.question is found
    for field in [f.attname for f in Idea._meta.concrete_fields]:  # converted as by the ORM
        assert getattr(read, field) == getattr(stored, field), field
    assert read.vote_count == 1
    # Another question's idea, or none of that id: the question without an idea.
    elsewhere, nobody, missing = hot.reader_and_idea(other.pk, None, idea.pk)
    assert elsewhere is not None and nobody is None and missing is None
    assert hot.reader_and_idea(question.pk, None, "nosuchidea00")[2] is None
    assert hot.reader_and_idea("nosuchquestion00000000", None, idea.pk) == (None, None, None)


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


def test_column_names_kept_from_before_a_table_changed_are_read_again(
    question: Question, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A column added (a migration while the process runs): the names kept for the statement no
    # longer fit its rows, and are read from the cursor again.
    monkeypatch.setattr(hot.base, "_names", {hot.writes._bump_sql(): ["id"]})
    bumped = hot.bump_version(question.pk)
    assert bumped is not None and bumped.title == question.title
    assert bumped.version == question.version + 1
    assert len(hot.base._names[hot.writes._bump_sql()]) > 1


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
    like = hot.insert_like(pro.pk, idea.pk, ann.pk)
    assert like is not None and Like.objects.get(pk=like.pk).participant_id == ann.pk
    assert hot.insert_like(pro.pk, idea.pk, ann.pk) is None
    assert Vote.objects.count() == 1 and Like.objects.count() == 1

    assert hot.delete_like(pro.pk, idea.pk, ann.pk) is True
    assert hot.delete_like(pro.pk, idea.pk, ann.pk) is False
    assert hot.delete_vote(idea.pk, ann.pk) is True
    assert hot.delete_vote(idea.pk, ann.pk) is False
    assert hot.votes_used(ann.pk, idea.pk) == (0, False)

    Idea.objects.filter(pk=idea.pk).delete()
    assert hot.insert_vote(idea.pk, ann.pk) is None  # the idea is gone: no orphan vote
    assert hot.insert_like(pro.pk, idea.pk, ann.pk) is None
    assert Vote.objects.count() == 0 and Like.objects.count() == 0


def test_insert_event_stores_what_the_orm_reads_back(question: Question) -> None:
    hot.insert_event(question.pk, 99, "vote.cast", {"idea": "abcdefghijkl"})
    event = Event.objects.get(question=question, version=99)
    assert (event.type, event.ids) == ("vote.cast", {"idea": "abcdefghijkl"})
    assert isinstance(event.created_at, datetime)


def test_a_vote_or_like_logs_its_event_only_when_it_changed_something(question: Question) -> None:
    # On PostgreSQL the change, its count and its event are one statement; on SQLite three.
    ann, _ = services.participant_join(question=question, name="Ann", token=None)
    idea = services.idea_add(question=question, author=ann, title="Lake")
    pro = services.argument_add(idea=idea, author=ann, kind="pro", text="Quiet")

    def logged() -> list[tuple[int, str, dict]]:
        rows = Event.objects.filter(question=question, version__gte=1000).order_by("version")
        return [(e.version, e.type, e.ids) for e in rows]

    def event(version: int, kind: str, **ids: str) -> hot.NewEvent:
        return hot.NewEvent(question.pk, version, kind, ids)

    assert hot.insert_vote(idea.pk, ann.pk, event(1000, "vote.cast", idea=idea.pk)) is not None
    assert hot.insert_vote(idea.pk, ann.pk, event(1001, "vote.cast", idea=idea.pk)) is None
    assert (
        hot.insert_like(pro.pk, idea.pk, ann.pk, event(1002, "like.added", argument=pro.pk))
        is not None
    )
    assert (
        hot.insert_like(pro.pk, idea.pk, ann.pk, event(1003, "like.added", argument=pro.pk)) is None
    )
    assert (
        Idea.objects.get(pk=idea.pk).vote_count,
        Argument.objects.get(pk=pro.pk).like_count,
    ) == (1, 1)
    assert (
        hot.delete_like(pro.pk, idea.pk, ann.pk, event(1004, "like.removed", argument=pro.pk))
        is True
    )
    assert (
        hot.delete_like(pro.pk, idea.pk, ann.pk, event(1005, "like.removed", argument=pro.pk))
        is False
    )
    assert hot.delete_vote(idea.pk, ann.pk, event(1006, "vote.retracted", idea=idea.pk)) is True
    assert hot.delete_vote(idea.pk, ann.pk, event(1007, "vote.retracted", idea=idea.pk)) is False
    assert logged() == [
        (1000, "vote.cast", {"idea": idea.pk}),
        (1002, "like.added", {"argument": pro.pk}),
        (1004, "like.removed", {"argument": pro.pk}),
        (1006, "vote.retracted", {"idea": idea.pk}),
    ]
    assert counts_off() == []
    Idea.objects.filter(pk=idea.pk).delete()  # a vote for an idea that is gone: nothing at all
    assert hot.insert_vote(idea.pk, ann.pk, event(1008, "vote.cast", idea=idea.pk)) is None
    assert len(logged()) == 4 and not Vote.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_marks_read_with_the_question_serve_reads_only(question: Question, rf, method) -> None:
    """A write changes the votes and likes read before it: its answer must read them again."""
    ann, token = services.participant_join(question=question, name="Ann", token=None)
    request = getattr(rf, method)(f"/q/{question.pk}/")
    signed = HttpResponse()
    signed.set_signed_cookie(PARTICIPANT_COOKIE, token)
    request.COOKIES[PARTICIPANT_COOKIE] = signed.cookies[PARTICIPANT_COOKIE].value
    access = question_for(request, question.pk)
    assert access.participant is not None and access.participant.pk == ann.pk
    assert hasattr(access.participant, "marks") is (method == "get")
    # Read with an idea (a vote): a write does not even read them.
    idea = services.idea_add(question=question, author=ann, title="Lake")
    services.vote_cast(idea=idea, participant=ann)
    access = question_for(request, question.pk, idea_id=idea.pk)
    assert access.participant is not None and access.idea is not None
    if method == "get":
        assert access.participant.marks == (frozenset({idea.pk}), frozenset())
    else:
        assert not hasattr(access.participant, "marks")


@pytest.mark.parametrize("at_once", [100, 1], ids=["one query", "a query per idea"])
def test_first_voters_names_the_first_of_each_idea_in_order(
    question: Question, monkeypatch: pytest.MonkeyPatch, at_once: int
) -> None:
    monkeypatch.setattr(hot.reads, "FIRST_VOTERS_AT_ONCE", at_once)
    ann, _ = services.participant_join(question=question, name="Ann", token=None)
    lake, hut, empty = (
        services.idea_add(question=question, author=ann, title=t) for t in ("Lake", "Hut", "None")
    )
    for name in ["Bo", "Cy", "Di", "Ed"]:
        voter, _ = services.participant_join(question=question, name=name, token=None)
        services.vote_cast(idea=lake, participant=voter)
        services.vote_cast(idea=hut if name != "Cy" else lake, participant=voter)
    expected = {
        idea.pk: list(
            Vote.objects.filter(idea=idea)
            .order_by("created_at")
            .values_list("participant__name", flat=True)[:3]
        )
        for idea in (lake, hut, empty)
    }
    assert expected[lake.pk] == ["Bo", "Cy", "Di"] and expected[hut.pk] == ["Bo", "Di", "Ed"]
    assert hot.first_voters([lake.pk, hut.pk, empty.pk], per_idea=3) == expected


def test_the_counts_on_the_rows_follow_every_write(question: Question) -> None:
    ann, _ = services.participant_join(question=question, name="Ann", token=None)
    bo, _ = services.participant_join(question=question, name="Bo", token=None)
    lake = services.idea_add(question=question, author=ann, title="Lake")
    hill = services.idea_add(question=question, author=ann, title="Hill")
    pro = services.argument_add(idea=lake, author=ann, kind="pro", text="Quiet")
    con = services.argument_add(idea=lake, author=bo, kind="con", text="Far")

    def counts() -> tuple[int, int, int, int]:
        ideas = dict(Idea.objects.values_list("pk", "vote_count"))
        likes = dict(Argument.objects.values_list("pk", "like_count"))
        return ideas[lake.pk], ideas[hill.pk], likes.get(pro.pk, -1), likes.get(con.pk, -1)

    assert counts() == (0, 0, 0, 0)
    for person in (ann, bo):
        services.vote_cast(idea=lake, participant=person)
        services.like_add(argument=pro, participant=person)
    services.vote_cast(idea=lake, participant=ann)  # again: no second vote
    services.like_add(argument=pro, participant=bo)  # again
    services.vote_cast(idea=hill, participant=bo)
    services.like_add(argument=con, participant=ann)
    assert counts() == (2, 1, 2, 1)
    services.vote_retract(idea=lake, participant=ann)
    services.vote_retract(idea=lake, participant=ann)  # again: nothing to take back
    services.like_remove(argument=pro, participant=bo)
    services.like_remove(argument=pro, participant=bo)
    assert counts() == (1, 1, 1, 1)
    services.argument_delete(argument=con)
    assert counts()[:3] == (1, 1, 1)
    assert counts_off() == []
    services.idea_delete(idea=lake)  # its votes, arguments and likes go with it
    assert counts_off() == []
    assert Idea.objects.get(pk=hill.pk).vote_count == 1
    # A question's ideas come in the order of the counts on their rows.
    assert list(Idea.objects.filter(question=question).with_counts()) == [hill]


def test_recount_sets_the_counts_of_rows_written_around_the_services(question: Question) -> None:

    ann, _ = services.participant_join(question=question, name="Ann", token=None)
    bo, _ = services.participant_join(question=question, name="Bo", token=None)
    idea = services.idea_add(question=question, author=ann, title="Lake")
    pro = services.argument_add(idea=idea, author=ann, kind="pro", text="Quiet")
    Vote.objects.bulk_create([Vote(idea=idea, participant=p) for p in (ann, bo)])
    Like.objects.create(argument=pro, participant=bo)
    assert sorted(counts_off()) == sorted([(idea.pk, 0, 2), (pro.pk, 0, 1)])
    recount(Question.objects.filter(pk=question.pk))
    assert counts_off() == []


# PostgreSQL's one statement and the statements one by one ---------------------------------


def _votes_and_likes(question: Question) -> list[object]:
    """The same votes and likes on a new question of two ideas: every result, and then every
    row they left, by name (the ids differ between two runs)."""
    ann, _ = services.participant_join(question=question, name="Ann", token=None)
    bo, _ = services.participant_join(question=question, name="Bo <b>", token=None)
    lake = services.idea_add(question=question, author=ann, title="Lake")
    hill = services.idea_add(question=question, author=bo, title="Hill")
    pro = services.argument_add(idea=lake, author=bo, kind="pro", text="Quiet")
    results: list[object] = []
    for change in (
        lambda: services.vote_cast(idea=lake, participant=ann),
        lambda: services.vote_cast(idea=lake, participant=bo),
        lambda: services.vote_cast(idea=lake, participant=bo),  # again
        lambda: services.vote_cast(idea=hill, participant=bo),
        lambda: services.vote_retract(idea=lake, participant=ann),
        lambda: services.vote_retract(idea=lake, participant=ann),  # again
        lambda: services.like_add(argument=pro, participant=ann),
        lambda: services.like_add(argument=pro, participant=ann),  # again
        lambda: services.like_add(argument=pro, participant=bo),
        lambda: services.like_remove(argument=pro, participant=bo),
        lambda: services.like_remove(argument=pro, participant=bo),  # again
    ):
        result = change()
        row = getattr(result, "vote", None) or getattr(result, "like", None)
        shown = [getattr(result, f, None) for f in ("changed", "idea_vote_count", "first_voters")]
        results.append((*shown, row is not None, result.version - question.version))
    ideas = Idea.objects.filter(question=question).order_by("title")
    results.append([(i.title, i.vote_count, i.version) for i in ideas])
    results.append(list(Argument.objects.filter(idea__question=question).values_list("like_count")))
    events = Event.objects.filter(question=question).order_by("version")
    names = {lake.pk: "lake", hill.pk: "hill", pro.pk: "pro"}
    results.append([(e.version, e.type, sorted(names[i] for i in e.ids.values())) for e in events])
    results.append(Question.objects.get(pk=question.pk).version)
    return results


@pytest.mark.postgres
def test_postgresqls_one_statement_writes_what_the_statements_one_by_one_write(
    make_question, monkeypatch
) -> None:
    """PostgreSQL runs a vote's or like's change, count, idea version and event as one statement
    (`_change_sql`), SQLite one by one: both ways on PostgreSQL give the same results and rows."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no data-modifying WITH")
    together = _votes_and_likes(make_question()[0]) + _refusals(make_question()[0])
    monkeypatch.setattr(hot.writes, "_in_one_statement", lambda: False)
    monkeypatch.setattr(hot, "casts_in_one_statement", lambda: False)
    one_by_one = _votes_and_likes(make_question()[0]) + _refusals(make_question()[0])
    assert together == one_by_one
    assert counts_off() == []


def _refusals(question: Question) -> list[object]:
    """Votes refused or changing nothing, each way: what each answers, and what is left."""
    ann, _ = services.participant_join(question=question, name="Ann", token=None)
    lake = services.idea_add(question=question, author=ann, title="Lake")
    hill = services.idea_add(question=question, author=ann, title="Hill")
    gone = services.idea_add(question=question, author=ann, title="Gone")
    Question.objects.filter(pk=question.pk).update(max_votes=1)
    answers: list[object] = []

    def vote(idea: Idea) -> None:
        try:
            result = services.vote_cast(
                idea=Idea.objects.select_related("question").get(pk=idea.pk), participant=ann
            )
            answers.append((result.changed, result.idea_vote_count, result.first_voters))
        except services.ActionRefused as refused:
            answers.append(refused.code)
        except Idea.DoesNotExist:
            answers.append("no idea")

    vote(lake)
    vote(hill)  # over the cap
    vote(lake)  # again, at the cap: no new vote, not refused
    Question.objects.filter(pk=question.pk).update(max_votes=None)
    stale = Idea.objects.select_related("question").get(pk=gone.pk)
    Idea.objects.filter(pk=gone.pk).delete()
    answers.append(_refused_code(lambda: services.vote_cast(idea=stale, participant=ann)))
    Question.objects.filter(pk=question.pk).update(closed_at=timezone.now())
    vote(hill)  # closed
    answers.append(Question.objects.get(pk=question.pk).version - question.version)
    answers.append(sorted(Idea.objects.filter(question=question).values_list("title", "version")))
    answers.append(Vote.objects.filter(participant=ann).count())
    return answers


def _refused_code(change: Any) -> str | None:
    try:
        change()
    except services.ActionRefused as refused:
        return refused.code
    return None


def test_a_vote_answers_with_the_count_and_first_voters_it_leaves(question: Question) -> None:
    ann, _ = services.participant_join(question=question, name="Ann", token=None)
    idea = services.idea_add(question=question, author=ann, title="Lake")
    names = ["Bo", "Cy <b>", "Di", "Ed", "Flo", "Gus", "Hal"]
    for number, name in enumerate(names, start=1):
        voter, _ = services.participant_join(question=question, name=name, token=None)
        version_before = Question.objects.get(pk=question.pk).version
        result = services.vote_cast(idea=idea, participant=voter)
        vote = Vote.objects.get(idea=idea, participant=voter)
        assert result.vote is not None and result.vote.pk == vote.pk
        assert result.changed
        assert result.version == version_before + 1 == Question.objects.get(pk=question.pk).version
        assert result.idea_vote_count == number == Idea.objects.get(pk=idea.pk).vote_count
        assert list(result.first_voters) == names[: min(number, services.VOTERS_SHOWN)]
        event = Event.objects.get(question=question, version=result.version)
        assert (event.type, event.ids) == ("vote.cast", {"idea": idea.pk})
    again = services.vote_cast(idea=idea, participant=voter)
    assert not again.changed and again.vote.pk == vote.pk
    assert again.version == result.version == Question.objects.get(pk=question.pk).version
    gone = services.vote_retract(idea=idea, participant=voter)
    assert gone.changed and gone.vote is None and gone.idea_vote_count == len(names) - 1
    assert gone.version == result.version + 1
    with pytest.raises(FrozenInstanceError):
        gone.changed = False  # type: ignore[misc]


# One idea read by hand ----------------------------------------------------------------------


def _shown(idea: Idea) -> tuple[object, ...]:
    arguments = [
        (a.pk, a.idea_id, a.author_id, a.author.name, a.kind, a.text, a.created_at, a.like_count)
        for a in idea.argument_list
    ]
    return (
        idea.pk,
        idea.title,
        idea.description,
        idea.created_at,
        idea.author.name,
        idea.vote_count,
        idea.version,
        idea.more_arguments,
        idea.more_pros,
        idea.more_cons,
        idea.first_voters,
        arguments,
    )


@pytest.mark.parametrize("omit_hidden", [False, True])
@pytest.mark.parametrize(
    "arguments_shown,per_kind", [(None, False), (2, False), (12, False), (1, True), (2, True)]
)
def test_one_idea_is_read_as_the_read_of_many_reads_it(
    question: Question,
    make_question,
    arguments_shown: int | None,
    per_kind: bool,
    omit_hidden: bool,
) -> None:
    """`question_page` reads a single idea with `hot.one_idea`: the idea, its author, its
    leading arguments and how many there are come out as the read of several ideas gives them,
    with a hidden argument in its place or (`omit_hidden`) neither read nor counted."""
    from ponder.questions.access import Access
    from ponder.questions.pages import question_page

    ann, _ = services.participant_join(question=question, name="Ann", token=None)
    bo, _ = services.participant_join(question=question, name="Bo <b>", token=None)
    lake = services.idea_add(question=question, author=bo, title="Lake", description="Deep")
    hill = services.idea_add(question=question, author=ann, title="Hill")
    for number, text in enumerate(["Quiet", "Far", "Cold", "Wet", "Green", "Dear"]):
        argument = services.argument_add(
            idea=lake, author=(ann, bo)[number % 2], kind=("pro", "con")[number % 2], text=text
        )
        if number in (1, 2):
            services.like_add(argument=argument, participant=ann)
    services.entry_hide(entry=argument, reason="spam")  # the last: "Dear", a con
    services.vote_cast(idea=lake, participant=ann)
    access = Access(
        question=question, participant=None, is_organiser=False, token=None, admin_key=None
    )

    def read(ids: list[str]) -> dict[str, tuple[object, ...]]:
        page = question_page(
            access,
            idea_ids=ids,
            comments=False,
            arguments_shown=arguments_shown,
            per_kind=per_kind,
            omit_hidden=omit_hidden,
        )
        return {idea.pk: _shown(idea) for idea in page.ideas}

    assert read([lake.pk]) == {lake.pk: read([lake.pk, hill.pk])[lake.pk]}
    if per_kind:  # the strongest of each kind, and how many more of each there are
        kinds = [argument[4] for argument in read([lake.pk])[lake.pk][-1]]
        assert sorted(kinds) == ["con"] * arguments_shown + ["pro"] * arguments_shown
        cons = 2 if omit_hidden else 3
        assert read([lake.pk])[lake.pk][8:10] == (3 - arguments_shown, cons - arguments_shown)
    assert read([hill.pk]) == {hill.pk: read([lake.pk, hill.pk])[hill.pk]}
    other, _ = make_question(title="Elsewhere")
    elsewhere = Access(
        question=other, participant=None, is_organiser=False, token=None, admin_key=None
    )
    assert question_page(elsewhere, idea_ids=[lake.pk], comments=False).ideas == []
    assert hot.one_idea(question, "nosuchidea00", arguments=3) == (None, [])


def test_question_id_of_an_idea_argument_or_comment(question: Question) -> None:
    ann, _ = services.participant_join(question=question, name="Ann", token=None)
    idea = services.idea_add(question=question, author=ann, title="Lake")
    pro = services.argument_add(idea=idea, author=ann, kind="pro", text="Quiet")
    comment = services.comment_add(question=question, author=ann, text="Hi")
    for model, pk in ((Idea, idea.pk), (Argument, pro.pk), (Comment, comment.pk)):
        assert hot.question_id_of(model, pk) == question.pk
        assert hot.question_id_of(model, "nosuchentry0") is None
