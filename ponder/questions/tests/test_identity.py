"""Who is who on a question: nobody can take a name that looks like one already taken (the
organiser's included), the organiser's entries carry a badge and their edits of other people's
entries say so, and every participant sees who they take part as, can change that name, and can
make this browser forget it."""

import pytest

from conftest import Person
from ponder.api.tests.conftest import Caller, ask, join
from ponder.questions import services
from ponder.questions.models import Idea, Participant, Question
from ponder.questions.tests.test_bad_input import field_error

HX = {"HTTP_HX_REQUEST": "true"}
TAKEN = "is taken here, or looks just like a name that is"
BADGE = '<span class="badge organiser-badge">organiser</span>'
EDITED = '<span class="badge edited-badge">edited by the organiser</span>'


def _me(question: Question, name: str) -> Participant:
    return Participant.objects.get(question=question, name=name)


# Names that look alike ------------------------------------------------------------------------

LOOKALIKES = ["Alice", "\u0410lice", "Ali\u200bce", "ALICE", "  alice ", "A\u200dlice"]


@pytest.mark.parametrize("name", LOOKALIKES)
def test_a_name_that_looks_like_the_organisers_is_refused_next_to_the_field(question, alice, name):
    mallory = Person("Mallory")
    response = mallory.post(f"/q/{question.pk}/join/", {"name": name})
    assert response.status_code == 422
    assert TAKEN in field_error(response.content.decode(), "name")
    assert list(Participant.objects.values_list("name", flat=True)) == ["Alice"]


@pytest.mark.parametrize("name", LOOKALIKES[:3])
def test_a_newcomers_idea_under_a_taken_name_is_refused_and_nothing_is_kept(question, alice, name):
    mallory = Person("Mallory")
    data = {"name": name, "title": "Free pizza", "description": ""}
    response = mallory.post(f"/q/{question.pk}/ideas/", data)
    assert response.status_code == 422
    assert TAKEN in field_error(response.content.decode(), "name")
    assert not Idea.objects.exists()
    assert Participant.objects.count() == 1


def test_a_name_is_compared_through_what_it_looks_like_kept_on_joining_and_renaming(question):
    from ponder.lib.text import name_looks

    services.participant_join(question=question, name="Bob")
    bob = _me(question, "Bob")
    assert (bob.look, bob.look_folded) == name_looks("Bob")
    services.participant_rename(participant=bob, name="Robert")
    bob.refresh_from_db()
    assert (bob.look, bob.look_folded) == name_looks("Robert")
    # Among many names, the one that looks alike is found, and the old name is free again.
    for n in range(50):
        services.participant_join(question=question, name=f"Voter {n}")
    with pytest.raises(services.ActionRefused):
        services.participant_join(question=question, name="R\u043ebert")  # a Cyrillic o
    services.participant_join(question=question, name="Bob")


def test_a_name_written_around_the_services_is_still_compared(question):
    # A bulk load writes rows without their look: such rows are compared by hand.
    Participant.objects.create(question=question, name="Dora", token_hash="x" * 64)
    with pytest.raises(services.ActionRefused):
        services.participant_join(question=question, name="D\u043era")


def test_the_htmx_join_answers_the_form_with_its_error(question, alice):
    response = Person("Mallory").post(f"/q/{question.pk}/join/", {"name": "\u0410lice"}, **HX)
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#join"
    assert TAKEN in field_error(response.content.decode(), "name")


def test_the_api_refuses_a_lookalike_name_with_409(db):
    question_id, organiser = ask()
    assert organiser.post(f"/questions/{question_id}/participants", {"name": "Anna"}).status_code
    refused = Caller().post(f"/questions/{question_id}/participants", {"name": "\u0410nna"})
    assert refused.status_code == 409
    assert refused.data["code"] == "name_taken"
    assert TAKEN in refused.data["detail"]
    bob = join(question_id, "Bob")
    renamed = bob.post(f"/questions/{question_id}/participants", {"name": "ANNA"})
    assert renamed.status_code == 409
    assert sorted(Participant.objects.values_list("name", flat=True)) == ["Anna", "Bob"]


def test_the_organiser_may_take_part_under_their_name_from_the_api_too(question, alice):
    organiser = Caller(question.admin_key)
    joined = organiser.post(f"/questions/{question.pk}/participants", {"name": "Alice"})
    assert joined.status_code == 201
    assert Participant.objects.filter(name="Alice", organiser=True).count() == 2


def test_names_in_other_questions_do_not_count(make_question, alice, question):
    other, _key = make_question()
    assert Person("Alice").join(other)


# The organiser's badge and edits ---------------------------------------------------------------


@pytest.fixture
def entries(question: Question, alice, bob) -> dict[str, object]:
    me, her = _me(question, "Bob"), _me(question, "Alice")
    hers = services.idea_add(question=question, author=her, title="Lisbon")
    his = services.idea_add(question=question, author=me, title="Berlin")
    services.argument_add(idea=his, author=her, kind="con", text="Cold in winter")
    services.comment_add(question=question, author=her, text="Decide by Friday")
    Question.objects.filter(pk=question.pk).update(allow_exports=True)
    return {"hers": hers, "his": his}


def test_only_the_organiser_is_marked(question, alice, bob):
    assert _me(question, "Alice").organiser
    assert not _me(question, "Bob").organiser


@pytest.mark.parametrize(
    "url,count",
    [
        ("/q/{q}/", 3),  # her idea, her con, her comment
        ("/q/{q}/ideas/{his}/", 1),  # her con on his idea
        ("/q/{q}/ideas/{hers}/", 1),  # her idea
        ("/q/{q}/report/", 4),  # her idea in the ranking and in detail, her con, her comment
        ("/embed/{q}/", 3),
    ],
)
def test_the_organisers_entries_carry_the_badge_everywhere(question, entries, bob, url, count):
    Question.objects.filter(pk=question.pk).update(allow_embed=True)  # the embed is opt-in
    html = bob.get(url.format(q=question.pk, his=entries["his"].pk, hers=entries["hers"].pk))
    assert html.content.decode().count(BADGE) == count


def test_the_api_says_which_entries_are_the_organisers(question, entries, bob):
    data = Caller().get(f"/questions/{question.pk}").data
    by_title = {idea["title"]: idea for idea in data["ideas"]}
    assert by_title["Lisbon"]["by_organiser"] is True
    assert by_title["Berlin"]["by_organiser"] is False
    assert by_title["Berlin"]["arguments"][0]["by_organiser"] is True
    assert data["comments"][0]["by_organiser"] is True


def test_an_idea_the_organiser_edited_says_so_on_page_and_in_the_api(question, entries, alice, bob):
    his = entries["his"]
    url = f"/q/{question.pk}/idea/{his.pk}/edit/"
    assert alice.post(url, {"title": "Berlin, in spring", "description": ""}).status_code == 302
    page = bob.get(f"/q/{question.pk}/").content.decode()
    row = page.split(f'id="idea-{his.pk}"', 1)[1].split("</article>", 1)[0]
    assert EDITED in row
    assert EDITED in bob.get(f"/q/{question.pk}/ideas/{his.pk}/").content.decode()
    assert EDITED in alice.get(f"/q/{question.pk}/report/").content.decode()
    data = Caller().get(f"/questions/{question.pk}/ideas/{his.pk}").data
    assert data["edited_by_organiser"] is True


def test_the_organiser_editing_their_own_entry_is_no_news(question, entries, alice, bob):
    hers = entries["hers"]
    url = f"/q/{question.pk}/idea/{hers.pk}/edit/"
    assert alice.post(url, {"title": "Lisbon, in May", "description": ""}).status_code == 302
    hers.refresh_from_db()
    assert not hers.edited_by_organiser
    assert EDITED not in bob.get(f"/q/{question.pk}/").content.decode()


def test_an_author_editing_their_own_entry_is_no_news(question, entries, bob):
    his = entries["his"]
    url = f"/q/{question.pk}/idea/{his.pk}/edit/"
    assert bob.post(url, {"title": "Berlin, in May", "description": ""}).status_code == 302
    his.refresh_from_db()
    assert not his.edited_by_organiser


def test_comments_and_arguments_the_organiser_edited_say_so(question, alice, bob):
    me = _me(question, "Bob")
    idea = services.idea_add(question=question, author=me, title="Porto")
    argument = services.argument_add(idea=idea, author=me, kind="pro", text="Cheap")
    comment = services.comment_add(question=question, author=me, text="Me too")
    organiser = Caller(question.admin_key)
    patched = organiser.patch(f"/arguments/{argument.pk}", {"text": "Cheap flights"})
    assert patched.data["edited_by_organiser"] is True
    assert (
        alice.post(f"/q/{question.pk}/comment/{comment.pk}/edit/", {"text": "Me too!"}).status_code
        == 302
    )
    html = bob.get(f"/q/{question.pk}/").content.decode()
    assert html.count(EDITED) == 2


# Who am I ---------------------------------------------------------------------------------------


def test_a_participant_sees_who_they_take_part_as(question, alice, bob, carol):
    for person, name in ((bob, "Bob"), (carol, "Carol"), (bob, "Bob")):
        # The page is rendered once for everyone of a kind: each gets their own name.
        html = person.get(f"/q/{question.pk}/").content.decode()
        assert f"You take part as <bdi>{name}</bdi>" in html
        whoami = html.split('id="whoami"')[1].split("</details>")[0]
        assert f'name="name" value="{name}"' in whoami  # the "change name" form
    assert (
        "You take part as <bdi>Alice</bdi> " + BADGE
        in alice.get(f"/q/{question.pk}/").content.decode()
    )


def test_a_newcomer_is_asked_for_a_name_instead(question, alice):
    html = Person("Mallory").get(f"/q/{question.pk}/").content.decode()
    assert "You take part as" not in html and 'id="join"' in html


def test_changing_the_name_renames_them_everywhere(question, entries, bob, carol):
    services.vote_cast(idea=entries["hers"], participant=_me(question, "Bob"))
    response = bob.post(f"/q/{question.pk}/name/", {"name": "Robert"})
    assert response.status_code == 302
    html = carol.get(f"/q/{question.pk}/").content.decode()
    assert "by <bdi>Robert</bdi>" in html  # his idea
    assert "<bdi>Robert</bdi>" in html.split('id="votes-' + entries["hers"].pk)[1]  # his vote
    assert "Bob" not in html
    mine = bob.get(f"/q/{question.pk}/").content.decode()
    assert "You take part as <bdi>Robert</bdi>" in mine
    assert "You now take part as Robert." in mine


@pytest.mark.parametrize("name", ["Carol", "C\u0430rol", "CAROL", "Alice"])
def test_changing_to_a_name_that_is_taken_is_refused_next_to_the_field(
    question, alice, bob, carol, name
):
    response = bob.post(f"/q/{question.pk}/name/", {"name": name})
    assert response.status_code == 422
    assert TAKEN in field_error(response.content.decode(), "name")
    assert _me(question, "Bob")


def test_changing_to_ones_own_name_in_capitals_is_allowed(question, bob):
    assert bob.post(f"/q/{question.pk}/name/", {"name": "BOB"}).status_code == 302
    assert Participant.objects.get(question=question).name == "BOB"


def test_the_htmx_rename_reloads_the_page_and_its_errors_stay_in_place(question, bob, carol):
    refused = bob.post(f"/q/{question.pk}/name/", {"name": "Carol"}, **HX)
    assert refused.status_code == 422 and refused["HX-Retarget"] == "#whoami"
    assert '<details class="rename" open>' in refused.content.decode()
    renamed = bob.post(f"/q/{question.pk}/name/", {"name": "Robert"}, **HX)
    assert renamed["HX-Refresh"] == "true"


def test_a_newcomer_cannot_rename(question, alice):
    response = Person("Mallory").post(f"/q/{question.pk}/name/", {"name": "Mallory"})
    assert response.status_code == 302  # back to the page, with the message
    assert not Participant.objects.filter(name="Mallory").exists()


def test_not_you_makes_this_browser_forget_the_name(question, entries, bob):
    response = bob.post(f"/q/{question.pk}/forget/")
    assert response.status_code == 302
    html = bob.get(f"/q/{question.pk}/").content.decode()
    assert "You take part as" not in html
    assert 'id="join"' in html
    assert 'name="name" value="Bob"' not in html  # the name is forgotten too
    # What they wrote stays, under their name.
    assert "by <bdi>Bob</bdi>" in html


def test_the_rename_and_forget_forms_need_csrf(question, bob):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.cookies = bob.client.cookies
    assert strict.post(f"/q/{question.pk}/name/", {"name": "Robert"}).status_code == 403
    assert strict.post(f"/q/{question.pk}/forget/").status_code == 403
    assert Participant.objects.filter(name="Bob").exists()
