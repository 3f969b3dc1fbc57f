"""My questions (/me/): what the account asked and what it took part in, open ones first, then
the archive, each with its state, deadline and counts, counted in one query per list."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import Person
from ponder.accounts import dashboard
from ponder.questions import services
from ponder.questions.models import Question

from .conftest import Member


def ask(member: Member, title: str) -> Question:
    response = member.post("/", {"title": title})
    assert response.status_code == 302
    return Question.objects.get(pk=response["Location"].split("/")[2])


def test_someone_not_logged_in_is_sent_to_the_login_page(db: None) -> None:
    response = Person("Mallory").get("/me/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/me/"


def test_an_empty_list_says_what_to_do_next(dana: Member) -> None:
    page = dana.get("/me/").content.decode()

    assert "Nothing here yet" in page
    assert 'href="/"' in page and "Ask a question" in page


def test_it_lists_what_i_asked_and_where_i_took_part_open_first_then_the_archive(
    dana: Member, erin: Member
) -> None:
    asked = ask(dana, "Which venue?")
    closed = ask(dana, "Which date?")
    services.question_close(question=closed)
    others = ask(erin, "Which caterer?")
    later = ask(erin, "Which band?")
    services.question_update(
        question=later,
        title=later.title,
        description="",
        allow_ideas=True,
        allow_arguments=True,
        max_votes=None,
        deadline=timezone.now() + timedelta(days=2),
        time_zone="Europe/Berlin",
    )
    dana.join(others)
    dana.join(later)
    ask(erin, "Not Dana's")

    page = dana.get("/me/").content.decode()

    open_part, archive = page.split('id="archive-heading"')
    # Open ones: the one closing soonest first, then the newest without a deadline.
    assert open_part.index("Which band?") < open_part.index("Which caterer?")
    assert open_part.index("Which caterer?") < open_part.index("Which venue?")
    assert "Which date?" in archive and "Which date?" not in open_part
    assert "Not Dana" not in page
    assert "You asked it" in open_part and "You took part" in open_part
    # The deadline in the question's own time zone.
    assert "(Europe/Berlin)" in open_part
    assert asked.pk in open_part


def _lake_or_city(dana: Member, erin: Member) -> Question:
    """Dana asks, both take part; Erin adds two ideas and votes for each."""
    question = ask(dana, "Which venue?")
    dana.join(question)
    erin.join(question)
    for title in ("Lake", "City"):
        erin.post(f"/q/{question.pk}/ideas/", {"title": title})
    for idea in question.ideas.all():
        erin.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/")
    return question


def test_each_question_shows_its_counts(dana: Member, erin: Member) -> None:
    question = _lake_or_city(dana, erin)
    dana.post(f"/q/{question.pk}/ideas/{question.ideas.first().pk}/vote/")

    (listed,) = dashboard.open_questions(dana.account)

    assert (listed.idea_count, listed.participant_count, listed.vote_count) == (2, 2, 3)
    assert listed.asked and listed.took_part
    assert "2 ideas · 2 participants · 3 votes" in dana.get("/me/").content.decode()


def test_a_hidden_idea_and_its_votes_are_counted_for_the_organiser_only(
    dana: Member, erin: Member
) -> None:
    question = _lake_or_city(dana, erin)
    services.entry_hide(entry=question.ideas.get(title="City"), reason="spam")

    (organised,) = dashboard.open_questions(dana.account)
    (took_part,) = dashboard.open_questions(erin.account)

    assert (organised.idea_count, organised.vote_count) == (2, 2)
    assert (took_part.idea_count, took_part.vote_count) == (1, 1)
    assert "1 idea · 2 participants · 1 vote" in erin.get("/me/").content.decode()


@pytest.mark.parametrize("how_many", [3, 30])
def test_the_page_reads_the_same_number_of_queries_for_3_and_30_questions(
    dana: Member, erin: Member, how_many: int
) -> None:
    for n in range(how_many):
        question, _key = services.question_create(title=f"Q{n}", created_by=dana.account)
        participant, _token = services.participant_join(
            question=question, name="Erin", user=erin.account
        )
        idea = services.idea_add(question=question, author=participant, title="An idea")
        services.vote_cast(idea=idea, participant=participant)
        if n % 2:
            services.question_close(question=question)

    with CaptureQueriesContext(connection) as queries:
        response = dana.get("/me/")

    assert response.status_code == 200
    assert response.content.decode().count('class="my-question"') == how_many
    # The session, the account, its display name in the header, and one query per list: the
    # same for 3 and 30.
    assert len(queries) == 5, [q["sql"] for q in queries]
