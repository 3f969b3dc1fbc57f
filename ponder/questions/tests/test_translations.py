"""Ponder in German: every message of the code is in the German catalogue and translated, the
compiled catalogue matches it, every page speaks German to a German browser (and to whoever picks
German in the footer), and dates follow the reader's language and the question's time zone."""

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from ponder.questions import services
from ponder.questions.models import Argument, Comment, Idea, Participant, Question

PONDER = Path(settings.BASE_DIR)
PO = PONDER / "locale" / "de" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
DE = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


@pytest.fixture(autouse=True)
def _english_afterwards():
    # A German request leaves German active in this thread; the next test must not inherit it.
    yield
    translation.deactivate()


# The catalogue ------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False


def read_po(path: Path) -> list[Entry]:
    """The entries of a PO file, without the header and the obsolete ones (#~: kept by
    makemessages for a message that may come back, ignored by gettext). Enough of the format for
    what makemessages writes: flags, msgid, msgid_plural, msgstr and msgstr[n], over many lines."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        entry, key = Entry(), ""
        for line in block.splitlines():
            if line.startswith("#,"):
                entry.fuzzy = entry.fuzzy or "fuzzy" in line
            elif line.startswith("#"):
                continue
            elif match := re.match(r'^(msgid|msgid_plural|msgstr(?:\[(\d+)\])?) (".*")$', line):
                key = match.group(1) if match.group(2) is None else f"msgstr{match.group(2)}"
                _append(entry, key, ast.literal_eval(match.group(3)), reset=True)
            elif line.startswith('"') and key:
                _append(entry, key, ast.literal_eval(line))
        if entry.msgid:
            entries.append(entry)
    return entries


def _append(entry: Entry, key: str, text: str, *, reset: bool = False) -> None:
    if key == "msgid":
        entry.msgid = ("" if reset else entry.msgid) + text
    elif key == "msgid_plural":
        entry.msgid_plural = ("" if reset else entry.msgid_plural or "") + text
    else:
        n = int(key.removeprefix("msgstr") or 0)
        entry.msgstr[n] = ("" if reset else entry.msgstr.get(n, "")) + text


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]|%[sd]|\{\{ *\w+ *\}\}", text))


def test_every_german_message_is_translated_and_none_is_fuzzy():
    entries = read_po(PO)
    assert len(entries) > 200
    header = PO.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in header
    assert "#, fuzzy" not in header, "the header is still marked fuzzy"

    untranslated = [
        e.msgid
        for e in entries
        if not all((e.msgstr.get(n) or "").strip() for n in ([0, 1] if e.msgid_plural else [0]))
    ]
    fuzzy = [e.msgid for e in entries if e.fuzzy]
    assert not untranslated, f"untranslated in {PO.name}: {untranslated}"
    assert not fuzzy, f"fuzzy in {PO.name} (check and remove the flag): {fuzzy}"


def test_translations_keep_their_placeholders():
    wrong = [
        (entry.msgid, text)
        for entry in read_po(PO)
        for n, text in entry.msgstr.items()
        if set(_placeholders(text))
        != set(_placeholders(entry.msgid if n == 0 else entry.msgid_plural or ""))
    ]
    assert not wrong, wrong


def test_the_compiled_catalogue_matches_the_po_file():
    """`ponder compilemessages` was run after the last change to the .po file."""
    with MO.open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    stale = []
    for entry in read_po(PO):
        if entry.msgid_plural:
            got = [compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
            want = [entry.msgstr[0], entry.msgstr[1]]
        else:
            got, want = [compiled.gettext(entry.msgid)], [entry.msgstr[0]]
        if got != want:
            stale.append(entry.msgid)
    assert not stale, f"{MO.name} is older than {PO.name}; run `ponder compilemessages`: {stale}"


def test_the_catalogue_holds_every_message_of_the_code(tmp_path):
    """makemessages on a copy of the code finds no message that the committed catalogue lacks.

    A string wrapped in gettext or {% translate %} but never extracted would show in English."""
    if not shutil.which("xgettext"):
        pytest.fail("GNU gettext is needed to check the catalogue: apt-get install gettext")
    copy = tmp_path / "ponder"
    shutil.copytree(
        PONDER,
        copy,
        ignore=shutil.ignore_patterns("tests", "locale", "static", "migrations", "__pycache__"),
    )
    (copy / "locale").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "de", "--no-location"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    in_code = {e.msgid for e in read_po(copy / "locale/de/LC_MESSAGES/django.po")}
    in_catalogue = {e.msgid for e in read_po(PO)}
    missing, stale = sorted(in_code - in_catalogue), sorted(in_catalogue - in_code)
    advice = (
        "in ponder/, run `ponder makemessages -l de --ignore 'tests/*' --ignore 'api/tests/*'`, "
        "translate, then `ponder compilemessages`"
    )
    assert not missing, f"not in {PO.name} ({advice}): {missing}"
    assert not stale, f"no longer in the code but still in {PO.name} ({advice}): {stale}"


# The pages ----------------------------------------------------------------------------------

# What people typed, names of products and of languages: the same in every language.
SAME_IN_EVERY_LANGUAGE = [
    "Where should the team offsite be?",
    "A cabin in the mountains",
    "A hotel by the lake",
    "Quiet and cheap.",
    "Far to drive.",
    "Let us decide by Friday.",
    "Alice",
    "Bob",
    "Carol",
    "A",  # initials beside the names
    "B",
    "C",
    "Ponder",
    "Pro",
    "Argument",
    "Link",
    "Status",
    "Excel",
    "JSON",
    "CSV",
    "WhatsApp",
    "Telegram",
    "Bluesky",
    "X",
    "LinkedIn",
    "Facebook",
    "UTC",
    "Europe/Berlin",
]
TEXT_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "data-copied", "hx-confirm"}
# Their options are data (time zones) or name each language in itself.
DATA_SELECTS = {"time_zone", "language"}


class _Texts(HTMLParser):
    """Every piece of text a person may see or hear: text, labels and announcements."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: set[str] = set()
        self.skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in {"script", "style", "textarea"} or (
            tag == "select" and attributes.get("name") in DATA_SELECTS
        ):
            self.skip.append(tag)  # code to copy, or options that are data
        for name, value in attrs:
            if value and (name in TEXT_ATTRIBUTES or name.startswith("data-msg-")):
                self.texts.add(value.strip())
        if tag == "meta" and (attributes.get("name") or "").endswith("description"):
            self.texts.add((attributes.get("content") or "").strip())

    def handle_endtag(self, tag: str) -> None:
        if self.skip and self.skip[-1] == tag:
            self.skip.pop()

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.texts.add(" ".join(data.split()))


def texts(html: str) -> set[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def _leftover(text: str) -> str:
    """The text without what needs no translation; empty when nothing is left to translate."""
    text = re.sub(r"https?://\S+", " ", text)
    for same in sorted(SAME_IN_EVERY_LANGUAGE, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(same)}(?!\w)", " ", text)
    return text if re.search(r"[A-Za-z]", text) else ""


def untranslated(client: Client, path: str, **extra: object) -> list[str]:
    """The texts of a page that are the same in English and in German."""
    client.get(path, **extra)  # shows and so clears any message a previous action left
    english = client.get(path, **EN, **extra)
    german = client.get(path, **DE, **extra)
    assert english.status_code == german.status_code, path
    assert '<html lang="de">' in german.text, path
    same = texts(english.text) & texts(german.text)
    return sorted(text for text in same if _leftover(text))


@pytest.fixture
def busy(question: Question, alice, bob, carol) -> Question:
    """A question with everything on it: settings, ideas, pros and cons, likes, votes, comments."""
    Question.objects.filter(pk=question.pk).update(
        allow_embed=True,
        description="Let us decide by Friday.",
        max_votes=2,
        deadline=datetime(2030, 6, 1, 18, 0, tzinfo=UTC),
        time_zone="Europe/Berlin",
        allow_exports=True,
    )
    question.refresh_from_db()
    people = {p.name: p for p in Participant.objects.filter(question=question)}
    cabin = services.idea_add(
        question=question,
        author=people["Alice"],
        title="A cabin in the mountains",
        description="Quiet and cheap.",
    )
    hotel = services.idea_add(question=question, author=people["Bob"], title="A hotel by the lake")
    pro = services.argument_add(
        idea=cabin, author=people["Bob"], kind="pro", text="Quiet and cheap."
    )
    services.argument_add(idea=cabin, author=people["Carol"], kind="con", text="Far to drive.")
    services.like_add(argument=pro, participant=people["Carol"])
    services.vote_cast(idea=cabin, participant=people["Bob"])
    services.vote_cast(idea=cabin, participant=people["Carol"])
    services.vote_cast(idea=hotel, participant=people["Alice"])
    services.comment_add(question=question, author=people["Bob"], text="Let us decide by Friday.")
    Comment.objects.update(created_at=datetime(2026, 3, 5, 14, 7, tzinfo=UTC))
    return question


def test_a_german_browser_gets_the_start_page_in_german(db):
    client = Client()
    assert untranslated(client, "/") == []
    page = client.get("/", **DE).text
    assert "Gemeinsam entscheiden." in page
    assert "Ihre Frage" in page
    assert "Decide together" not in page


def test_a_german_browser_gets_the_question_page_in_german(busy, alice, bob, mallory):
    path = f"/q/{busy.pk}/"
    for person in (alice, bob, mallory):  # the organiser, a participant, a newcomer
        assert untranslated(person.client, path) == [], person.name
    page = bob.get(path, **DE).text
    for german in ("Eine Idee hinzufügen", "Abstimmen", "Abgestimmt ✓", "Pro und Contra"):
        assert german in page
    for english in ("Add an idea", ">Vote<", "Voted ✓", "Pros and cons", "Comments"):
        assert english not in page
    assert "Sie organisieren diese Frage" in alice.get(path, **DE).text
    assert "Mitmachen" in mallory.get(path, **DE).text


def test_a_closed_question_shows_its_result_in_german(busy, bob):
    services.question_close(question=busy)
    assert untranslated(bob.client, f"/q/{busy.pk}/") == []
    page = bob.get(f"/q/{busy.pk}/", **DE).text
    assert "Die Frage ist abgeschlossen. Hier ist das Ergebnis:" in page
    assert "Gewinner" in page
    assert "Weitere Ideen" in page


def test_every_other_page_is_german_too(busy, alice):
    idea = Idea.objects.get(title="A cabin in the mountains")
    con = Argument.objects.get(kind="con")
    for path in [
        f"/q/{busy.pk}/settings/",
        f"/q/{busy.pk}/report/",
        f"/q/{busy.pk}/ideas/{idea.pk}/",
        f"/q/{busy.pk}/idea/{idea.pk}/edit/",
        f"/q/{busy.pk}/argument/{con.pk}/delete/",
        f"/embed/{busy.pk}/",
        "/q/AAAAAAAAAAAA/",  # not found
    ]:
        assert untranslated(alice.client, path) == [], path


def test_form_errors_and_refusals_are_german(busy, bob):
    response = bob.post(f"/q/{busy.pk}/ideas/", {"title": ""}, **DE)
    assert response.status_code == 422
    assert "Bitte prüfen Sie Ihre Eingaben" in response.text
    assert "Dieses Feld ist erforderlich." in response.text

    hotel = Idea.objects.get(title="A hotel by the lake")
    Question.objects.filter(pk=busy.pk).update(max_votes=1)
    response = bob.post(f"/q/{busy.pk}/ideas/{hotel.pk}/vote/", follow=True, **DE)
    assert "Sie haben keine Stimme mehr übrig (erlaubt: 1)." in response.text


def test_a_refused_csrf_token_is_explained_in_german(busy):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/q/{busy.pk}/join/", {"name": "Dora"}, **DE)
    assert response.status_code == 403
    assert "Bitte versuchen Sie es noch einmal" in response.text


def test_the_api_answers_in_the_language_asked_for(db):
    response = Client().get("/api/v1/questions/AAAAAAAAAAAA", **DE)
    assert response.status_code == 404
    assert response.json()["detail"].startswith("Hier ist nichts.")


# The language switcher ----------------------------------------------------------------------


def test_the_footer_offers_every_language_by_its_own_name(db):
    page = Client().get("/?x=1").text
    assert '<form class="language-form" action="/i18n/setlang/" method="post">' in page
    assert '<input type="hidden" name="next" value="/?x=1">' in page
    assert '<label for="language-select">Language</label>' in page
    assert '<option value="en" lang="en" selected>English</option>' in page
    assert '<option value="de" lang="de">Deutsch</option>' in page


def test_choosing_german_in_the_footer_brings_back_the_same_page_in_german(busy, bob):
    path = f"/q/{busy.pk}/"
    response = bob.post("/i18n/setlang/", {"language": "de", "next": path}, **EN)
    assert response.status_code == 302
    assert response["Location"] == path
    # The choice outweighs what the browser asks for, and lasts.
    page = bob.get(path, **EN).text
    assert '<html lang="de">' in page
    assert "Eine Idee hinzufügen" in page
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page

    bob.post("/i18n/setlang/", {"language": "en", "next": path}, **DE)
    assert "Add an idea" in bob.get(path, **DE).text


def test_the_switcher_refuses_to_send_anyone_elsewhere(db):
    response = Client().post(
        "/i18n/setlang/", {"language": "de", "next": "https://evil.example/"}, **EN
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_language_cookie_lasts_a_year_and_stays_out_of_reach_of_scripts(db):
    response = Client().post("/i18n/setlang/", {"language": "de", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "de"
    assert cookie["max-age"] == 365 * 24 * 3600
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


# Dates --------------------------------------------------------------------------------------


def test_dates_follow_the_language_in_the_questions_time_zone(busy, bob):
    # The deadline is 18:00 UTC on 1 June 2030, the comment 14:07 UTC on 5 March 2026; the
    # question's time zone, Europe/Berlin, is two hours ahead in summer and one in winter.
    path = f"/q/{busy.pk}/"
    german = bob.get(path, **DE).text
    assert "Offen bis 1. Juni 2030 20:00 (Europe/Berlin)." in german
    assert "5. März 2026 15:07" in german

    american = bob.get(path, **EN).text
    assert "Open until June 1, 2030, 8 p.m. (Europe/Berlin)." in american
    assert "March 5, 2026, 3:07 p.m." in american

    british = bob.get(path, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").text
    assert '<html lang="en-gb">' in british
    assert "Open until 1 Jun 2030, 8 p.m. (Europe/Berlin)." in british
    assert "5 Mar 2026, 3:07 p.m." in british


def test_other_variants_of_english_and_german_get_the_nearest_language(db):
    client = Client()
    assert '<html lang="de">' in client.get("/", HTTP_ACCEPT_LANGUAGE="de-AT").text
    assert '<html lang="en">' in client.get("/", HTTP_ACCEPT_LANGUAGE="en-AU").text
    assert '<html lang="en">' in client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR").text


def test_the_organiser_sets_a_deadline_on_the_german_page(question, alice):
    """The deadline field sends an ISO time whatever the page's language; a German page must not
    read it with German date formats."""
    response = alice.post(
        f"/q/{question.pk}/settings/",
        {
            "title": question.title,
            "allow_ideas": "on",
            "allow_arguments": "on",
            "max_votes": "3",
            "deadline": "2030-06-01T20:00",
            "time_zone": "Europe/Berlin",
        },
        **DE,
    )
    assert response.status_code == 302, response.text
    question.refresh_from_db()
    assert question.deadline == datetime(2030, 6, 1, 18, 0, tzinfo=UTC)
    assert question.max_votes == 3
    assert (
        "Offen bis 1. Juni 2030 20:00 (Europe/Berlin)."
        in alice.get(response["Location"], **DE).text
    )
