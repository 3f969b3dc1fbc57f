"""The right people get the right mail, once: organisers new ideas and reports (at once or a
day's digest) and the closing summary; participants new pros and cons on their own ideas, the
deadline approaching and the result. Against a real SMTP server (aiosmtpd)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ponder import mail
from ponder.notifications import sending
from ponder.notifications.models import Activity, Role, Subscription
from ponder.questions import services
from ponder.questions.models import Question, TakingPart

from .conftest import BASE, Inbox, Member, argue, deliver, idea, join, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

DANA, ERIN = "dana@example.org", "erin@example.org"


def ask(member: Member, title: str = "Where should the team offsite be?") -> Question:
    """A question asked on the home page while logged in: its asker is its organiser."""
    response = member.post("/", {"title": title})
    assert response.status_code == 302
    return Question.objects.get(title=title)


def address_subscription(
    inbox: Inbox, question: Question, email: str, **fields: object
) -> Subscription:
    """An address that gave itself on the question and confirmed it (its confirmation mail is
    sent, and left out of the inbox)."""
    from ponder.notifications import services as notifications

    notifications.address_subscribe(
        question=question,
        email=email,
        role=fields.pop("role", Role.PARTICIPANT),
        participant=fields.pop("participant", None),
        base_url=BASE,
        language="en",
    )
    subscription = Subscription.objects.get(question=question, email=email)
    notifications.confirm(subscription=subscription)
    Subscription.objects.filter(pk=subscription.pk).update(**fields)
    subscription.refresh_from_db()
    mail.run_due()
    assert [m["Subject"] for m in inbox.to(email)] == ["Confirm notifications: " + question.title]
    inbox.messages.clear()
    return subscription


def test_the_organiser_gets_one_mail_of_several_new_ideas_and_a_report(
    inbox: Inbox, dana: Member
) -> None:
    question = ask(dana)
    bob, carol = join(question, "Bob"), join(question, "Carol")
    idea(question, bob, "The lake house")
    beach = idea(question, carol, "The beach")
    services.report_add(entry=beach, reporter=bob, reason="off_topic")
    run_worker()
    run_worker()
    [message] = inbox.to(DANA)
    text = inbox.text(message)
    assert "2 new ideas" in text
    assert "The lake house" in text and "The beach" in text
    # The links lead to the idea and to the reports, which the organiser may open.
    idea_link = f"{BASE}/q/{question.pk}/ideas/{beach.pk}/"
    reports_link = f"{BASE}/q/{question.pk}/reports/"
    assert idea_link in text and reports_link in text
    for link in (idea_link, reports_link):
        assert dana.get(link.removeprefix(BASE)).status_code == 200, link
    assert "1 new report" in text and "off topic" in text
    subscription = Subscription.objects.get(question=question, user=dana.account)
    assert message["List-Unsubscribe"] == f"<{BASE}/n/{subscription.pk}/unsubscribe/>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"{BASE}/n/{subscription.pk}/" in text
    assert "Where should the team offsite be?" in message["Subject"]


def test_at_once_waits_ten_minutes_after_a_mail_and_then_groups(inbox: Inbox, dana: Member) -> None:
    question = ask(dana)
    bob = join(question, "Bob")
    idea(question, bob, "First")
    now = timezone.now()
    deliver(at=now)
    assert len(inbox.to(DANA)) == 1
    idea(question, bob, "Second")
    idea(question, bob, "Third")
    deliver(at=now + timedelta(minutes=1))
    assert len(inbox.to(DANA)) == 1  # too soon after the last one
    deliver(at=now + timedelta(minutes=11))
    assert len(inbox.to(DANA)) == 2
    text = inbox.text(inbox.to(DANA)[1])
    assert "Second" in text and "Third" in text and "First" not in text


def test_a_daily_digest_waits_a_day_and_groups(inbox: Inbox, dana: Member) -> None:
    question = ask(dana)
    Subscription.objects.filter(question=question).update(activity=Activity.DAILY)
    bob = join(question, "Bob")
    now = timezone.now()
    for title in ("One", "Two", "Three"):
        idea(question, bob, title)
    deliver(at=now)
    deliver(at=now + timedelta(hours=12))
    assert inbox.to(DANA) == []
    deliver(at=now + timedelta(hours=25))
    [digest] = inbox.to(DANA)
    text = inbox.text(digest)
    assert "3 new ideas" in text
    assert all(title in text for title in ("One", "Two", "Three"))
    idea(question, bob, "Four")
    deliver(at=now + timedelta(hours=30))
    assert len(inbox.to(DANA)) == 1  # the next digest is a day after this one
    deliver(at=now + timedelta(hours=50))
    assert "Four" in inbox.text(inbox.to(DANA)[1])


def test_a_participant_gets_new_arguments_on_their_ideas_only_and_no_hidden_ones(
    inbox: Inbox, erin: Member
) -> None:
    question, _ = services.question_create(title="Lunch?")
    mine = join(question, "Erin", user=erin.account)
    bob = join(question, "Bob")
    deliver()  # the account's subscription is made
    assert Subscription.objects.get(question=question, user=erin.account).role == "participant"
    erins = idea(question, mine, "Pizza")
    bobs = idea(question, bob, "Sushi")
    argue(erins, bob, "Everyone likes it")
    hidden = argue(erins, bob, "Buy my pills", kind="con")
    services.entry_hide(entry=hidden, reason="spam")
    argue(bobs, bob, "Fresh fish")
    argue(erins, mine, "My own pro")
    deliver()
    [message] = inbox.to(ERIN)
    assert message["Subject"] == "New on your ideas: Lunch?"
    text = inbox.text(message)
    assert "1 new pro or con on your ideas" in text
    assert "Pizza: Pro: Everyone likes it" in text
    for absent in ("Buy my pills", "Fresh fish", "My own pro", "Sushi"):
        assert absent not in text
    # An argument on someone else's idea mails nothing.
    argue(bobs, bob, "Near the office")
    deliver(at=timezone.now() + timedelta(hours=1))
    assert len(inbox.to(ERIN)) == 1


def test_the_deadline_approaching_is_mailed_once_and_again_when_moved(inbox: Inbox) -> None:
    question, _ = services.question_create(title="Lunch?")
    now = timezone.now()
    Question.objects.filter(pk=question.pk).update(deadline=now + timedelta(hours=30))
    address_subscription(inbox, question, "pat@example.org")
    deliver(at=now)
    assert inbox.messages == []  # more than a day ahead
    deliver(at=now + timedelta(hours=8))
    deliver(at=now + timedelta(hours=9))
    [message] = inbox.to("pat@example.org")
    assert "Closing soon" in message["Subject"]
    assert f"{BASE}/q/{question.pk}/" in inbox.text(message)
    Question.objects.filter(pk=question.pk).update(deadline=now + timedelta(hours=40))
    deliver(at=now + timedelta(hours=10))
    assert len(inbox.to("pat@example.org")) == 1
    deliver(at=now + timedelta(hours=20))
    assert len(inbox.to("pat@example.org")) == 2


def test_the_result_is_mailed_once_after_closing(inbox: Inbox, dana: Member) -> None:
    question = ask(dana)
    bob = join(question, "Bob")
    pat = join(question, "Pat")
    address_subscription(inbox, question, "pat@example.org", participant=pat)
    lake = idea(question, bob, "The lake house")
    idea(question, bob, "The beach")
    services.vote_cast(idea=lake, participant=pat)
    deliver()
    services.question_close(question=question)
    run_worker()
    run_worker()
    [organiser] = [m for m in inbox.to(DANA) if "Result" in m["Subject"]]
    [participant] = inbox.to("pat@example.org")
    text = inbox.text(participant)
    assert "1. The lake house (1 vote)" in text
    assert "In all" not in text  # the counts are the organiser's
    assert "In all: 2 ideas, 2 participants, 1 votes." in inbox.text(organiser)
    # Reopened and closed again: a new result, mailed once more.
    services.question_reopen(question=question)
    services.question_close(question=Question.objects.get(pk=question.pk))
    run_worker()
    assert len(inbox.to("pat@example.org")) == 2


def test_a_removed_participant_and_one_no_longer_admitted_get_nothing(inbox: Inbox) -> None:
    question, _ = services.question_create(title="Lunch?")
    bob, pat = join(question, "Bob"), join(question, "Pat")
    kim = join(question, "Kim")
    address_subscription(inbox, question, "pat@example.org", participant=pat)
    address_subscription(inbox, question, "kim@example.org", participant=kim)
    pats = idea(question, pat, "Pizza")
    kims = idea(question, kim, "Soup")
    services.participant_remove(question=question, participant_id=pat.pk)
    # Only accounts may take part now: Kim, who joined without one, may not view it any more.
    Question.objects.filter(pk=question.pk).update(taking_part=TakingPart.ACCOUNT)
    argue(kims, bob, "Warm")
    assert not Subscription.objects.filter(email="pat@example.org").exists()
    del pats
    services.question_close(question=Question.objects.get(pk=question.pk))
    deliver()
    assert inbox.messages == []
    # Passed over, not left for later: letting Kim in again mails nothing old.
    Question.objects.filter(pk=question.pk).update(taking_part=TakingPart.LINK)
    deliver(at=timezone.now() + timedelta(hours=1))
    assert inbox.messages == []


def test_hidden_ideas_are_not_mailed_to_the_organiser_as_new(inbox: Inbox, dana: Member) -> None:
    question = ask(dana)
    bob = join(question, "Bob")
    spam = idea(question, bob, "Cheap pills")
    services.entry_hide(entry=spam, reason="spam")
    idea(question, bob, "The lake house")
    deliver()
    text = inbox.text(inbox.to(DANA)[0])
    assert "The lake house" in text and "Cheap pills" not in text


def test_a_stopped_smtp_server_delays_a_notification_and_never_loses_it(
    inbox: Inbox, dana: Member, settings: object
) -> None:
    settings.PONDER_MAIL_RETRY_SECONDS = 0  # type: ignore[attr-defined]
    question = ask(dana)
    idea(question, join(question, "Bob"), "The lake house")
    inbox.stop()
    run_worker()
    run_worker()
    assert inbox.messages == []
    inbox.start()
    run_worker()
    run_worker()
    [message] = inbox.to(DANA)
    assert "The lake house" in inbox.text(message)


def test_an_account_that_unsubscribed_stays_unsubscribed(inbox: Inbox, dana: Member) -> None:
    question = ask(dana)
    subscription = Subscription.objects.get(question=question, user=dana.account)
    # A mail program's one click: a POST with no cookie and no CSRF token.
    program = Client(enforce_csrf_checks=True)
    response = program.post(f"/n/{subscription.pk}/unsubscribe/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert not subscription.is_active
    bob = join(question, "Bob")
    idea(question, bob, "The lake house")
    deliver()
    services.question_close(question=question)
    deliver(at=timezone.now() + timedelta(days=2))
    assert inbox.messages == []
    assert Subscription.objects.filter(question=question).count() == 1  # not made again


def test_a_pass_that_read_a_subscription_before_another_sent_it_sends_nothing(
    inbox: Inbox, dana: Member
) -> None:
    """The compare-and-set two workers meet at: the second finds the row changed."""
    question = ask(dana)
    idea(question, join(question, "Bob"), "The lake house")
    first = Subscription.objects.select_related("question", "user").get()
    second = Subscription.objects.select_related("question", "user").get()
    now = timezone.now()
    assert sending.notify(first, at=now) == 1
    assert sending.notify(second, at=now) == 0
    mail.run_due()
    assert len(inbox.to(DANA)) == 1


def test_an_accounts_subscription_made_by_the_worker_tells_what_came_since_it_joined(
    inbox: Inbox, dana: Member, erin: Member
) -> None:
    question, _ = services.question_create(title="Lunch?")
    bob = join(question, "Bob")
    idea(question, bob, "Before anyone")
    mine = join(question, "Erin", user=erin.account)
    services.co_organiser_add(question=Question.objects.get(pk=question.pk), email=DANA)
    erins = idea(question, mine, "Pizza")
    argue(erins, bob, "Everyone likes it")
    deliver()  # the first pass makes both subscriptions and mails at once
    assert "Everyone likes it" in inbox.text(inbox.to(ERIN)[0])
    [organiser] = inbox.to(DANA)
    assert Subscription.objects.get(user=dana.account).role == "organiser"
    assert "Pizza" in inbox.text(organiser) and "Before anyone" not in inbox.text(organiser)


def test_a_participant_whose_invitation_is_revoked_gets_nothing(inbox: Inbox) -> None:
    from ponder.questions import invitations

    question, _ = services.question_create(title="Lunch?")
    Question.objects.filter(pk=question.pk).update(taking_part=TakingPart.INVITATION)
    question.refresh_from_db()
    [invited] = invitations.invitation_create_links(question=question, count=1)
    pat, _token = services.participant_join(
        question=question, name="Pat", invitation=invited.invitation
    )
    address_subscription(inbox, question, "pat@example.org", participant=pat)
    bob = join(question, "Bob")
    pats = idea(question, pat, "Pizza")
    argue(pats, bob, "Tasty")
    deliver()
    assert len(inbox.to("pat@example.org")) == 1  # admitted: told
    invitations.invitation_revoke(invitation=invited.invitation)
    argue(pats, bob, "Cheap")
    deliver(at=timezone.now() + timedelta(hours=1))
    services.question_close(question=Question.objects.get(pk=question.pk))
    deliver(at=timezone.now() + timedelta(hours=2))
    assert len(inbox.to("pat@example.org")) == 1
