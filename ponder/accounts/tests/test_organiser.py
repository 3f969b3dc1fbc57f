"""A question asked while logged in is the account's: the account administers it from any browser,
without the admin key. Joining while logged in records the account and offers its name."""

from conftest import Person
from ponder.accounts import services
from ponder.questions.models import Participant, Question

from .conftest import Member, make_account


def ask(person: Person, title: str = "Which venue?") -> Question:
    response = person.post("/", {"title": title})
    assert response.status_code == 302
    return Question.objects.get(pk=response["Location"].split("/")[2])


def test_a_question_asked_logged_in_records_its_account(dana: Member) -> None:
    question = ask(dana)

    assert question.created_by == dana.account


def test_a_question_asked_without_an_account_has_none(db: None) -> None:
    assert ask(Person("Anon")).created_by is None


def test_the_account_administers_its_question_from_another_browser_without_the_key(
    dana: Member, erin: Member
) -> None:
    question = ask(dana)
    elsewhere = Member("Dana", dana.account)  # another device, logged in, no admin cookie

    assert elsewhere.get(f"/q/{question.pk}/settings/").status_code == 200
    assert elsewhere.post(f"/q/{question.pk}/close/").status_code == 302
    question.refresh_from_db()
    assert question.closed_at is not None
    # Another account, and someone logged out, are not its organisers.
    assert erin.get(f"/q/{question.pk}/settings/").status_code == 404
    assert Person("Anon").get(f"/q/{question.pk}/settings/").status_code == 404


def test_the_page_of_an_organiser_without_the_key_shows_no_broken_admin_link(
    dana: Member,
) -> None:
    question = ask(dana)
    elsewhere = Member("Dana", dana.account)

    page = elsewhere.get(f"/q/{question.pk}/").content.decode()

    assert "You organise this question through your account" in page
    assert f"/q/{question.pk}/a//" not in page
    assert f'href="/q/{question.pk}/admin-link/"' in page
    # The browser that holds the key still sees its admin link.
    assert "admin-link" in dana.get(f"/q/{question.pk}/").content.decode()


def test_joining_logged_in_records_the_account(dana: Member) -> None:
    question = ask(Person("Anon"))

    dana.join(question)

    assert Participant.objects.get(question=question).user == dana.account


def test_the_join_form_offers_the_accounts_display_name(dana: Member) -> None:
    services.profile_update(account=dana.account, display_name="Dana Scully")
    question = ask(Person("Anon"))

    page = dana.get(f"/q/{question.pk}/").content.decode()

    assert 'value="Dana Scully"' in page


def test_a_question_asked_before_logging_in_becomes_the_accounts_when_opened_logged_in(
    db: None,
) -> None:
    browser = Person("Dana")
    question = ask(browser)
    account = make_account("dana")
    browser.client.force_login(account)  # the login request carries no /q/… cookies

    assert browser.get(f"/q/{question.pk}/").status_code == 200

    question.refresh_from_db()
    assert question.created_by == account


def test_opening_an_admin_link_logged_in_never_takes_a_question_from_another_account(
    dana: Member, erin: Member
) -> None:
    question = ask(dana)
    key_holder = erin
    # Erin has the admin link (Dana shared it): she may manage the question, not take it.
    key = dana.client.cookies[f"ponder_admin_{question.pk}"].value
    key_holder.client.cookies[f"ponder_admin_{question.pk}"] = key
    key_holder.client.cookies[f"ponder_admin_{question.pk}"]["path"] = f"/q/{question.pk}/"

    assert key_holder.get(f"/q/{question.pk}/settings/").status_code == 200
    key_holder.get(f"/q/{question.pk}/")

    question.refresh_from_db()
    assert question.created_by == dana.account
