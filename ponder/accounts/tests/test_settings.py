"""The account's settings: its display name (checked as a participant's name is), the links to
the sign-in settings, and download my data."""

import json

import pytest

from ponder.accounts.models import Profile
from ponder.questions import services
from ponder.questions.models import Participant

from .conftest import Member


def test_the_display_name_is_saved(dana: Member) -> None:
    response = dana.post("/me/settings/", {"display_name": "  Dana Scully "})

    assert response.status_code == 302
    assert Profile.objects.get(user=dana.account).display_name == "Dana Scully"
    assert 'value="Dana Scully"' in dana.get("/me/settings/").text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        (
            "Dana\u202eyrecs",
            "Remove the invisible characters that change the direction of the text.",
        ),
        ("\u200b\u200b", "Use at least one visible character."),
        ("D" * 81, "Ensure this value has at most 80 characters"),
    ],
)
def test_a_bad_display_name_gets_a_form_error(dana: Member, name: str, message: str) -> None:
    response = dana.post("/me/settings/", {"display_name": name})

    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert not Profile.objects.filter(user=dana.account).exists()


def test_the_settings_link_to_the_sign_in_pages(dana: Member) -> None:
    page = dana.get("/me/settings/").text

    for path in ("/accounts/email/", "/accounts/password/change/", "/accounts/3rdparty/"):
        assert f'href="{path}"' in page


def test_download_my_data_holds_my_questions_and_contributions(dana: Member) -> None:
    asked, _key = services.question_create(title="Dana's question", created_by=dana.account)
    other, _key = services.question_create(title="Bob's question")
    bob, _t = services.participant_join(question=other, name="Bob")
    bobs_idea = services.idea_add(question=other, author=bob, title="Bob's idea")
    bobs_pro = services.argument_add(idea=bobs_idea, author=bob, kind="pro", text="Bob's pro")
    dana.join(other)
    me = Participant.objects.get(question=other, user=dana.account)
    services.idea_add(question=other, author=me, title="Dana's idea")
    services.argument_add(idea=bobs_idea, author=me, kind="con", text="Dana's con")
    services.comment_add(question=other, author=me, text="Dana's comment")
    services.vote_cast(idea=bobs_idea, participant=me)
    services.like_add(argument=bobs_pro, participant=me)

    response = dana.get("/me/data.json")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="ponder-my-data-')
    assert response["Cache-Control"] == "private, no-store"
    data = json.loads(response.content)
    where = {"id": other.pk, "title": "Bob's question"}
    assert [q["title"] for q in data["questions_asked"]] == ["Dana's question"]
    assert data["took_part_as"] == [
        {"question": where, "name": "Dana", "joined_at": me.created_at.isoformat()}
    ]
    assert [(i["question"], i["title"]) for i in data["ideas"]] == [(where, "Dana's idea")]
    assert [(a["idea"], a["kind"], a["text"]) for a in data["arguments"]] == [
        ("Bob's idea", "con", "Dana's con")
    ]
    assert [c["text"] for c in data["comments"]] == ["Dana's comment"]
    assert [(v["question"], v["idea"]) for v in data["votes"]] == [(where, "Bob's idea")]
    assert [(lk["idea"], lk["argument"]) for lk in data["likes"]] == [("Bob's idea", "Bob's pro")]
    assert all(entry["created_at"] for entry in data["ideas"] + data["votes"] + data["likes"])
    # Nobody else's contributions.
    assert "Bob's idea" not in [i["title"] for i in data["ideas"]]
    assert asked.pk in response.text


def test_download_my_data_holds_my_subscriptions_and_none_of_their_secrets(
    dana: Member,
) -> None:
    from ponder.notifications.models import Subscription
    from ponder.notifications.services import account_subscribe

    question, _key = services.question_create(title="Bob's question")
    dana.join(question)
    me = Participant.objects.get(question=question, user=dana.account)
    account_subscribe(
        question=question,
        user=dana.account,
        role="participant",
        participant=me,
        base_url="http://testserver",
        language="en",
    )
    subscription = Subscription.objects.get(user=dana.account)
    Subscription.objects.filter(pk=subscription.pk).update(admin_key_hash="f" * 64)

    response = dana.get("/me/data.json")

    (mine,) = json.loads(response.content)["subscriptions"]
    assert mine == {
        "question": {"id": question.pk, "title": "Bob's question"},
        "role": "participant",
        "activity": "now",
        "deadline": True,
        "result": True,
        "created_at": subscription.created_at.isoformat(),
    }
    # Its id is its unsubscribe link's secret.
    assert subscription.pk not in response.text and "f" * 64 not in response.text


def test_the_pages_need_a_login(db: None) -> None:
    from conftest import Person

    anon = Person("Anon")
    for path in ("/me/settings/", "/me/data.json", "/me/delete/"):
        response = anon.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={path}"
