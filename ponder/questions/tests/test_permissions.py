"""Who may do what, per role and per question state.

The roles: alice organises the question (and takes part), bob wrote the entries under test, carol
takes part too, mallory has the link but never joined, and oscar organises a different question.
Anything a role may not do answers 404, so nothing tells an outsider what exists
(docs/product-rules.md P10).
"""

import re
from dataclasses import dataclass

import pytest

from conftest import Person
from ponder.questions import services
from ponder.questions.models import Argument, Comment, Idea, Like, Participant, Question, Vote

ROLES = ["organiser", "author", "other_participant", "outsider", "other_organiser"]
STATES = ["open", "closed"]
KINDS = ["idea", "argument", "comment"]
EDITS = {
    "idea": {"title": "Edited title", "description": "Edited description"},
    "argument": {"kind": "con", "text": "Edited text"},
    "comment": {"text": "Edited text"},
}


@dataclass
class Board:
    """A question with one idea, argument and comment by bob, one of each by carol, and a
    second question organised by oscar."""

    question: Question
    people: dict[str, Person]
    entries: dict[str, Idea | Argument | Comment]  # bob's
    carols: dict[str, Idea | Argument | Comment]
    other_question: Question
    other_entries: dict[str, Idea | Argument | Comment]  # on oscar's question

    def close(self) -> None:
        services.question_close(question=self.question)


def _entries_by(question: Question, author: Participant, label: str) -> dict:
    idea = services.idea_add(question=question, author=author, title=f"{label}'s idea")
    argument = services.argument_add(idea=idea, author=author, kind="pro", text=f"{label}'s pro")
    comment = services.comment_add(question=question, author=author, text=f"{label}'s comment")
    return {"idea": idea, "argument": argument, "comment": comment}


@pytest.fixture
def board(question, make_question, alice, bob, carol, mallory) -> Board:
    other_question, other_key = make_question("Which framework?")
    oscar = Person("Oscar").organise(other_question, other_key).join(other_question)
    participant = {
        p.name: p for p in Participant.objects.filter(question=question).order_by("created_at")
    }
    oscar_participant = Participant.objects.get(question=other_question, name="Oscar")
    return Board(
        question=question,
        people={
            "organiser": alice,
            "author": bob,
            "other_participant": carol,
            "outsider": mallory,
            "other_organiser": oscar,
        },
        entries=_entries_by(question, participant["Bob"], "Bob"),
        carols=_entries_by(question, participant["Carol"], "Carol"),
        other_question=other_question,
        other_entries=_entries_by(other_question, oscar_participant, "Oscar"),
    )


def _reloaded(entry: Idea | Argument | Comment) -> Idea | Argument | Comment | None:
    return type(entry).objects.filter(pk=entry.pk).first()


def _edited(entry: Idea | Argument | Comment) -> bool:
    fresh = _reloaded(entry)
    assert fresh is not None
    return (getattr(fresh, "title", None) or fresh.text).startswith("Edited")


def _edit_url(question: Question, kind: str, entry: Idea | Argument | Comment) -> str:
    return f"/q/{question.pk}/{kind}/{entry.pk}/edit/"


def _delete_url(question: Question, kind: str, entry: Idea | Argument | Comment) -> str:
    return f"/q/{question.pk}/{kind}/{entry.pk}/delete/"


# Editing and deleting someone else's entries ------------------------------------------------

# Who may change bob's entries: bob while the question is open, the organiser always.
MAY_CHANGE_BOBS = {
    ("organiser", "open"),
    ("organiser", "closed"),
    ("author", "open"),
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_author_while_open_and_the_organiser_always_may_edit_an_entry(
    board, role, kind, state
):
    if state == "closed":
        board.close()
    person, entry = board.people[role], board.entries[kind]
    allowed = (role, state) in MAY_CHANGE_BOBS

    form = person.get(_edit_url(board.question, kind, entry))
    assert form.status_code == (200 if allowed else 404)

    response = person.post(_edit_url(board.question, kind, entry), EDITS[kind])
    if allowed:
        assert response.status_code == 302
        assert _edited(entry)
    else:
        assert response.status_code == 404
        assert not _edited(entry)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_author_while_open_and_the_organiser_always_may_delete_an_entry(
    board, role, kind, state
):
    if state == "closed":
        board.close()
    person, entry = board.people[role], board.entries[kind]
    allowed = (role, state) in MAY_CHANGE_BOBS

    confirm = person.get(_delete_url(board.question, kind, entry))
    assert confirm.status_code == (200 if allowed else 404)

    response = person.post(_delete_url(board.question, kind, entry))
    assert response.status_code == (302 if allowed else 404)
    assert (_reloaded(entry) is None) == allowed


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", KINDS)
def test_a_participant_changes_their_own_entries_only_while_the_question_is_open(
    board, kind, state
):
    if state == "closed":
        board.close()
    carol, entry = board.people["other_participant"], board.carols[kind]
    response = carol.post(_edit_url(board.question, kind, entry), EDITS[kind])
    assert response.status_code == (302 if state == "open" else 404)
    assert _edited(entry) == (state == "open")
    response = carol.post(_delete_url(board.question, kind, entry))
    assert response.status_code == (302 if state == "open" else 404)
    assert (_reloaded(entry) is None) == (state == "open")


@pytest.mark.parametrize("kind", KINDS)
def test_the_organiser_edits_their_own_entries_after_closing(board, kind):
    alice = board.people["organiser"]
    author = Participant.objects.get(question=board.question, name="Alice")
    own = _entries_by(board.question, author, "Alice")[kind]
    board.close()
    assert alice.post(_edit_url(board.question, kind, own), EDITS[kind]).status_code == 302
    assert _edited(own)


@pytest.mark.parametrize("role", ROLES)
def test_edit_and_delete_links_are_shown_only_to_whoever_may_use_them(board, role):
    page = board.people[role].get(f"/q/{board.question.pk}/").content.decode()
    bobs_edit = _edit_url(board.question, "idea", board.entries["idea"])
    carols_edit = _edit_url(board.question, "idea", board.carols["idea"])
    assert (bobs_edit in page) == (role in {"organiser", "author"})
    assert (carols_edit in page) == (role in {"organiser", "other_participant"})


# Organiser actions: settings, close, reopen -------------------------------------------------


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_organiser_sees_the_settings(board, role, state):
    if state == "closed":
        board.close()
    response = board.people[role].get(f"/q/{board.question.pk}/settings/")
    assert response.status_code == (200 if role == "organiser" else 404)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_organiser_changes_the_settings(board, role, state):
    if state == "closed":
        board.close()
    response = board.people[role].post(
        f"/q/{board.question.pk}/settings/",
        {"title": "Renamed", "description": "", "max_votes": "2", "time_zone": "UTC"},
    )
    board.question.refresh_from_db()
    if role == "organiser":
        assert response.status_code == 302
        assert (board.question.title, board.question.max_votes) == ("Renamed", 2)
    else:
        assert response.status_code == 404
        assert (board.question.title, board.question.max_votes) == (
            "Where should the team offsite be?",
            None,
        )


@pytest.mark.parametrize("role", ROLES)
def test_only_the_organiser_closes_the_question(board, role):
    response = board.people[role].post(f"/q/{board.question.pk}/close/")
    board.question.refresh_from_db()
    assert response.status_code == (302 if role == "organiser" else 404)
    assert board.question.is_open() == (role != "organiser")


@pytest.mark.parametrize("role", ROLES)
def test_only_the_organiser_reopens_the_question(board, role):
    board.close()
    response = board.people[role].post(f"/q/{board.question.pk}/reopen/")
    board.question.refresh_from_db()
    assert response.status_code == (302 if role == "organiser" else 404)
    assert board.question.is_open() == (role == "organiser")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_organiser_duplicates_the_question(board, role, state):
    if state == "closed":
        board.close()
    path = f"/q/{board.question.pk}/duplicate/"
    allowed = role == "organiser"
    assert board.people[role].get(path).status_code == (200 if allowed else 404)
    response = board.people[role].post(path, {"copy": "ideas"})
    assert response.status_code == (302 if allowed else 404)
    # Oscar's question and alice's: a copy only if alice asked for it.
    assert Question.objects.count() == (3 if allowed else 2)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_organiser_deletes_the_question(board, role, state):
    if state == "closed":
        board.close()
    path = f"/q/{board.question.pk}/delete/"
    allowed = role == "organiser"
    assert board.people[role].get(path).status_code == (200 if allowed else 404)
    response = board.people[role].post(path)
    assert response.status_code == (302 if allowed else 404)
    assert Question.objects.filter(pk=board.question.pk).exists() == (not allowed)
    assert Question.objects.filter(pk=board.other_question.pk).exists()


@pytest.mark.parametrize("role", ROLES)
def test_only_the_organiser_is_shown_the_admin_link(board, role):
    page = board.people[role].get(f"/q/{board.question.pk}/").content.decode()
    assert (board.question.admin_key in page) == (role == "organiser")
    assert ("Admin link: keep it to yourself" in page) == (role == "organiser")


def test_closing_takes_a_post_so_following_a_link_closes_nothing(board):
    alice = board.people["organiser"]
    assert alice.get(f"/q/{board.question.pk}/close/").status_code == 405
    board.question.refresh_from_db()
    assert board.question.is_open()


# Votes and likes ----------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_votes_count_only_from_participants_while_open(board, role, state):
    if state == "closed":
        board.close()
    idea = board.entries["idea"]
    response = board.people[role].post(
        f"/q/{board.question.pk}/ideas/{idea.pk}/vote/", HTTP_HX_REQUEST="true"
    )
    takes_part = role in {"organiser", "author", "other_participant"}
    if takes_part and state == "open":
        assert response.status_code == 200
        assert Vote.objects.filter(idea=idea).count() == 1
    else:
        assert response.status_code == (409 if takes_part else 403)
        assert Vote.objects.filter(idea=idea).count() == 0


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_likes_count_only_from_participants_while_open(board, role, state):
    if state == "closed":
        board.close()
    argument = board.entries["argument"]
    response = board.people[role].post(
        f"/q/{board.question.pk}/arguments/{argument.pk}/like/", HTTP_HX_REQUEST="true"
    )
    takes_part = role in {"organiser", "author", "other_participant"}
    if takes_part and state == "open":
        assert response.status_code == 200
        assert Like.objects.filter(argument=argument).count() == 1
    else:
        assert response.status_code == (409 if takes_part else 403)
        assert Like.objects.filter(argument=argument).count() == 0


def test_an_outsider_is_asked_for_their_name_before_voting(board):
    idea = board.entries["idea"]
    response = board.people["outsider"].post(
        f"/q/{board.question.pk}/ideas/{idea.pk}/vote/", follow=True
    )
    assert "Please give your name first, then vote." in response.content.decode()
    assert not Vote.objects.exists()


def test_taking_part_in_one_question_gives_no_rights_in_another(board):
    """Bob's browser token is shared by all questions; his participation is not."""
    bob = board.people["author"]
    oscars_idea = board.other_entries["idea"]
    other = board.other_question
    vote = bob.post(f"/q/{other.pk}/ideas/{oscars_idea.pk}/vote/", HTTP_HX_REQUEST="true")
    assert vote.status_code == 403
    assert bob.post(_edit_url(other, "idea", oscars_idea), EDITS["idea"]).status_code == 404
    assert not _edited(oscars_idea)


# Unknown ids, foreign ids and wrong keys: always 404 ----------------------------------------


def test_a_wrong_admin_key_is_not_found_and_grants_nothing(board):
    mallory = board.people["outsider"]
    wrong = board.question.admin_key[::-1]
    assert mallory.get(f"/q/{board.question.pk}/a/{wrong}/").status_code == 404
    assert mallory.get(f"/q/{board.question.pk}/settings/").status_code == 404


def test_another_questions_admin_key_is_not_found(board):
    oscar = board.people["other_organiser"]
    other_key = oscar.client.cookies[f"ponder_admin_{board.other_question.pk}"]
    assert other_key  # oscar does hold a (signed) admin key, for his own question
    with pytest.raises(KeyError):
        oscar.client.cookies[f"ponder_admin_{board.question.pk}"]
    assert oscar.get(f"/q/{board.other_question.pk}/settings/").status_code == 200
    assert oscar.get(f"/q/{board.question.pk}/settings/").status_code == 404


def test_the_right_admin_key_makes_a_browser_the_organiser(board):
    mallory = board.people["outsider"]
    assert mallory.get(f"/q/{board.question.pk}/a/{board.question.admin_key}/").status_code == 302
    assert mallory.get(f"/q/{board.question.pk}/settings/").status_code == 200


FOREIGN = [
    ("get", "/q/{q}/ideas/{idea}/"),
    ("post", "/q/{q}/ideas/{idea}/vote/"),
    ("post", "/q/{q}/ideas/{idea}/unvote/"),
    ("post", "/q/{q}/ideas/{idea}/arguments/"),
    ("post", "/q/{q}/arguments/{argument}/like/"),
    ("post", "/q/{q}/arguments/{argument}/unlike/"),
    ("get", "/q/{q}/idea/{idea}/edit/"),
    ("post", "/q/{q}/idea/{idea}/edit/"),
    ("post", "/q/{q}/idea/{idea}/delete/"),
    ("get", "/q/{q}/argument/{argument}/edit/"),
    ("post", "/q/{q}/argument/{argument}/edit/"),
    ("post", "/q/{q}/argument/{argument}/delete/"),
    ("get", "/q/{q}/comment/{comment}/edit/"),
    ("post", "/q/{q}/comment/{comment}/edit/"),
    ("post", "/q/{q}/comment/{comment}/delete/"),
]


@pytest.mark.parametrize("method,template", FOREIGN)
def test_an_entry_of_another_question_is_not_found_even_for_the_organiser(board, method, template):
    """Alice organises her question; naming oscar's entries under it gets her nothing."""
    ids = {kind: entry.pk for kind, entry in board.other_entries.items()}
    url = template.format(q=board.question.pk, **ids)
    alice = board.people["organiser"]
    if method == "get":
        assert alice.get(url).status_code == 404
        return
    data = {"title": "Edited", "kind": "pro", "text": "Edited", "description": ""}
    assert alice.post(url, data).status_code == 404
    assert Vote.objects.count() == Like.objects.count() == 0
    assert Argument.objects.filter(idea=board.other_entries["idea"]).count() == 1
    assert all(_reloaded(entry) is not None for entry in board.other_entries.values())
    assert not any(_edited(entry) for entry in board.other_entries.values())


@pytest.mark.parametrize(
    "kind,entry_kind", [("argument", "idea"), ("comment", "argument"), ("idea", "comment")]
)
def test_an_id_of_the_wrong_kind_is_not_found(board, kind, entry_kind):
    alice, entry = board.people["organiser"], board.entries[entry_kind]
    assert alice.get(_edit_url(board.question, kind, entry)).status_code == 404
    assert alice.post(_delete_url(board.question, kind, entry)).status_code == 404
    assert _reloaded(entry) is not None


def test_unknown_ids_are_not_found_everywhere(board):
    alice = board.people["organiser"]
    unknown = "A" * 12
    q = board.question.pk
    for url in [
        f"/q/{unknown}/",
        f"/q/{unknown}/settings/",
        f"/q/{q}/ideas/{unknown}/",
        f"/q/{q}/idea/{unknown}/edit/",
        f"/q/{q}/comment/{unknown}/delete/",
    ]:
        assert alice.get(url).status_code == 404, url
    for url in [
        f"/q/{unknown}/close/",
        f"/q/{unknown}/join/",
        f"/q/{unknown}/ideas/",
        f"/q/{q}/ideas/{unknown}/vote/",
        f"/q/{q}/arguments/{unknown}/like/",
    ]:
        assert alice.post(url, {"name": "A", "title": "B"}).status_code == 404, url


def _forged_organiser(question: Question) -> Person:
    """A browser holding a validly signed admin cookie with a wrong key for `question`."""
    from django.core.signing import get_cookie_signer

    from ponder.lib.ids import new_secret
    from ponder.questions.access import admin_cookie_name

    forger = Person("Forger")
    name = admin_cookie_name(question.pk)
    forger.client.cookies[name] = get_cookie_signer(salt=name).sign(new_secret())
    forger.client.cookies[name]["path"] = f"/q/{question.pk}/"
    return forger


def _unmasked(page: bytes) -> bytes:
    return re.sub(rb"[0-9A-Za-z]{64}", b"CSRF", page)


WRONG_KEY_WRITES = [
    "/q/{q}/settings/",
    "/q/{q}/close/",
    "/q/{q}/reopen/",
    "/q/{q}/idea/{idea}/edit/",
    "/q/{q}/argument/{argument}/delete/",
    "/q/{q}/comment/{comment}/edit/",
]


@pytest.mark.parametrize("template", WRONG_KEY_WRITES)
@pytest.mark.parametrize("who", ["forged admin key", "other_organiser", "other_participant"])
def test_a_write_with_a_wrong_key_is_answered_as_at_an_unknown_id(board, template, who):
    """The same status and the same page, whether the question and entry exist or not: nothing
    tells the holder of a wrong key (or of another question's key) what exists."""
    person = _forged_organiser(board.question) if who == "forged admin key" else board.people[who]
    person.get("/")  # shows, and so clears, a message left from joining ("Welcome, Carol.")
    data = {"title": "Edited", "text": "Edited", "kind": "pro", "time_zone": "UTC"}
    ids = {kind: entry.pk for kind, entry in board.entries.items()}
    existing = person.post(template.format(q=board.question.pk, **ids), data)
    unknown_ids = dict.fromkeys(ids, "Zz0000000000")
    unknown = person.post(template.format(q="Zz" + "0" * 20, **unknown_ids), data)

    assert existing.status_code == unknown.status_code == 404
    # Each page carries the CSRF token masked anew (so a compression attack cannot learn it):
    # the only difference allowed.
    assert _unmasked(existing.content) == _unmasked(unknown.content)
    assert not any(_edited(entry) for entry in board.entries.values())
    assert Question.objects.get(pk=board.question.pk).closed_at is None
