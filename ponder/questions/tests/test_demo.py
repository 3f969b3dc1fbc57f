import re
import zoneinfo
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from ponder.questions.management.commands.demo import end_of_month
from ponder.questions.models import Argument, Comment, Idea, Like, Question, Vote

# The demo writes thousands of rows in the test's transaction.
pytestmark = pytest.mark.usefixtures("many_rows")


def demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_question_the_size_of_a_real_one(db):
    demo()
    question = Question.objects.get()
    assert Idea.objects.filter(question=question).count() == 36
    assert Argument.objects.filter(idea__question=question).count() == 150
    assert Like.objects.filter(argument__idea__question=question).count() == 300
    assert Vote.objects.filter(idea__question=question).count() == 500
    assert Vote.objects.values("participant").distinct().count() == 50
    assert Comment.objects.filter(question=question).exists()
    assert question.is_open()


def test_its_printed_links_lead_to_the_admin_and_the_question_page(db):
    output = demo("--base-url", "https://ponder.example.org/")
    share = re.search(r"Share link: https://ponder\.example\.org(/q/\S+/)$", output, re.M)
    admin = re.search(r"Admin link .*: https://ponder\.example\.org(/q/\S+/a/\S+/)$", output, re.M)
    assert share and admin, output

    browser = Client()
    response = browser.get(admin[1])
    assert response.status_code == 302
    assert response["Location"] == share[1]
    page = browser.get(share[1])
    assert page.status_code == 200
    assert "What should our town do with the old railway station?" in page.content.decode()


def test_it_can_close_the_question_at_the_end(db):
    demo("--closed")
    question = Question.objects.get()
    assert not question.is_open()
    page = Client().get(f"/q/{question.pk}/")
    assert "The question was completed. Here is the result:" in page.content.decode()


def test_the_same_seed_gives_the_same_question(db):
    demo("--seed", "7")
    demo("--seed", "7")
    first, second = Question.objects.order_by("created_at")
    assert tally(first) == tally(second)


def tally(question: Question) -> list[tuple[str, str, int]]:
    ideas = Idea.objects.filter(question=question).with_counts().select_related("author")
    return [(idea.title, idea.author.name, idea.vote_count) for idea in ideas]


def test_it_closes_at_the_end_of_the_month_as_its_description_says(db):
    demo()
    question = Question.objects.get()
    assert "closes at the end of the month" in question.description
    assert question.time_zone == settings.PONDER_TIME_ZONE
    local = question.deadline.astimezone(zoneinfo.ZoneInfo(question.time_zone))
    assert (local + timedelta(minutes=1)).day == 1  # the last minute of a month
    assert question.deadline - timezone.now() >= timedelta(days=1)
    page = Client().get(f"/q/{question.pk}/").content.decode()
    assert "Open until" in page


@pytest.mark.parametrize(
    ("now", "zone", "deadline"),
    [
        ("2026-12-06T09:00:00+00:00", "UTC", "2026-12-31T23:59:00+00:00"),
        # Less than a day left: the end of the next month.
        ("2026-12-31T12:00:00+00:00", "UTC", "2027-01-31T23:59:00+00:00"),
        # The month's end in the zone's own time, summer time included.
        ("2027-03-10T12:00:00+00:00", "Europe/Berlin", "2027-03-31T23:59:00+02:00"),
        ("2027-02-27T23:30:00+00:00", "Asia/Tokyo", "2027-03-31T23:59:00+09:00"),
    ],
)
def test_the_end_of_the_month_is_the_last_minute_of_it_in_the_zone(now, zone, deadline):
    found = end_of_month(datetime.fromisoformat(now), zone)
    assert found == datetime.fromisoformat(deadline)
    assert found.utcoffset() == datetime.fromisoformat(deadline).utcoffset()
