"""Moderation: the organiser hides and restores entries, removes a participant with everything
they did, merges duplicate ideas and reads the participants' reports.

Roles, as in test_permissions.py: alice organises (and takes part), bob wrote the entries, carol
takes part too, mallory has the link and never joined (a newcomer), oscar organises another
question (an outsider here)."""

import csv
import io
import json
from dataclasses import dataclass

import pytest
from django.test import override_settings
from openpyxl import load_workbook

from conftest import Person, counts_off
from ponder.live.models import Event
from ponder.questions import services, stream
from ponder.questions.models import (
    Argument,
    Comment,
    Idea,
    IdeaMerge,
    Like,
    Participant,
    Question,
    Report,
    Vote,
)
from ponder.questions.services import ActionRefused
from ponder.ratelimit import parse_limits

HX = {"headers": {"HX-Request": "true"}}
ROLES = ["organiser", "author", "participant", "newcomer", "outsider"]
KINDS = ["idea", "argument", "comment"]


@dataclass
class Board:
    question: Question
    people: dict[str, Person]
    bob: Participant
    carol: Participant
    entries: dict[str, Idea | Argument | Comment]  # bob's
    other_question: Question
    other_idea: Idea

    def url(self, path: str = "") -> str:
        return f"/q/{self.question.pk}/{path}"

    def entry_url(self, kind: str, action: str, entry: object | None = None) -> str:
        entry = entry or self.entries[kind]
        return self.url(f"{kind}/{entry.pk}/{action}/")


@pytest.fixture
def board(question, make_question, alice, bob, carol, mallory) -> Board:
    other_question, other_key = make_question("Which framework?")
    oscar = Person("Oscar").organise(other_question, other_key).join(other_question)
    oscars = Participant.objects.get(question=other_question)
    other_idea = services.idea_add(question=other_question, author=oscars, title="Django")
    bobs = Participant.objects.get(question=question, name="Bob")
    carols = Participant.objects.get(question=question, name="Carol")
    idea = services.idea_add(question=question, author=bobs, title="Bob's idea")
    entries = {
        "idea": idea,
        "argument": services.argument_add(idea=idea, author=bobs, kind="pro", text="Bob's pro"),
        "comment": services.comment_add(question=question, author=bobs, text="Bob's comment"),
    }
    people = {
        "organiser": alice,
        "author": bob,
        "participant": carol,
        "newcomer": mallory,
        "outsider": oscar,
    }
    return Board(question, people, bobs, carols, entries, other_question, other_idea)


def _reason(entry: Idea | Argument | Comment) -> str:
    return type(entry).objects.get(pk=entry.pk).hidden_reason


# The permission matrix ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_organiser_may_hide_an_entry(board: Board, role: str, kind: str) -> None:
    person = board.people[role]
    form = person.get(board.entry_url(kind, "hide"))
    response = person.post(board.entry_url(kind, "hide"), {"reason": "spam"})
    allowed = role == "organiser"
    assert (form.status_code, response.status_code) == ((200, 302) if allowed else (404, 404))
    assert _reason(board.entries[kind]) == ("spam" if allowed else "")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_organiser_may_restore_an_entry(board: Board, role: str, kind: str) -> None:
    services.entry_hide(entry=board.entries[kind], reason="off_topic")
    response = board.people[role].post(board.entry_url(kind, "restore"))
    allowed = role == "organiser"
    assert response.status_code == (302 if allowed else 404)
    assert _reason(board.entries[kind]) == ("" if allowed else "off_topic")


@pytest.mark.parametrize("role", ROLES)
def test_only_the_organiser_may_remove_a_participant(board: Board, role: str) -> None:
    url = board.url(f"participants/{board.carol.pk}/remove/")
    form = board.people[role].get(url)
    response = board.people[role].post(url, {"confirm": "on"})
    allowed = role == "organiser"
    assert (form.status_code, response.status_code) == ((200, 302) if allowed else (404, 404))
    assert Participant.objects.filter(pk=board.carol.pk).exists() is not allowed


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_a_participant_may_report_someone_elses_entry(board: Board, role: str, kind: str) -> None:
    # The author not their own, the organiser hides instead, a newcomer gives a name first.
    person = board.people[role]
    form = person.get(board.entry_url(kind, "report"))
    response = person.post(board.entry_url(kind, "report"), {"reason": "offensive"})
    allowed = role == "participant"
    assert (form.status_code, response.status_code) == ((200, 302) if allowed else (404, 404))
    assert Report.objects.count() == (1 if allowed else 0)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_organiser_may_merge_ideas(board: Board, role: str) -> None:
    other = services.idea_add(question=board.question, author=board.carol, title="Carol's idea")
    person = board.people[role]
    form = person.get(board.url("merge/"))
    response = person.post(
        board.url("merge/"), {"keep": other.pk, "merged": board.entries["idea"].pk}
    )
    allowed = role == "organiser"
    assert (form.status_code, response.status_code) == ((200, 302) if allowed else (404, 404))
    assert Idea.objects.filter(pk=board.entries["idea"].pk).exists() is not allowed


@pytest.mark.parametrize("role", ROLES)
def test_only_the_organiser_reads_the_reports_and_the_participants(board: Board, role: str) -> None:
    person = board.people[role]
    expected = 200 if role == "organiser" else 404
    assert person.get(board.url("reports/")).status_code == expected
    assert person.get(board.url("participants/")).status_code == expected
    dismissed = person.post(board.entry_url("idea", "reports/dismiss"))
    assert dismissed.status_code == (302 if role == "organiser" else 404)


# Hidden entries leak nowhere ----------------------------------------------------------------

SECRETS = {"idea": "SECRET-IDEA", "argument": "SECRET-PRO", "comment": "SECRET-COMMENT"}
NOTE = "see the rules"


@pytest.fixture
def hidden(board: Board) -> Board:
    """Bob's entries carry secret texts and are hidden (his pro on carol's idea); carol voted
    for and liked them. The question may be embedded and exported by anyone."""
    idea, argument, comment = (board.entries[k] for k in KINDS)
    # The pro on an idea that stays shown: its row shows the pro's place.
    shown = services.idea_add(question=board.question, author=board.carol, title="Carol's idea")
    Idea.objects.filter(pk=idea.pk).update(title=SECRETS["idea"], description=SECRETS["idea"])
    Argument.objects.filter(pk=argument.pk).update(text=SECRETS["argument"], idea=shown)
    Comment.objects.filter(pk=comment.pk).update(text=SECRETS["comment"])
    services.vote_cast(idea=Idea.objects.get(pk=idea.pk), participant=board.carol)
    services.like_add(argument=Argument.objects.get(pk=argument.pk), participant=board.carol)
    Question.objects.filter(pk=board.question.pk).update(allow_embed=True, allow_exports=True)
    for kind in KINDS:
        entry = type(board.entries[kind]).objects.get(pk=board.entries[kind].pk)
        services.entry_hide(entry=entry, reason="offensive", note=NOTE)
    return board


def _every_surface(board: Board, person: Person) -> dict[str, str]:
    """Everything a browser can read of the question: the page, its fragments, the idea's row
    and page, the embed, every export and the report."""
    idea = board.entries["idea"]
    paths = {
        "page": board.url(),
        "ideas fragment": board.url() + "?part=ideas",
        "comments fragment": board.url() + "?part=comment_list&comments=all",
        "embed": f"/embed/{board.question.pk}/",
        "report": board.url("report/"),
        "json": board.url("export/results.json"),
        "xlsx": board.url("export/results.xlsx"),
    }
    for table in ("ideas", "arguments", "votes", "comments"):
        paths[f"{table}.csv"] = board.url(f"export/{table}.csv")
    read = {}
    for name, path in paths.items():
        response = person.get(path, **(HX if "fragment" in name else {}))
        assert response.status_code == 200, (name, response.status_code)
        read[name] = response.content.decode("utf-8", errors="replace")
    row = person.get(board.url(f"ideas/{idea.pk}/") + "?part=row", **HX)
    read["idea row"] = row.content.decode()
    for part in ("description", "voters", "arguments", "argument_form"):
        fragment = person.get(board.url(f"ideas/{idea.pk}/") + f"?part={part}", **HX)
        read[f"idea {part}"] = fragment.content.decode()
    read["idea page status"] = str(person.get(board.url(f"ideas/{idea.pk}/")).status_code)
    return read


@pytest.mark.parametrize("role", ["author", "participant", "newcomer", "outsider"])
def test_hidden_entries_leak_to_no_one_but_the_organiser(hidden: Board, role: str) -> None:
    read = _every_surface(hidden, hidden.people[role])
    for name, text in read.items():
        for secret in SECRETS.values():
            assert secret not in text, (name, secret)
    assert read["idea page status"] == "404"
    # In their place on the page: the reason, and the organiser's note.
    for name in ("page", "embed", "idea row"):
        assert "Hidden by the organiser: offensive" in read[name], name
        assert NOTE in read[name]
    assert read["page"].count("Hidden by the organiser: offensive") == 3
    # The hidden idea's votes are counted nowhere: carol's vote shows in no export.
    assert "Carol" not in read["votes.csv"]


def test_the_organiser_sees_hidden_entries_greyed_with_restore(hidden: Board) -> None:
    read = _every_surface(hidden, hidden.people["organiser"])
    for secret in SECRETS.values():
        assert secret in read["page"]
        assert secret in read["json"]
    assert read["page"].count("Only you see this.") == 3
    assert read["page"].count(">Restore</button>") == 3
    assert read["idea page status"] == "200"


def _table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_organisers_exports_mark_what_was_hidden_and_why(hidden: Board) -> None:
    read = _every_surface(hidden, hidden.people["organiser"])
    why = f"offensive: {NOTE}"
    for table, column, secret in (
        ("ideas", 1, SECRETS["idea"]),
        ("arguments", 2, SECRETS["argument"]),
        ("comments", 0, SECRETS["comment"]),
    ):
        header, *rows = _table(read[f"{table}.csv"])
        assert header[-1] == "Hidden by the organiser", table
        marks = {row[column]: row[-1] for row in rows}
        assert marks[secret] == why, table
    assert {row[1]: row[-1] for row in _table(read["ideas.csv"])}["Carol's idea"] == ""
    book = load_workbook(
        io.BytesIO(hidden.people["organiser"].get(hidden.url("export/results.xlsx")).content)
    )
    for name in ("Ideas", "Arguments", "Comments"):
        rows = [list(row) for row in book[name].iter_rows(values_only=True)]
        assert rows[0][-1] == "Hidden by the organiser", name
        assert why in [row[-1] for row in rows[1:]], name
    ideas = {idea["title"]: idea["hidden"] for idea in json.loads(read["json"])["ideas"]}
    assert ideas[SECRETS["idea"]] == {"reason": "offensive", "note": NOTE}
    assert ideas["Carol's idea"] is None
    german = hidden.people["organiser"].get(
        hidden.url("export/ideas.csv"), headers={"Accept-Language": "de"}
    )
    assert _table(german.content.decode())[0][-1] == "Ausgeblendet von der Person, die organisiert"


def test_no_one_else_gets_a_hidden_entry_or_its_column_in_the_exports(hidden: Board) -> None:
    read = _every_surface(hidden, hidden.people["participant"])
    for table in ("ideas", "arguments", "comments"):
        header, *rows = _table(read[f"{table}.csv"])
        assert "Hidden by the organiser" not in header, table
        assert not any(NOTE in cell for row in rows for cell in row), table
    ideas = json.loads(read["json"])["ideas"]
    assert [idea["hidden"] for idea in ideas] == [None]


def test_hidden_entries_leak_through_no_api_answer(hidden: Board) -> None:
    from ponder.api.tests.conftest import Caller

    question = hidden.question
    token = services.participant_join(question=question, name="Dora")[1]
    for caller in (Caller(token), Caller()):
        answers = [
            caller.get(f"/questions/{question.pk}"),
            caller.get(f"/questions/{question.pk}/ideas?offset=0&limit=100"),
            caller.get(f"/questions/{question.pk}/comments"),
            caller.get(f"/questions/{question.pk}/results"),
            caller.get(f"/questions/{question.pk}/ideas/{hidden.entries['idea'].pk}"),
        ]
        text = json.dumps([a.data for a in answers])
        for secret in SECRETS.values():
            assert secret not in text
        assert answers[-1].status_code == 404
        read = answers[0].data
        assert [i["title"] for i in read["ideas"]] == ["Carol's idea"]
        assert read["ideas"][0]["arguments"] == [] and read["comments"] == []
    assert Caller(token).get(f"/ideas/{hidden.entries['idea'].pk}").status_code == 404


def test_hidden_entries_leak_through_no_event(hidden: Board) -> None:
    # Carol takes her vote back from the hidden idea: the event carries no tally of it.
    services.vote_retract(
        idea=Idea.objects.get(pk=hidden.entries["idea"].pk), participant=hidden.carol
    )
    events = list(Event.objects.filter(question=hidden.question).order_by("version"))
    stream.describe(hidden.question.pk, events)
    for event in events:
        for secret in SECRETS.values():
            assert secret.encode() not in event.sse
    retracted = [e for e in events if e.type == "vote.retracted"]
    assert retracted and retracted[-1].public is None
    assert [e.type for e in events if e.type.endswith(".hidden")] == [
        "idea.hidden",
        "argument.hidden",
        "comment.hidden",
    ]


def test_a_hidden_idea_keeps_its_votes_but_takes_no_new_ones_and_is_out_of_the_result(
    board: Board,
) -> None:
    idea = board.entries["idea"]
    services.vote_cast(idea=Idea.objects.get(pk=idea.pk), participant=board.carol)
    services.entry_hide(entry=idea, reason="duplicate")
    with pytest.raises(ActionRefused) as refused:
        services.vote_cast(idea=Idea.objects.get(pk=idea.pk), participant=board.bob)
    assert refused.value.code == "hidden"
    assert Idea.objects.get(pk=idea.pk).vote_count == 1  # kept
    response = board.people["author"].post(board.url(f"ideas/{idea.pk}/vote/"), **HX)
    assert response.status_code == 409
    services.question_close(question=board.question)
    page = board.people["participant"].get(board.url()).content.decode()
    assert "No votes were cast." in page  # the only votes are the hidden idea's
    results = board.people["organiser"].get(f"/api/v1/questions/{board.question.pk}/results")
    assert results.json() == {
        "status": "closed",
        "tally_hidden": False,
        "winners": [],
        "ranking": [],
    }
    assert counts_off() == []


def test_restoring_shows_the_entry_again_as_it_was(board: Board) -> None:
    comment = board.entries["comment"]
    services.entry_hide(entry=comment, reason="spam")
    assert "Bob&#x27;s comment" not in board.people["participant"].get(board.url()).content.decode()
    response = board.people["organiser"].post(board.entry_url("comment", "restore"), **HX)
    assert response.status_code == 200
    assert "Shown to everyone again." in response.content.decode()
    assert "Bob&#x27;s comment" in board.people["participant"].get(board.url()).content.decode()


def test_hiding_with_htmx_answers_with_the_row_greyed(board: Board) -> None:
    organiser = board.people["organiser"]
    form = organiser.get(board.entry_url("idea", "hide"), **HX).content.decode()
    assert 'name="reason"' in form and "<html" not in form
    response = organiser.post(board.entry_url("idea", "hide"), {"reason": "off_topic"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="idea-' in html and "Only you see this." in html


def test_an_unknown_reason_is_a_form_error(board: Board) -> None:
    response = board.people["organiser"].post(board.entry_url("idea", "hide"), {"reason": "boring"})
    assert response.status_code == 422
    assert "Choose one of the reasons." in response.content.decode()
    assert _reason(board.entries["idea"]) == ""
    with pytest.raises(ActionRefused):
        services.entry_hide(entry=board.entries["idea"], reason="boring")


# Removing a participant ---------------------------------------------------------------------


def test_removing_a_participant_takes_everything_they_wrote_and_voted(board: Board) -> None:
    carols_idea = services.idea_add(question=board.question, author=board.carol, title="Carol's")
    services.vote_cast(idea=Idea.objects.get(pk=board.entries["idea"].pk), participant=board.bob)
    services.vote_cast(idea=Idea.objects.get(pk=board.entries["idea"].pk), participant=board.carol)
    services.vote_cast(idea=carols_idea, participant=board.bob)
    argument = Argument.objects.get(pk=board.entries["argument"].pk)
    services.like_add(argument=argument, participant=board.carol)
    organiser = board.people["organiser"]

    confirm = organiser.get(board.url(f"participants/{board.carol.pk}/remove/")).content.decode()
    assert "Carol" in confirm and "Ideas: 1" in confirm and "Votes: 1" in confirm
    unconfirmed = organiser.post(board.url(f"participants/{board.carol.pk}/remove/"))
    assert unconfirmed.status_code == 422
    assert Participant.objects.filter(pk=board.carol.pk).exists()

    done = organiser.post(board.url(f"participants/{board.carol.pk}/remove/"), {"confirm": "on"})
    assert done["Location"] == board.url("participants/")
    assert "Carol was removed" in organiser.get(done["Location"]).content.decode()
    assert not Participant.objects.filter(pk=board.carol.pk).exists()
    assert not Idea.objects.filter(pk=carols_idea.pk).exists()
    assert Idea.objects.get(pk=board.entries["idea"].pk).vote_count == 1  # bob's alone
    assert Argument.objects.get(pk=argument.pk).like_count == 0
    assert counts_off() == []
    assert "Carol" not in organiser.get(board.url()).content.decode()


def test_the_organisers_own_name_is_not_removed_this_way(board: Board) -> None:
    alice = Participant.objects.get(question=board.question, name="Alice")
    assert (
        board.people["organiser"].get(board.url(f"participants/{alice.pk}/remove/")).status_code
        == 404
    )
    with pytest.raises(ActionRefused):
        services.participant_remove(question=board.question, participant_id=alice.pk)


# Reports ------------------------------------------------------------------------------------


def test_a_report_reaches_the_organisers_list_and_panel(board: Board) -> None:
    carol = board.people["participant"]
    carol.post(board.entry_url("idea", "report"), {"reason": "offensive", "note": "rude"})
    dora = Person("Dora").join(board.question)
    dora.post(board.entry_url("idea", "report"), {"reason": "spam"})
    organiser = board.people["organiser"]
    notice = organiser.get(board.url("reports/") + "?part=notice", **HX).content.decode()
    assert "2 open reports" in notice
    listing = organiser.get(board.url("reports/")).content.decode()
    assert "Bob&#x27;s idea" in listing and "2 reports" in listing
    assert "offensive: 1" in listing and "spam: 1" in listing and "rude" in listing

    organiser.post(board.entry_url("idea", "reports/hide"), {"reason": "offensive"})
    assert _reason(board.entries["idea"]) == "offensive"
    assert Report.objects.open().count() == 0
    assert "No open reports." in organiser.get(board.url("reports/")).content.decode()


def test_dismissing_reports_leaves_the_entry_as_it_is(board: Board) -> None:
    board.people["participant"].post(board.entry_url("comment", "report"), {"reason": "spam"})
    board.people["organiser"].post(board.entry_url("comment", "reports/dismiss"))
    assert Report.objects.open().count() == 0
    assert _reason(board.entries["comment"]) == ""


def test_one_report_per_person_and_entry_and_nothing_about_others(board: Board) -> None:
    carol, dora = board.people["participant"], Person("Dora").join(board.question)
    first = carol.post(board.entry_url("idea", "report"), {"reason": "spam"}, **HX)
    # Dora's answer is carol's, word for word: it tells her nothing of carol's report.
    second = dora.post(board.entry_url("idea", "report"), {"reason": "spam"}, **HX)
    assert first.content == second.content and first.status_code == second.status_code == 200
    again = carol.post(board.entry_url("idea", "report"), {"reason": "other"}, **HX)
    assert again.status_code == 409
    assert "You have reported this already." in again.content.decode()
    assert Report.objects.count() == 2


def test_reports_are_rate_limited_per_person(board: Board) -> None:
    carol = board.people["participant"]
    with override_settings(PONDER_RATE_LIMITS=parse_limits("report=1/h")):
        from django.core.cache import cache

        cache.clear()
        assert carol.post(board.entry_url("idea", "report"), {"reason": "spam"}).status_code == 302
        refused = carol.post(board.entry_url("comment", "report"), {"reason": "spam"})
        assert refused.status_code == 429
    assert Report.objects.count() == 1


# Merging ideas ------------------------------------------------------------------------------


@pytest.fixture
def duplicates(board: Board) -> tuple[Idea, Idea]:
    """Two ideas of the same: carol's stays, bob's is merged into it."""
    keep = services.idea_add(question=board.question, author=board.carol, title="A lake house")
    return keep, Idea.objects.get(pk=board.entries["idea"].pk)


def test_a_merge_moves_votes_arguments_and_likes_and_keeps_one_vote_each(
    board: Board, duplicates: tuple[Idea, Idea]
) -> None:
    keep, merged = duplicates
    dora = services.participant_join(question=board.question, name="Dora")[0]
    for voter in (board.bob, board.carol):  # both voted for both
        services.vote_cast(idea=keep, participant=voter)
        services.vote_cast(idea=merged, participant=voter)
    services.vote_cast(idea=merged, participant=dora)  # only for the duplicate
    argument = Argument.objects.get(pk=board.entries["argument"].pk)
    services.like_add(argument=argument, participant=dora)

    board.people["organiser"].post(board.url("merge/"), {"keep": keep.pk, "merged": merged.pk})

    assert not Idea.objects.filter(pk=merged.pk).exists()
    assert set(Vote.objects.filter(idea=keep).values_list("participant__name", flat=True)) == {
        "Bob",
        "Carol",
        "Dora",
    }
    assert Vote.objects.filter(participant=board.bob).count() == 1
    assert Idea.objects.get(pk=keep.pk).vote_count == 3
    assert Argument.objects.get(pk=argument.pk).idea_id == keep.pk
    assert Like.objects.filter(argument=argument).count() == 1
    assert counts_off() == []


def test_a_merged_ideas_link_leads_to_the_one_that_stays(board: Board, duplicates) -> None:
    keep, merged = duplicates
    services.idea_merge(keep=keep, merged=merged)
    response = board.people["participant"].get(board.url(f"ideas/{merged.pk}/"))
    assert response.status_code == 301
    assert response["Location"] == board.url(f"ideas/{keep.pk}/")
    page = board.people["participant"].get(response["Location"]).content.decode()
    assert "Merged from:" in page and "Bob&#x27;s idea" in page
    assert IdeaMerge.objects.get(pk=merged.pk).into_id == keep.pk


def test_a_merge_within_the_cap_leaves_nobody_over_it(board: Board, duplicates) -> None:
    keep, merged = duplicates
    Question.objects.filter(pk=board.question.pk).update(max_votes=2)
    services.vote_cast(idea=Idea.objects.get(pk=keep.pk), participant=board.bob)
    services.vote_cast(idea=Idea.objects.get(pk=merged.pk), participant=board.bob)
    services.idea_merge(keep=Idea.objects.get(pk=keep.pk), merged=Idea.objects.get(pk=merged.pk))
    assert Vote.objects.filter(participant=board.bob).count() == 1  # a vote freed, none added


@pytest.mark.parametrize(
    ("which", "message"),
    [("same", "Choose two different ideas."), ("other", "Choose an idea of this question.")],
)
def test_merging_an_idea_with_itself_or_across_questions_is_a_form_error(
    board: Board, duplicates, which: str, message: str
) -> None:
    keep, _merged = duplicates
    other = keep if which == "same" else board.other_idea
    response = board.people["organiser"].post(
        board.url("merge/"), {"keep": keep.pk, "merged": other.pk}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Idea.objects.filter(pk__in=[keep.pk, other.pk]).count() == (1 if which == "same" else 2)
    assert not IdeaMerge.objects.exists()
    with pytest.raises(ActionRefused):
        services.idea_merge(keep=keep, merged=other)
