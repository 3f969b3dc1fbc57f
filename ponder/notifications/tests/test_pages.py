"""The notification pages: subscribing an address (confirmed by a link, with a button, so that
a mail scanner confirms nothing), an account's one button, the settings page, the one-click
unsubscribe, the account's list, and what they refuse."""

import re

import pytest
from django.test import Client

from conftest import Person
from ponder import mail
from ponder.notifications.models import Activity, Subscription
from ponder.questions import services
from ponder.questions.models import Question, TakingPart

from .conftest import Inbox, Member, deliver, idea, join

pytestmark = pytest.mark.django_db(transaction=True)

PAT = "pat@example.org"


def link_in(inbox: Inbox, message: object, path: str) -> str:
    found = re.search(rf"http://testserver(/n/\w+/{path})", inbox.text(message))  # type: ignore[arg-type]
    assert found, inbox.text(message)  # type: ignore[arg-type]
    return found.group(1)


def test_an_address_gets_nothing_until_it_is_confirmed_with_the_button(inbox: Inbox) -> None:
    question, _ = services.question_create(title="Lunch?")
    pat = Person("Pat").join(question)
    page = pat.get(f"/q/{question.pk}/notify/")
    assert page.status_code == 200
    assert "New pros and cons on the ideas you wrote" in page.content.decode()
    answer = pat.post(f"/q/{question.pk}/notify/", {"email": PAT})
    assert answer.status_code == 302
    mail.run_due()
    [confirmation] = inbox.to(PAT)
    confirm = link_in(inbox, confirmation, "confirm/")
    participant = question.participants.get(name="Pat")
    mine = idea(question, participant, "Pizza")
    services.argument_add(idea=mine, author=join(question, "Bob"), kind="pro", text="Tasty")
    deliver()
    assert len(inbox.to(PAT)) == 1  # not confirmed: nothing more
    # A mail scanner opens the link: that confirms nothing.
    scanner = Client()
    assert scanner.get(confirm).status_code == 200
    deliver()
    assert len(inbox.to(PAT)) == 1
    confirmed = Client().post(confirm)
    assert confirmed.status_code == 302
    services.argument_add(
        idea=mine, author=question.participants.get(name="Bob"), kind="pro", text="Cheap"
    )
    deliver()
    [_, news] = inbox.to(PAT)
    # Since they asked: before the confirmation too, once.
    assert "Tasty" in inbox.text(news) and "Cheap" in inbox.text(news)
    deliver()
    assert len(inbox.to(PAT)) == 2


def test_an_invalid_address_is_a_form_error(inbox: Inbox) -> None:
    question, _ = services.question_create(title="Lunch?")
    answer = Client().post(f"/q/{question.pk}/notify/", {"email": "not an address"})
    assert answer.status_code == 422
    assert "Enter a valid email address." in answer.content.decode()
    assert not Subscription.objects.exists()
    assert mail.pending() == 0


def test_unknown_subscriptions_are_not_found() -> None:
    unknown = "A" * 22
    for path in ("", "confirm/", "unsubscribe/"):
        assert Client().get(f"/n/{unknown}/{path}").status_code == 404
        assert Client().post(f"/n/{unknown}/{path}").status_code == 404


def test_who_may_not_view_the_question_cannot_subscribe_to_it(inbox: Inbox) -> None:
    question, _ = services.question_create(title="Secret lunch")
    Question.objects.filter(pk=question.pk).update(taking_part=TakingPart.ACCOUNT)
    outsider = Client()
    assert outsider.get(f"/q/{question.pk}/notify/").status_code == 403
    assert outsider.post(f"/q/{question.pk}/notify/", {"email": PAT}).status_code == 403
    assert not Subscription.objects.exists()
    mail.run_due()
    assert inbox.messages == []


def test_the_settings_page_changes_what_one_gets(inbox: Inbox, dana: Member) -> None:
    assert dana.post("/", {"title": "Lunch?"}).status_code == 302
    question = Question.objects.get()
    subscription = Subscription.objects.get(user=dana.account)
    page = Client().get(f"/n/{subscription.pk}/")
    assert page.status_code == 200
    assert "New ideas and reports" in page.content.decode()
    saved = Client().post(f"/n/{subscription.pk}/", {"activity": "daily", "result": "on"})
    assert saved.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.activity, subscription.deadline, subscription.result) == (
        Activity.DAILY,
        False,
        True,
    )
    wrong = Client().post(f"/n/{subscription.pk}/", {"activity": "hourly"})
    assert wrong.status_code == 422
    # Off, then on again: what happened meanwhile is not mailed.
    Client().post(f"/n/{subscription.pk}/", {"activity": "off"})
    idea(question, join(question, "Bob"), "While off")
    Client().post(f"/n/{subscription.pk}/", {"activity": "now"})
    deliver()
    assert inbox.to("dana@example.org") == []


def test_the_unsubscribe_page_works_without_javascript_and_sticks(
    inbox: Inbox, dana: Member
) -> None:
    dana.post("/", {"title": "Lunch?"})
    subscription = Subscription.objects.get(user=dana.account)
    page = Client().get(f"/n/{subscription.pk}/unsubscribe/")
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode()
    assert Subscription.objects.get().is_active  # opening the page changes nothing
    done = Client().post(f"/n/{subscription.pk}/unsubscribe/")
    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    assert not Subscription.objects.get().is_active
    # The question page's button does not make it again either.
    dana.post(f"/q/{Question.objects.get().pk}/notify/")
    assert not Subscription.objects.get().is_active


def test_an_account_subscribes_with_one_button_and_lists_its_subscriptions(
    erin: Member,
) -> None:
    question, _ = services.question_create(title="Lunch?")
    page = erin.get(f"/q/{question.pk}/notify/")
    assert "erin@example.org" in page.content.decode()
    answer = erin.post(f"/q/{question.pk}/notify/")
    subscription = Subscription.objects.get(user=erin.account)
    assert answer["Location"] == f"/n/{subscription.pk}/"
    assert subscription.confirmed_at is not None
    listing = erin.get("/me/notifications/")
    assert f"/n/{subscription.pk}/" in listing.content.decode()
    assert "Lunch?" in listing.content.decode()
    assert Client().get("/me/notifications/").status_code == 302  # to the login


def test_an_address_subscribed_already_is_mailed_its_settings_link_not_changed(
    inbox: Inbox,
) -> None:
    question, _ = services.question_create(title="Lunch?")
    Client().post(f"/q/{question.pk}/notify/", {"email": PAT})
    subscription = Subscription.objects.get()
    Client().post(f"/n/{subscription.pk}/confirm/")
    Client().post(f"/q/{question.pk}/notify/", {"email": PAT})
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None  # a stranger cannot unconfirm it
    mail.run_due()
    assert [m["Subject"] for m in inbox.to(PAT)] == [
        "Confirm notifications: Lunch?",
        "Your notifications: Lunch?",
    ]
    # Unsubscribed, it is subscribed again only by a new confirmation.
    Client().post(f"/n/{subscription.pk}/unsubscribe/")
    Client().post(f"/q/{question.pk}/notify/", {"email": PAT})
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None and subscription.is_active


def test_the_home_page_box_subscribes_the_organisers_address(inbox: Inbox) -> None:
    answer = Client().post("/", {"title": "Lunch?", "email": PAT, "notify": "on"})
    assert answer.status_code == 302
    subscription = Subscription.objects.get()
    assert (subscription.role, subscription.email, subscription.confirmed_at) == (
        "organiser",
        PAT,
        None,
    )
    mail.run_due()
    assert sorted(m["Subject"] for m in inbox.to(PAT)) == [
        "Confirm notifications: Lunch?",
        "Your question: Lunch?",
    ]
    missing = Client().post("/", {"title": "Lunch?", "notify": "on"})
    assert missing.status_code == 422
    assert "Give the address to e-mail you at." in missing.content.decode()


def test_a_new_admin_key_ends_what_the_old_one_subscribed_to(inbox: Inbox) -> None:
    Client().post("/", {"title": "Lunch?", "email": PAT, "notify": "on"})
    question = Question.objects.get()
    Client().post(f"/n/{Subscription.objects.get().pk}/confirm/")
    mail.run_due()
    inbox.messages.clear()
    services.question_admin_key_replace(question=question)
    idea(question, join(question, "Bob"), "Pizza")
    deliver()
    assert inbox.messages == []


def test_mails_come_in_the_language_of_the_subscriber(inbox: Inbox) -> None:
    question, _ = services.question_create(title="Mittagessen?")
    Client().post(f"/q/{question.pk}/notify/", {"email": PAT}, headers={"accept-language": "de"})
    mail.run_due()
    [confirmation] = inbox.to(PAT)
    assert confirmation["Subject"] == "Benachrichtigungen bestätigen: Mittagessen?"
    Client().post(f"/n/{Subscription.objects.get().pk}/confirm/")
    services.question_close(question=question)
    deliver()
    [_, result] = inbox.to(PAT)
    assert result["Subject"] == "Ergebnis: Mittagessen?"
    assert "Die Frage ist geschlossen." in inbox.text(result)
    assert "Um auszuwählen, was Sie bekommen" in inbox.text(result)


def test_the_organiser_without_an_account_subscribes_as_the_organiser(
    inbox: Inbox, question: Question, alice: Person
) -> None:
    page = alice.get(f"/q/{question.pk}/notify/")
    assert "New ideas and reports, at once or once a day" in page.content.decode()
    alice.post(f"/q/{question.pk}/notify/", {"email": "alice@example.org"})
    subscription = Subscription.objects.get()
    assert subscription.role == "organiser"
    Client().post(f"/n/{subscription.pk}/confirm/")
    mail.run_due()
    inbox.messages.clear()
    idea(question, join(question, "Bob"), "Pizza")
    deliver()
    [news] = inbox.to("alice@example.org")
    assert "1 new idea" in inbox.text(news) and "Pizza" in inbox.text(news)


def test_the_address_is_shown_nowhere_else(question: Question, alice: Person) -> None:
    bob = Person("Bob").join(question)
    bob.post(f"/q/{question.pk}/notify/", {"email": "bob.secret@example.org"})
    assert Subscription.objects.filter(email="bob.secret@example.org").exists()
    pages = [
        f"/q/{question.pk}/",
        f"/q/{question.pk}/participants/",
        f"/q/{question.pk}/report/",
        f"/q/{question.pk}/export/results.json",
        f"/q/{question.pk}/export/ideas.csv",
        f"/api/v1/questions/{question.pk}",
    ]
    for path in pages:
        answer = alice.get(path)
        assert answer.status_code == 200, path
        assert b"bob.secret" not in answer.content, path


def test_the_worker_says_it_sends_notifications() -> None:
    from ponder.questions.management.commands.worker import Command

    assert "notifications" in Command.help


def test_giving_addresses_is_rate_limited_per_client(inbox: Inbox, settings: object) -> None:
    from ponder.ratelimit import parse_limits

    settings.PONDER_RATE_LIMITS = parse_limits("off,notify=2/h")  # type: ignore[attr-defined]
    question, _ = services.question_create(title="Lunch?")
    client = Client()
    for n in range(2):
        answer = client.post(f"/q/{question.pk}/notify/", {"email": f"p{n}@example.org"})
        assert answer.status_code in (200, 302), answer.status_code
    refused = client.post(f"/q/{question.pk}/notify/", {"email": "p2@example.org"})
    assert refused.status_code == 429
    assert refused.has_header("Retry-After")
    assert sorted(Subscription.objects.values_list("email", flat=True)) == [
        "p0@example.org",
        "p1@example.org",
    ]
