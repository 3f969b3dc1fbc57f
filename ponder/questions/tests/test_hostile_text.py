"""Text that would rearrange its neighbours or show nothing.

Names and titles with bidirectional controls, or with no visible character, are refused by the
page (next to the field) and the API (400, the field named) alike. Whatever was saved before the
rule is isolated on every surface that shows it: each piece of user text sits in a <bdi> or an
element with `dir`, so an override inside it ends where it ends."""

from html.parser import HTMLParser

import pytest
from django.test import Client

from ponder.api.tests.conftest import Caller, ask, join
from ponder.lib.text import BIDI_CONTROLS, has_visible_character, looks_alike
from ponder.questions import services
from ponder.questions.models import Idea, Participant, Question
from ponder.questions.tests.test_bad_input import field_error

HX = {"HTTP_HX_REQUEST": "true"}
BIDI_MESSAGE = "Remove the invisible characters that change the direction of the text."
INVISIBLE_MESSAGE = "Use at least one visible character."
INVISIBLE = ["\u200b", "\u3164", "\u2800", "\u2060", "\u200b \u3164\u2800\u2060", "\u115f\ufe0f"]
RLO = "\u202e"


# The rule itself -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", INVISIBLE)
def test_text_of_invisible_characters_has_nothing_visible(text: str) -> None:
    assert not has_visible_character(text)


@pytest.mark.parametrize("text", ["A", "\u200bA", "王", "שרה", "·"])
def test_text_with_one_visible_character_has_one(text: str) -> None:
    assert has_visible_character(text)


@pytest.mark.parametrize(
    "twin", ["Anna", "\u0410nna", "An\u200bna", "ANNA", " anna", "Anna\ufe0f", "\u0410NNA"]
)
def test_names_that_look_alike_are_taken_for_one_another(twin: str) -> None:
    assert looks_alike(twin, "Anna")


@pytest.mark.parametrize("other", ["Anne", "Ana", "Hanna", "Ánna"])
def test_names_that_differ_are_not(other: str) -> None:
    assert not looks_alike(other, "Anna")


@pytest.mark.parametrize(("one", "other"), [("Ian", "lan"), ("ALICE", "Alice"), ("m", "rn")])
def test_letters_that_look_alike_across_case_are_taken_for_one_another(one, other) -> None:
    assert looks_alike(one, other)


# Pages and API refuse them ---------------------------------------------------------------------

# Who sends it, where, the other fields, the field under test.
FORMS = {
    "question": ("mallory", "/", {}, "title"),
    "join": ("mallory", "/q/{q}/join/", {}, "name"),
    "newcomer's idea": ("mallory", "/q/{q}/ideas/", {"title": "T", "description": ""}, "name"),
    "idea": ("bob", "/q/{q}/ideas/", {"description": ""}, "title"),
    "settings": ("alice", "/q/{q}/settings/", {"time_zone": "UTC"}, "title"),
    "idea edit": ("bob", "/q/{q}/idea/{idea}/edit/", {"description": ""}, "title"),
    "rename": ("bob", "/q/{q}/name/", {}, "name"),
}


@pytest.fixture
def bobs_idea(question: Question, bob) -> Idea:
    me = Participant.objects.get(question=question, name="Bob")
    return services.idea_add(question=question, author=me, title="Bob's idea")


def _send(request, question, idea, form: str, value: str):
    who, url, data, field = FORMS[form]
    person = request.getfixturevalue(who)
    return person.post(url.format(q=question.pk, idea=idea.pk), {**data, field: value}), field


def _texts() -> list[object]:
    return [
        sorted(Question.objects.values_list("title", flat=True)),
        sorted(Participant.objects.values_list("name", flat=True)),
        sorted(Idea.objects.values_list("title", flat=True)),
    ]


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
@pytest.mark.parametrize("form", FORMS)
def test_a_name_or_title_with_a_bidi_control_is_refused_next_to_the_field(
    request, question, alice, bobs_idea, form, control
):
    before = _texts()
    response, field = _send(request, question, bobs_idea, form, f"Mallory{control}yrollaM")
    assert response.status_code == 422
    assert field_error(response.content.decode(), field) == BIDI_MESSAGE
    assert _texts() == before


@pytest.mark.parametrize("invisible", INVISIBLE)
@pytest.mark.parametrize("form", FORMS)
def test_a_name_or_title_of_invisible_characters_is_refused_next_to_the_field(
    request, question, alice, bobs_idea, form, invisible
):
    before = _texts()
    response, field = _send(request, question, bobs_idea, form, invisible)
    assert response.status_code == 422
    assert field_error(response.content.decode(), field) in {
        INVISIBLE_MESSAGE,
        "This field is required.",  # what strip() leaves nothing of
    }
    assert _texts() == before


@pytest.mark.parametrize("value", [f"Invoice {RLO}gnp.exe", "\u3164", "\u200b\u2800"])
def test_the_api_refuses_the_same_names_and_titles_with_the_field_named(db, value):
    question_id, _organiser = ask()
    refused = Caller().post("/questions", {"title": value})
    assert refused.status_code == 400
    assert refused.data["errors"][0]["field"] == "title"
    assert refused.data["errors"][0]["message"] in {BIDI_MESSAGE, INVISIBLE_MESSAGE}
    refused = Caller().post(f"/questions/{question_id}/participants", {"name": value})
    assert refused.status_code == 400
    assert refused.data["errors"][0]["field"] == "name"
    bob = join(question_id, "Bob")
    refused = bob.post(f"/questions/{question_id}/ideas", {"title": value})
    assert refused.status_code == 400
    assert refused.data["errors"][0]["field"] == "title"
    assert not Idea.objects.exists()
    assert list(Participant.objects.values_list("name", flat=True)) == ["Bob"]


def test_right_to_left_text_is_welcome_in_names_and_comments(question, mallory):
    response = mallory.post(f"/q/{question.pk}/join/", {"name": "שרה"})
    assert response.status_code == 302
    response = mallory.post(f"/q/{question.pk}/comments/", {"text": f"מסכימה {RLO}!"})
    assert response.status_code == 302
    assert Participant.objects.get(question=question).name == "שרה"


# What was saved before is isolated everywhere -------------------------------------------------

NAME = f"Mallory{RLO}yrollaM"
TITLE = f"Invoice {RLO}gnp.exe"


class _Isolation(HTMLParser):
    """Every text node holding `needle`, and whether an element around it isolates it."""

    def __init__(self, needle: str) -> None:
        super().__init__(convert_charrefs=True)
        self.needle = needle
        self.stack: list[bool] = []
        self.found: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "input", "img", "meta", "link", "use", "rect", "path", "hr"}:
            return
        self.stack.append(tag == "bdi" or any(name == "dir" for name, _ in attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"br", "input", "img", "meta", "link", "use", "rect", "path", "hr"}:
            return
        if self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.needle in data:
            self.found.append((data, any(self.stack)))


def isolation(html: str) -> list[tuple[str, bool]]:
    parser = _Isolation(RLO)
    parser.feed(html)
    return parser.found


@pytest.fixture
def saved_before(question: Question, alice, bob) -> dict[str, str]:
    """A question whose texts were saved before the rule: an override in its title, in a
    participant's name, and in an idea's title and description, a pro and a comment."""
    Question.objects.filter(pk=question.pk).update(title=f"Offsite {RLO}etisffO")
    question.refresh_from_db()
    mallory = Participant.objects.create(question=question, name=NAME, token_hash="saved-before")
    idea = services.idea_add(
        question=question, author=mallory, title=TITLE, description=f"See {RLO}here"
    )
    services.argument_add(idea=idea, author=mallory, kind="pro", text=f"Cheap {RLO}paehC")
    services.comment_add(question=question, author=mallory, text=f"Agreed {RLO}!")
    services.vote_cast(idea=idea, participant=mallory)
    bob_me = Participant.objects.get(question=question, name="Bob")
    services.vote_cast(idea=idea, participant=bob_me)
    # Exports and the embed are the organiser's choice: on, so that both surfaces show.
    Question.objects.filter(pk=question.pk).update(allow_exports=True, allow_embed=True)
    return {"q": question.pk, "idea": idea.pk}


SURFACES = {
    "page": ("bob", "/q/{q}/", {}),
    "page for a newcomer": ("mallory", "/q/{q}/", {}),
    "page for the organiser": ("alice", "/q/{q}/", {}),
    "ideas fragment": ("bob", "/q/{q}/?part=ideas", HX),
    "comments fragment": ("bob", "/q/{q}/?part=comment_list", HX),
    "idea page": ("bob", "/q/{q}/ideas/{idea}/", {}),
    "idea row": ("bob", "/q/{q}/ideas/{idea}/?part=row", HX),
    "idea voters": ("bob", "/q/{q}/ideas/{idea}/?part=voters", HX),
    "idea description": ("bob", "/q/{q}/ideas/{idea}/?part=description", HX),
    "embed": ("bob", "/embed/{q}/", {}),
    "report": ("alice", "/q/{q}/report/", {}),
    "edit page": ("alice", "/q/{q}/idea/{idea}/delete/", {}),
}


@pytest.mark.parametrize("surface", SURFACES)
def test_text_saved_before_the_rule_is_isolated_on_every_surface(request, saved_before, surface):
    who, url, headers = SURFACES[surface]
    response = request.getfixturevalue(who).get(url.format(**saved_before), **headers)
    assert response.status_code == 200
    found = isolation(response.content.decode())
    assert found, "the surface shows none of the texts"
    assert [data for data, isolated in found if not isolated] == []


def test_the_vote_answer_isolates_each_voter_and_the_title(saved_before, carol):
    url = "/q/{q}/ideas/{idea}/vote/".format(**saved_before)
    response = carol.post(url, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<bdi>{NAME}</bdi>, <bdi>Bob</bdi>" in html
    assert [data for data, isolated in isolation(html) if not isolated] == []


def test_the_chart_and_the_share_links_carry_no_controls(saved_before, alice, carol):
    services.question_close(question=Question.objects.get(pk=saved_before["q"]))
    html = alice.get("/q/{q}/".format(**saved_before)).content.decode()
    start = html.index('<figure class="chart"')
    chart = html[start : html.index("</figure>", start)]
    assert "Invoice gnp.exe" in chart and RLO not in chart
    title = html[html.index("<title>") : html.index("</title>")]
    assert "Offsite etisffO" in title and RLO not in title


def test_a_client_without_cookies_sees_the_same(saved_before):
    html = Client().get("/q/{q}/".format(**saved_before)).content.decode()
    assert [data for data, isolated in isolation(html) if not isolated] == []
