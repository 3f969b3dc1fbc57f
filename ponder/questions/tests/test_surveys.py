"""Surveys: several questions on one page, one share link and one admin link, a name asked once
(README.md "Surveys")."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from ponder.questions import services, survey_services
from ponder.questions.models import Idea, Participant, Question, Survey, Vote
from ponder.questions.rendering import latest, renders, rows

HX = {"HTTP_HX_REQUEST": "true"}
BIDI = "\u202e"


@pytest.fixture(autouse=True)
def fresh_renders():
    for cache in (renders, latest, rows):
        cache.clear()


def make_survey(n: int = 3, title: str = "Team day") -> tuple[Survey, str]:
    return survey_services.survey_create(
        title=title, questions=[f"Question {i}" for i in range(1, n + 1)]
    )


def organiser(survey: Survey, admin_key: str) -> Client:
    client = Client()
    assert client.get(f"/s/{survey.pk}/a/{admin_key}/").status_code == 302
    return client


def joined(survey: Survey, name: str) -> Client:
    client = Client()
    response = client.post(f"/s/{survey.pk}/join/", {"name": name})
    assert response.status_code == 302, response.content
    return client


def questions_of(survey: Survey) -> list[Question]:
    return list(survey.question_list())


# Making one ----------------------------------------------------------------------------------


def test_the_home_page_offers_one_question_or_a_survey(db):
    page = Client().get("/").content.decode()
    assert 'href="/s/new/"' in page


def test_a_survey_is_made_from_its_questions_one_a_line(db):
    client = Client()
    response = client.post(
        "/s/new/",
        {"title": "Conference planning", "description": "", "questions": "Where?\n\nWhen?\n"},
    )
    assert response.status_code == 302
    survey = Survey.objects.get()
    assert response["Location"] == f"/s/{survey.pk}/"
    assert [q.title for q in questions_of(survey)] == ["Where?", "When?"]
    assert len(survey.pk) == 22
    # The browser that made it organises it and each of its questions.
    page = client.get(f"/s/{survey.pk}/").content.decode()
    assert "You organise this survey" in page
    first = questions_of(survey)[0]
    assert client.get(f"/q/{first.pk}/settings/").status_code == 200
    assert Client().get(f"/q/{first.pk}/settings/").status_code == 404


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        ("\n".join(f"Q{i}" for i in range(16)), "at most 15 questions; this has 16"),
        ("  \n \n", "Add at least one question."),
        (f"Where?\nWhen{BIDI}?", "Question 2: Remove the invisible characters"),
        ("Where?\n" + "x" * 201, "Question 2: Use at most 200 characters."),
    ],
)
def test_bad_questions_get_a_clear_error(db, questions, message):
    response = Client().post("/s/new/", {"title": "Plan", "questions": questions})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Survey.objects.exists()


def test_an_empty_or_bidi_title_is_refused(db):
    for title in ("   ", f"Plan{BIDI}"):
        response = Client().post("/s/new/", {"title": title, "questions": "Where?"})
        assert response.status_code == 422
    assert not Survey.objects.exists()


# The page --------------------------------------------------------------------------------------


def test_the_page_shows_every_question_with_its_ideas_and_vote_buttons(db):
    survey, _key = make_survey(3)
    first, _second, _third = questions_of(survey)
    kim, _ = services.participant_join(question=first, name="Kim")
    services.idea_add(question=first, author=kim, title="The lake house")
    bob = joined(survey, "Bob")
    page = bob.get(f"/s/{survey.pk}/").content.decode()
    for question in questions_of(survey):
        assert f'id="q-{question.pk}"' in page
    assert "The lake house" in page
    idea = Idea.objects.get()
    assert f"/q/{first.pk}/ideas/{idea.pk}/vote/" in page
    assert "You take part as" in page


def test_each_question_links_to_its_notifications_for_every_reader(db):
    """Notifications are per question: the survey's page links to each question's, for a
    newcomer as for the organiser (the part is shared by every reader of its kind), in German
    too."""
    survey, key = make_survey(2)
    for client in (Client(), organiser(survey, key)):
        page = client.get(f"/s/{survey.pk}/").content.decode()
        for question in questions_of(survey):
            link = re.search(rf'<a href="/q/{question.pk}/notify/">([^<]*)<', page)
            assert link is not None and link[1] == "E-mail notifications"
    german = Client().get(f"/s/{survey.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert german.count("E-Mail-Benachrichtigungen<span") == 2


def test_a_question_page_says_it_is_part_of_the_survey(db):
    survey, _key = make_survey(2)
    page = Client().get(f"/q/{questions_of(survey)[0].pk}/").content.decode()
    assert "Part of the survey" in page and f'href="/s/{survey.pk}/"' in page


def test_the_name_is_asked_once_and_joins_every_open_question(db):
    survey, _key = make_survey(3)
    first, second, third = questions_of(survey)
    services.question_close(question=third)
    bob = Client()
    page = bob.get(f"/s/{survey.pk}/").content.decode()
    assert page.count('id="join"') == 1
    assert bob.post(f"/s/{survey.pk}/join/", {"name": "Bob"}).status_code == 302
    names = set(Participant.objects.values_list("question_id", "name"))
    assert names == {(first.pk, "Bob"), (second.pk, "Bob")}
    page = bob.get(f"/s/{survey.pk}/").content.decode()
    assert 'id="join"' not in page
    # Joined once, Bob votes in any question on the page.
    kim, _ = services.participant_join(question=second, name="Kim")
    idea = services.idea_add(question=second, author=kim, title="Friday")
    url = f"/q/{second.pk}/ideas/{idea.pk}/vote/"
    response = bob.post(url, HTTP_REFERER=f"http://testserver/s/{survey.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/s/{survey.pk}/#idea-{idea.pk}"
    assert Vote.objects.filter(idea=idea, participant__name="Bob").exists()


def _form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form on the page that posts to `action`."""
    form = page[page.index(f'action="{action}"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def test_a_vote_without_javascript_or_referer_comes_back_to_the_survey(db):
    survey, _key = make_survey(2)
    _first, second = questions_of(survey)
    kim, _ = services.participant_join(question=second, name="Kim")
    idea = services.idea_add(question=second, author=kim, title="Friday")
    bob = joined(survey, "Bob")
    url = f"/q/{second.pk}/ideas/{idea.pk}/vote/"
    fields = _form_fields(bob.get(f"/s/{survey.pk}/").content.decode(), url)
    assert fields["back"] == f"/s/{survey.pk}/"
    response = bob.post(url, fields)  # a browser that sends no Referer
    assert response.status_code == 302
    assert response["Location"] == f"/s/{survey.pk}/#idea-{idea.pk}"
    assert Vote.objects.filter(idea=idea, participant__name="Bob").exists()
    # Taken back, the same way.
    unvote = f"/q/{second.pk}/ideas/{idea.pk}/unvote/"
    fields = _form_fields(bob.get(f"/s/{survey.pk}/").content.decode(), unvote)
    assert bob.post(unvote, fields)["Location"] == f"/s/{survey.pk}/#idea-{idea.pk}"
    # Its question's own page has no such field, and leads back to itself.
    assert "back" not in _form_fields(bob.get(f"/q/{second.pk}/").content.decode(), url)
    assert bob.post(url)["Location"].startswith(f"/q/{second.pk}/")


@pytest.mark.parametrize(
    "back", ["https://evil.example/", "//evil.example/s/x/", "/s/{other}/", "/q/{question}/x"]
)
def test_a_way_back_that_is_not_the_questions_own_survey_is_not_followed(db, back):
    survey, _key = make_survey(1)
    other, _other_key = make_survey(1, title="Another")
    (question,) = questions_of(survey)
    kim, _ = services.participant_join(question=question, name="Kim")
    idea = services.idea_add(question=question, author=kim, title="Friday")
    bob = joined(survey, "Bob")
    back = back.format(other=other.pk, question=question.pk)
    response = bob.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/", {"back": back})
    assert response.status_code == 302
    assert response["Location"] == f"/q/{question.pk}/#idea-{idea.pk}"


def test_not_you_comes_back_to_the_survey_without_a_referer(db):
    survey, _key = make_survey(2)
    bob = joined(survey, "Bob")
    first = questions_of(survey)[0]
    forget = f"/q/{first.pk}/forget/"
    fields = _form_fields(bob.get(f"/s/{survey.pk}/").content.decode(), forget)
    assert bob.post(forget, fields)["Location"] == f"/s/{survey.pk}/#q-{first.pk}"


def test_a_lookalike_name_is_refused_in_every_question(db):
    survey, _key = make_survey(2)
    _first, second = questions_of(survey)
    services.participant_join(question=second, name="Anna")
    response = Client().post(f"/s/{survey.pk}/join/", {"name": "\u0410nna"})  # Cyrillic A
    assert response.status_code == 422
    assert "is taken here, or looks just like a name" in response.content.decode()
    assert Participant.objects.count() == 1  # nothing joined, not even the first question


def test_the_admin_link_of_the_survey_organises_every_question(db):
    survey, admin_key = make_survey(3)
    alice = organiser(survey, admin_key)
    for question in questions_of(survey):
        assert alice.get(f"/q/{question.pk}/settings/").status_code == 200
        assert alice.post(f"/q/{question.pk}/close/").status_code == 302
    assert not any(q.is_open() for q in questions_of(survey))
    mallory = Client()
    assert mallory.get(f"/s/{survey.pk}/a/{'x' * 22}/").status_code == 404
    assert mallory.get(f"/s/{survey.pk}/settings/").status_code == 404
    # The survey's key also opens each question's own admin link.
    question = questions_of(survey)[0]
    assert Client().get(f"/q/{question.pk}/a/{admin_key}/").status_code == 302


def test_each_question_keeps_its_own_settings(db):
    survey, admin_key = make_survey(2)
    closed, ideas_off = questions_of(survey)
    services.question_close(question=closed)
    Question.objects.filter(pk=ideas_off.pk).update(allow_ideas=False)
    bob = joined(survey, "Bob")
    page = bob.get(f"/s/{survey.pk}/").content.decode()
    assert f'id="add-{closed.pk}"' not in page and f'id="add-{ideas_off.pk}"' not in page
    for question in (closed, ideas_off):
        response = bob.post(f"/s/{survey.pk}/q/{question.pk}/ideas/", {"title": "Mine"})
        assert response.status_code == 302
    assert not Idea.objects.exists()
    # The organiser still adds ideas to the question where participants may not.
    alice = organiser(survey, admin_key)
    alice.post(f"/s/{survey.pk}/join/", {"name": "Alice"})
    response = alice.post(f"/s/{survey.pk}/q/{ideas_off.pk}/ideas/", {"title": "Ours"})
    assert response.status_code == 302
    assert list(Idea.objects.values_list("question_id", "title")) == [(ideas_off.pk, "Ours")]


def test_an_idea_added_from_the_page_goes_back_there_or_in_place(db):
    survey, _key = make_survey(2)
    first, _second = questions_of(survey)
    bob = joined(survey, "Bob")
    url = f"/s/{survey.pk}/q/{first.pk}/ideas/"
    response = bob.post(url, {"title": "Lisbon"})
    assert response["Location"] == f"/s/{survey.pk}/#q-{first.pk}"
    response = bob.post(url, {"title": "Porto"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith(f'<section id="q-{first.pk}"') and "Porto" in html
    response = bob.post(url, {"title": " "}, **HX)
    assert response.status_code == 422 and response["HX-Retarget"] == f"#add-{first.pk}"


def test_results_show_each_closed_questions_winner_at_the_top(db):
    survey, _key = make_survey(2)
    first, second = questions_of(survey)
    kim, _ = services.participant_join(question=first, name="Kim")
    win = services.idea_add(question=first, author=kim, title="The lake house")
    services.idea_add(question=first, author=kim, title="The city")
    services.vote_cast(idea=win, participant=kim)
    page = Client().get(f"/s/{survey.pk}/").content.decode()
    assert 'id="results"' not in page
    services.question_close(question=first)
    page = Client().get(f"/s/{survey.pk}/").content.decode()
    results = page.split('id="results"')[1].split("</section>")[0]
    assert "The lake house" in results and "The city" not in results
    assert second.title not in results


# Query counts --------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_page_reads_as_many_queries_for_3_or_15_questions(db):
    counts = {}
    for n in (3, 15):
        survey, _key = make_survey(n, title=f"Survey of {n}")
        for question in questions_of(survey):
            kim, _ = services.participant_join(question=question, name="Kim")
            for title in ("One", "Two"):
                idea = services.idea_add(question=question, author=kim, title=title)
                services.vote_cast(idea=idea, participant=kim)
        bob = joined(survey, "Bob")
        url = f"/s/{survey.pk}/"
        bob.get(url)  # the welcome message, and every question's shared render
        counts[n] = _queries(bob, url)
    # The survey, its questions, Bob in each, his votes, his likes: the parts come from the
    # shared renders, whatever the number of questions.
    assert counts[3] == counts[15] == 5


# Organiser's list ----------------------------------------------------------------------------


def test_the_organiser_adds_moves_and_removes_questions(db):
    survey, admin_key = make_survey(2)
    alice = organiser(survey, admin_key)
    assert alice.post(f"/s/{survey.pk}/questions/", {"title": "Who?"}).status_code == 302
    first, second, third = questions_of(survey)
    alice.post(f"/s/{survey.pk}/questions/{third.pk}/up/")
    assert [q.title for q in questions_of(survey)] == ["Question 1", "Who?", "Question 2"]
    kim, _ = services.participant_join(question=first, name="Kim")
    services.idea_add(question=first, author=kim, title="Idea")
    alice.post(f"/s/{survey.pk}/questions/{first.pk}/remove/")
    assert Question.objects.filter(pk=first.pk).exists()  # it has an idea
    alice.post(f"/s/{survey.pk}/questions/{second.pk}/remove/")
    assert not Question.objects.filter(pk=second.pk).exists()
    assert Client().post(f"/s/{survey.pk}/questions/", {"title": "X"}).status_code == 404


def test_a_survey_holds_at_most_15_questions(db):
    survey, admin_key = make_survey(15)
    alice = organiser(survey, admin_key)
    response = alice.post(f"/s/{survey.pk}/questions/", {"title": "One more"})
    assert response.status_code == 422
    assert "A survey holds at most 15 questions." in response.content.decode()
    assert survey.questions.count() == 15


# Exports -------------------------------------------------------------------------------------


def test_the_organiser_downloads_every_question_in_one_file(db):
    survey, admin_key = make_survey(2)
    first, _second = questions_of(survey)
    kim, _ = services.participant_join(question=first, name="Kim")
    services.idea_add(question=first, author=kim, title="=HYPERLINK(1)")
    alice = organiser(survey, admin_key)
    data = alice.get(f"/s/{survey.pk}/export/results.json").json()
    assert [q["title"] for q in data["questions"]] == ["Question 1", "Question 2"]
    assert data["questions"][0]["results"]
    csv_text = alice.get(f"/s/{survey.pk}/export/results.csv").content.decode()
    assert "Question 1" in csv_text and "Question 2" in csv_text and "'=HYPERLINK(1)" in csv_text
    xlsx = alice.get(f"/s/{survey.pk}/export/results.xlsx")
    assert xlsx.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(xlsx.content))
    assert book.sheetnames == ["1 Question 1", "2 Question 2"]
    for kind in ("json", "csv", "xlsx"):
        assert Client().get(f"/s/{survey.pk}/export/results.{kind}").status_code == 404


def test_a_hidden_idea_is_marked_for_the_organiser_and_left_out_for_everyone_else(db):
    survey, admin_key = make_survey(1)
    (first,) = questions_of(survey)
    kim, _ = services.participant_join(question=first, name="Kim")
    services.idea_add(question=first, author=kim, title="Lake")
    spam = services.idea_add(question=first, author=kim, title="Cheap watches")
    services.entry_hide(entry=spam, reason="spam", note="ads")
    Question.objects.filter(pk=first.pk).update(allow_exports=True)
    alice = organiser(survey, admin_key)
    rows = alice.get(f"/s/{survey.pk}/export/results.csv").content.decode("utf-8-sig")
    header, *ideas = list(csv.reader(io.StringIO(rows)))[1:]
    assert header[-1] == "Hidden by the organiser"
    assert {idea[1]: idea[-1] for idea in ideas} == {"Lake": "", "Cheap watches": "spam: ads"}
    book = load_workbook(io.BytesIO(alice.get(f"/s/{survey.pk}/export/results.xlsx").content))
    sheet = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    assert sheet[1][-1] == "Hidden by the organiser" and sheet[-1][-1] == "spam: ads"
    data = alice.get(f"/s/{survey.pk}/export/results.json").json()
    hidden = {i["title"]: i["hidden"] for i in data["questions"][0]["ideas"]}
    assert hidden == {"Lake": None, "Cheap watches": {"reason": "spam", "note": "ads"}}

    someone = Client()
    text = someone.get(f"/s/{survey.pk}/export/results.csv").content.decode("utf-8-sig")
    assert "Cheap watches" not in text and "Hidden by the organiser" not in text
    data = someone.get(f"/s/{survey.pk}/export/results.json").json()
    assert [i["title"] for i in data["questions"][0]["ideas"]] == ["Lake"]


def test_unknown_surveys_are_404(db):
    assert Client().get(f"/s/{'a' * 22}/").status_code == 404
    assert Client().post(f"/s/{'a' * 22}/join/", {"name": "Bob"}).status_code == 404


# German --------------------------------------------------------------------------------------

DE = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}


def test_the_survey_pages_speak_german(db):
    survey, admin_key = make_survey(2)
    first, _second = questions_of(survey)
    services.question_close(question=first)
    page = Client().get(f"/s/{survey.pk}/", **DE).content.decode()
    assert "Eine Umfrage mit 2 Fragen" in page
    assert "Geben Sie einmal Ihren Namen an" in page
    assert "Diese Frage ist abgeschlossen." in page and "Ergebnisse" in page
    created = Client().get("/s/new/", **DE).content.decode()
    assert (
        "Eine Umfrage mit mehreren Fragen erstellen" in created
        and "Fragen, eine pro Zeile" in created
    )
    refused = Client().post("/s/new/", {"title": "Plan", "questions": "\n".join("Q" * 16)}, **DE)
    assert "Eine Umfrage hat höchstens 15 Fragen; diese hat 16." in refused.content.decode()
    alice = organiser(survey, admin_key)
    settings_page = alice.get(f"/s/{survey.pk}/settings/", **DE).content.decode()
    assert "Umfrage und Fragen bearbeiten" in settings_page and "Frage hinzufügen" in settings_page
    question_page = Client().get(f"/q/{first.pk}/", **DE).content.decode()
    assert "Teil der Umfrage" in question_page


def test_not_you_forgets_the_name_and_comes_back_to_the_survey(db):
    survey, _key = make_survey(2)
    bob = joined(survey, "Bob")
    page = bob.get(f"/s/{survey.pk}/").content.decode()
    first = questions_of(survey)[0]
    assert f'action="/q/{first.pk}/forget/"' in page
    response = bob.post(f"/q/{first.pk}/forget/", HTTP_REFERER=f"http://testserver/s/{survey.pk}/")
    assert response["Location"] == f"/s/{survey.pk}/#q-{first.pk}"
    assert 'id="join"' in bob.get(f"/s/{survey.pk}/").content.decode()


def test_a_new_survey_title_reaches_each_questions_page(db):
    survey, admin_key = make_survey(2)
    first = questions_of(survey)[0]
    assert "Team day" in Client().get(f"/q/{first.pk}/").content.decode()  # rendered and kept
    alice = organiser(survey, admin_key)
    response = alice.post(f"/s/{survey.pk}/settings/", {"title": "Summer party", "description": ""})
    assert response.status_code == 302
    page = Client().get(f"/q/{first.pk}/").content.decode()
    assert "Summer party" in page and "Team day" not in page


def test_a_capped_question_shows_the_votes_left_in_its_part(db):
    survey, _key = make_survey(2)
    capped, _free = questions_of(survey)
    Question.objects.filter(pk=capped.pk).update(max_votes=2)
    kim, _ = services.participant_join(question=capped, name="Kim")
    idea = services.idea_add(question=capped, author=kim, title="Lisbon")
    bob = joined(survey, "Bob")
    assert "Your votes: 2 of 2 left" in bob.get(f"/s/{survey.pk}/").content.decode()
    # A vote from the survey's page answers with the vote box alone (the page has no
    # question-wide note to swap), and the part then says what is left.
    page = {"HTTP_HX_CURRENT_URL": f"http://testserver/s/{survey.pk}/", **HX}
    response = bob.post(f"/q/{capped.pk}/ideas/{idea.pk}/vote/", **page)
    assert response.status_code == 200 and 'id="votes-left"' not in response.content.decode()
    assert "Your votes: 1 of 2 left" in bob.get(f"/s/{survey.pk}/").content.decode()
    on_its_page = bob.post(f"/q/{capped.pk}/ideas/{idea.pk}/unvote/", **HX)
    assert 'id="votes-left"' in on_its_page.content.decode()
