"""Results you can take away: CSV, Excel, JSON and the printable report with its chart.

Each export holds exactly what the question holds (counts, ranks, authors), opens in the program
it is made for, and never hands a spreadsheet a formula. The organiser may always download;
participants and outsiders only when the organiser allows it, and 404 otherwise.
"""

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from conftest import Person
from ponder.questions import services
from ponder.questions.models import Idea, Participant, Question

EVIL = "=cmd|' /C calc'!A0"
EXPORTS = [
    "report/",
    "export/ideas.csv",
    "export/arguments.csv",
    "export/votes.csv",
    "export/comments.csv",
    "export/results.xlsx",
    "export/results.json",
]


def _participant(question: Question, name: str) -> Participant:
    return Participant.objects.get(question=question, name=name)


@dataclass
class Offsite:
    """Lisbon (3 votes) beats an idea with a formula for a title (2 votes); Berlin has none."""

    question: Question
    lisbon: Idea
    evil: Idea
    berlin: Idea


@pytest.fixture
def offsite(question: Question, alice: Person, bob: Person, carol: Person) -> Offsite:
    a, b, c = (_participant(question, name) for name in ("Alice", "Bob", "Carol"))
    lisbon = services.idea_add(
        question=question, author=a, title="Lisbon", description="Sea, sun and trams"
    )
    evil = services.idea_add(question=question, author=b, title=EVIL)
    berlin = services.idea_add(question=question, author=c, title="Berlin")
    flights = services.argument_add(idea=lisbon, author=b, kind="pro", text="+ direct flights")
    services.argument_add(idea=lisbon, author=c, kind="con", text="@SUM(1+1) is too hot")
    services.argument_add(idea=evil, author=a, kind="pro", text="\tstarts with a tab")
    services.like_add(argument=flights, participant=a)
    services.like_add(argument=flights, participant=c)
    for voter in (a, b, c):
        services.vote_cast(idea=lisbon, participant=voter)
    for voter in (b, c):
        services.vote_cast(idea=evil, participant=voter)
    services.comment_add(question=question, author=c, text="-1 for Berlin in winter")
    services.comment_add(question=question, author=b, text="\rcarriage return first")
    return Offsite(question=question, lisbon=lisbon, evil=evil, berlin=berlin)


def _csv(person: Person, question: Question, table: str) -> list[list[str]]:
    response = person.get(f"/q/{question.pk}/export/{table}.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _workbook(person: Person, question: Question):
    response = person.get(f"/q/{question.pk}/export/results.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def _rows(sheet) -> list[list[object]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# What the files hold ------------------------------------------------------------------------


def test_the_ideas_csv_holds_ranks_votes_and_authors(offsite, alice):
    rows = _csv(alice, offsite.question, "ideas")
    assert rows[0] == [
        "Rank",
        "Idea",
        "Description",
        "Author",
        "Votes",
        "Added (UTC)",
        "Idea ID",
        "Picture",
        "Hidden by the organiser",  # the organiser's files only
    ]
    assert [row[:5] + row[6:] for row in rows[1:]] == [
        ["1", "Lisbon", "Sea, sun and trams", "Alice", "3", offsite.lisbon.pk, "", ""],
        ["2", "'" + EVIL, "", "Bob", "2", offsite.evil.pk, "", ""],
        ["", "Berlin", "", "Carol", "0", offsite.berlin.pk, "", ""],
    ]
    assert datetime.fromisoformat(rows[1][5]) == offsite.lisbon.created_at.replace(microsecond=0)


def test_the_other_csv_files_hold_every_argument_vote_and_comment(offsite, alice):
    q, lisbon, evil = offsite.question, offsite.lisbon, offsite.evil
    arguments = _csv(alice, q, "arguments")
    assert arguments[0][:5] == ["Idea", "Pro or con", "Argument", "Author", "Likes"]
    assert [row[:5] + row[6:7] for row in arguments[1:]] == [
        ["Lisbon", "Pro", "'+ direct flights", "Bob", "2", lisbon.pk],
        ["Lisbon", "Con", "'@SUM(1+1) is too hot", "Carol", "0", lisbon.pk],
        ["'" + EVIL, "Pro", "'\tstarts with a tab", "Alice", "0", evil.pk],
    ]
    votes = _csv(alice, q, "votes")
    assert votes[0] == ["Idea", "Voter", "Voted (UTC)", "Idea ID"]
    assert [row[:2] + row[3:] for row in votes[1:]] == [
        ["Lisbon", "Alice", lisbon.pk],
        ["Lisbon", "Bob", lisbon.pk],
        ["Lisbon", "Carol", lisbon.pk],
        ["'" + EVIL, "Bob", evil.pk],
        ["'" + EVIL, "Carol", evil.pk],
    ]
    comments = _csv(alice, q, "comments")
    assert comments[0][:2] == ["Comment", "Author"]
    assert [row[:2] for row in comments[1:]] == [
        ["'-1 for Berlin in winter", "Carol"],
        ["'\rcarriage return first", "Bob"],
    ]


def test_the_workbook_has_a_sheet_each_for_ideas_arguments_votes_and_comments(offsite, alice):
    book = _workbook(alice, offsite.question)
    assert book.sheetnames == ["Ideas", "Arguments", "Votes", "Comments"]
    ideas = _rows(book["Ideas"])
    assert ideas[0] == [
        "Rank",
        "Idea",
        "Description",
        "Author",
        "Votes",
        "Added (UTC)",
        "Idea ID",
        "Picture",
        "Hidden by the organiser",
    ]
    assert [row[:5] + row[6:] for row in ideas[1:]] == [
        [1, "Lisbon", "Sea, sun and trams", "Alice", 3, offsite.lisbon.pk, None, None],
        [2, "'" + EVIL, None, "Bob", 2, offsite.evil.pk, None, None],
        [None, "Berlin", None, "Carol", 0, offsite.berlin.pk, None, None],
    ]
    added = ideas[1][5]
    assert isinstance(added, datetime)
    assert added == offsite.lisbon.created_at.replace(tzinfo=None, microsecond=added.microsecond)
    arguments = _rows(book["Arguments"])
    assert [row[:5] for row in arguments[1:]] == [
        ["Lisbon", "Pro", "'+ direct flights", "Bob", 2],
        ["Lisbon", "Con", "'@SUM(1+1) is too hot", "Carol", 0],
        ["'" + EVIL, "Pro", "'\tstarts with a tab", "Alice", 0],
    ]
    votes = _rows(book["Votes"])
    assert [row[:2] for row in votes[1:]] == [
        ["Lisbon", "Alice"],
        ["Lisbon", "Bob"],
        ["Lisbon", "Carol"],
        ["'" + EVIL, "Bob"],
        ["'" + EVIL, "Carol"],
    ]
    comments = _rows(book["Comments"])
    assert [row[:2] for row in comments[1:]] == [
        ["'-1 for Berlin in winter", "Carol"],
        ["'\ncarriage return first", "Bob"],  # XML reads a carriage return as a line feed
    ]


def test_no_cell_of_the_workbook_is_a_formula(offsite, alice):
    book = _workbook(alice, offsite.question)
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert cells
    assert all(cell.data_type != "f" for cell in cells)
    assert not any(str(cell.value).startswith(("=", "+", "-", "@")) for cell in cells)


def _public(data: object) -> object:
    """`data` without what only its reader sees (their votes, likes and rights)."""
    personal = {"me", "voted", "my_votes", "liked", "changeable"}
    if isinstance(data, dict):
        return {k: _public(v) for k, v in data.items() if k not in personal}
    if isinstance(data, list):
        return [_public(v) for v in data]
    return data


def test_the_json_export_is_the_api_shape_of_the_question(offsite, alice):
    q = offsite.question
    response = alice.get(f"/q/{q.pk}/export/results.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(response.content)
    # The same question in the same shape as the API gives it (which knows Alice by a token,
    # not her cookies: what she may change and did vote for is hers alone, so it is left out).
    api = alice.get(f"/api/v1/questions/{q.pk}").json()
    assert _public({key: data[key] for key in api}) == _public(api)
    assert data["results"] == alice.get(f"/api/v1/questions/{q.pk}/results").json()
    assert "exported_at" in data
    lisbon, evil, berlin = data["ideas"]
    assert {key: lisbon[key] for key in ("id", "title", "author", "votes", "voters")} == {
        "id": offsite.lisbon.pk,
        "title": "Lisbon",
        "author": "Alice",
        "votes": 3,
        "voters": ["Alice", "Bob", "Carol"],
    }
    assert [(a["kind"], a["text"], a["author"], a["likes"]) for a in lisbon["arguments"]] == [
        ("pro", "+ direct flights", "Bob", 2),
        ("con", "@SUM(1+1) is too hot", "Carol", 0),
    ]
    # JSON is data, not a spreadsheet: text stays exactly as typed.
    assert (evil["title"], evil["votes"]) == (EVIL, 2)
    assert (berlin["votes"], berlin["voters"]) == (0, [])
    assert [(r["title"], r["votes"], r["rank"]) for r in data["results"]["ranking"]] == [
        ("Lisbon", 3, 1),
        (EVIL, 2, 2),
        ("Berlin", 0, None),
    ]
    assert [(c["text"], c["author"]) for c in data["comments"]] == [
        ("-1 for Berlin in winter", "Carol"),
        ("\rcarriage return first", "Bob"),
    ]


def test_a_closed_question_exports_the_same_result_as_its_page(offsite, alice, bob):
    services.question_close(question=offsite.question)
    data = json.loads(alice.get(f"/q/{offsite.question.pk}/export/results.json").content)
    assert data["status"] == "closed"
    assert data["results"]["winners"] == [offsite.lisbon.pk]
    assert [(i["title"], i["votes"], i["rank"]) for i in data["ideas"]] == [
        ("Lisbon", 3, 1),
        (EVIL, 2, 2),
        ("Berlin", 0, None),
    ]
    page = bob.get(f"/q/{offsite.question.pk}/").content.decode()
    # The winner, the chart of all the votes right under it, then the further ideas.
    chart, further = page.index('class="chart"'), page.index("Further ideas")
    assert page.index("Lisbon") < chart < further < page.rindex("Berlin")


def test_ties_share_a_rank_in_the_exports(question, alice, bob):
    a, b = _participant(question, "Alice"), _participant(question, "Bob")
    for title in ("Tea", "Coffee", "Water"):
        idea = services.idea_add(question=question, author=a, title=title)
        if title != "Water":
            services.vote_cast(idea=idea, participant=b)
    rows = _csv(alice, question, "ideas")
    assert [(row[0], row[1]) for row in rows[1:]] == [("1", "Tea"), ("1", "Coffee"), ("", "Water")]


def test_text_the_file_format_cannot_hold_is_dropped_from_the_workbook_only(question, alice):
    # XML 1.0 allows no control characters; a form lets them through, so the export must cope.
    services.idea_add(
        question=question, author=_participant(question, "Alice"), title="\x01=1+1 bell\x07"
    )
    sheet = _workbook(alice, question)["Ideas"]
    assert sheet["B2"].value == "'=1+1 bell"
    # A formula behind a control character is a formula to programs that skip it.
    assert _csv(alice, question, "ideas")[1][1] == "'\x01=1+1 bell\x07"


def test_text_a_spreadsheet_would_split_into_a_formula_is_neutralised(question, alice):
    # European Excel opens a CSV file at semicolons: `x;=1+1;y` would be three cells.
    services.idea_add(
        question=question, author=_participant(question, "Alice"), title="x;=1+1;y, @SUM(A1)"
    )
    assert _csv(alice, question, "ideas")[1][1] == "x;'=1+1;y, '@SUM(A1)"
    assert _workbook(alice, question)["Ideas"]["B2"].value == "x;'=1+1;y, '@SUM(A1)"


def test_an_empty_question_exports_headers_only(question, alice):
    header = ["Rank", "Idea", "Description", "Author", "Votes", "Added (UTC)", "Idea ID"]
    assert _csv(alice, question, "ideas") == [[*header, "Picture", "Hidden by the organiser"]]
    book = _workbook(alice, question)
    assert [sheet.max_row for sheet in book] == [1, 1, 1, 1]
    assert alice.get(f"/q/{question.pk}/report/").status_code == 200


# Downloads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("export/ideas.csv", "ideas.csv"),
        ("export/votes.csv", "votes.csv"),
        ("export/results.xlsx", "results.xlsx"),
        ("export/results.json", "results.json"),
    ],
)
def test_exports_download_as_attachments_with_safe_file_names(question, alice, path, name):
    Question.objects.filter(pk=question.pk).update(title='Ünïcode "quotes"/../..\\etc; =x')
    response = alice.get(f"/q/{question.pk}/{path}")
    assert response["Content-Disposition"] == (
        f'attachment; filename="ponder-unicode-quotesetc-x-{name}"'
    )
    assert "no-store" in response["Cache-Control"]


def test_a_title_without_latin_letters_gives_a_file_name_from_the_id(question, alice):
    Question.objects.filter(pk=question.pk).update(title="王")
    response = alice.get(f"/q/{question.pk}/export/ideas.csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="ponder-{question.pk}-ideas.csv"'
    )


def test_a_formula_as_question_title_still_gives_a_workbook(question, alice):
    Question.objects.filter(pk=question.pk).update(title=EVIL)
    book = _workbook(alice, question)
    assert book.properties.title == EVIL  # metadata, never evaluated
    response = alice.get(f"/q/{question.pk}/export/results.xlsx")
    assert re.fullmatch(
        r'attachment; filename="ponder-cmd-c-calca0-results\.xlsx"',
        response["Content-Disposition"],
    )


def test_the_exports_read_as_many_queries_for_3_or_30_ideas(question, alice, bob):
    a, b = _participant(question, "Alice"), _participant(question, "Bob")

    def add(n: int) -> None:
        for i in range(n):
            idea = services.idea_add(question=question, author=a, title=f"Idea {i}")
            argument = services.argument_add(idea=idea, author=b, kind="pro", text="Yes")
            services.like_add(argument=argument, participant=a)
            services.vote_cast(idea=idea, participant=b)
            services.comment_add(question=question, author=b, text=f"On {i}")

    def queries() -> list[int]:
        counts = []
        for path in EXPORTS:
            with CaptureQueriesContext(connection) as captured:
                assert alice.get(f"/q/{question.pk}/{path}").status_code == 200
            counts.append(len(captured))
        return counts

    add(3)
    few = queries()
    add(27)
    assert queries() == few


# Who may download ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXPORTS)
@pytest.mark.parametrize("allowed", [False, True], ids=["not allowed", "allowed"])
@pytest.mark.parametrize("role", ["organiser", "participant", "outsider"])
def test_the_organiser_may_always_download_others_only_when_allowed(
    offsite, alice, bob, mallory, path, allowed, role
):
    Question.objects.filter(pk=offsite.question.pk).update(allow_exports=allowed)
    person = {"organiser": alice, "participant": bob, "outsider": mallory}[role]
    response = person.get(f"/q/{offsite.question.pk}/{path}")
    assert response.status_code == (200 if role == "organiser" or allowed else 404)


@pytest.mark.parametrize("path", EXPORTS)
def test_an_organiser_of_another_question_gets_404(offsite, make_question, path):
    other, key = make_question("Another question")
    oscar = Person("Oscar").organise(other, key)
    assert oscar.get(f"/q/{offsite.question.pk}/{path}").status_code == 404


def test_unknown_questions_and_tables_are_404(offsite, alice):
    assert alice.get(f"/q/{offsite.question.pk}/export/likes.csv").status_code == 404
    assert alice.get("/q/AAAAAAAAAAAA/export/ideas.csv").status_code == 404
    assert alice.get("/q/AAAAAAAAAAAA/report/").status_code == 404


def test_exports_answer_get_only(offsite, alice):
    assert alice.post(f"/q/{offsite.question.pk}/export/ideas.csv").status_code == 405


def test_the_organiser_lets_everyone_download_in_the_settings(offsite, alice, bob):
    q = offsite.question
    page = bob.get(f"/q/{q.pk}/").content.decode()
    assert 'id="downloads"' not in page
    assert 'id="downloads"' in alice.get(f"/q/{q.pk}/").content.decode()
    settings = alice.get(f"/q/{q.pk}/settings/").content.decode()
    assert "Anyone with the link may download the results" in settings
    response = alice.post(
        f"/q/{q.pk}/settings/",
        {
            "title": q.title,
            "description": "",
            "allow_ideas": "on",
            "allow_arguments": "on",
            "max_votes": "",
            "deadline": "",
            "time_zone": "UTC",
            "allow_exports": "on",
        },
    )
    assert response.status_code == 302
    q.refresh_from_db()
    assert q.allow_exports is True
    page = bob.get(f"/q/{q.pk}/").content.decode()
    assert 'id="downloads"' in page
    assert f'href="/q/{q.pk}/export/results.xlsx"' in page
    assert bob.get(f"/q/{q.pk}/export/results.xlsx").status_code == 200


def test_saving_other_settings_keeps_exports_allowed(offsite):
    q = offsite.question
    Question.objects.filter(pk=q.pk).update(allow_exports=True)
    q.refresh_from_db()
    services.question_update(
        question=q,
        title="New title",
        description="",
        allow_ideas=True,
        allow_arguments=True,
        max_votes=None,
        deadline=None,
        time_zone="UTC",
    )
    q.refresh_from_db()
    assert q.allow_exports is True


# The chart ----------------------------------------------------------------------------------


def _chart(html: str) -> str:
    start = html.index('<figure class="chart"')
    return html[start : html.index("</figure>", start)]


def test_the_result_page_shows_votes_per_idea_as_an_accessible_chart(offsite, bob):
    services.question_close(question=offsite.question)
    chart = _chart(bob.get(f"/q/{offsite.question.pk}/").content.decode())
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in chart
    assert '<title id="chart-title">Votes per idea</title>' in chart
    assert (
        '<desc id="chart-desc">Lisbon: 3 votes (winner); =cmd|&#x27; /C calc&#x27;!A0: 2 votes; '
        "Berlin: 0 votes.</desc>" in chart
    )
    # Labels and numbers are text, not pixels; the winner's bar is striped, not only coloured.
    labels = re.findall(r'<tspan x="0" y="\d+">([^<]*)</tspan>', chart)
    assert labels == ["1. Lisbon", "2. =cmd|&#x27; /C calc&#x27;!A0", "Berlin"]
    counts = re.findall(r'<text class="chart-count"[^>]*>(\d+)</text>', chart)
    assert counts == ["3", "2", "0"]
    assert chart.count('class="chart-row winner"') == 1
    assert 'width="82.0%"' in chart and 'width="54.7%"' in chart
    assert "Striped bars: most votes." in chart


def test_the_chart_escapes_titles_and_keeps_numbers_unlocalised(question, alice, bob):
    a = _participant(question, "Alice")
    for title, votes in (("<script>alert(1)</script>", 2), ("Ein Komma", 1)):
        idea = services.idea_add(question=question, author=a, title=title)
        for voter in [a, _participant(question, "Bob")][:votes]:
            services.vote_cast(idea=idea, participant=voter)
    services.question_close(question=question)
    html = bob.get(f"/q/{question.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    chart = _chart(html)
    assert "<script>alert" not in chart and "&lt;script&gt;alert(1)&lt;/script&gt;" in chart
    assert 'width="41.0%"' in chart  # German would write 41,0: SVG would not understand


def test_a_long_title_is_wrapped_on_two_lines_and_cut(question, alice):
    a = _participant(question, "Alice")
    idea = services.idea_add(question=question, author=a, title="word " * 30)
    services.vote_cast(idea=idea, participant=a)
    services.question_close(question=question)
    chart = _chart(alice.get(f"/q/{question.pk}/").content.decode())
    lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", chart)
    assert len(lines) == 2 and lines[1].endswith("…")
    assert all(len(line) <= 36 for line in lines)
    assert f"<title>{'word ' * 30}</title>" in chart  # the whole title, as a tooltip


def test_a_big_result_page_charts_the_first_20_and_says_how_many_more(question, alice):
    a = _participant(question, "Alice")
    for i in range(25):
        idea = services.idea_add(question=question, author=a, title=f"Idea {i}")
        services.vote_cast(idea=idea, participant=a)
    services.question_close(question=question)
    chart = _chart(alice.get(f"/q/{question.pk}/").content.decode())
    assert chart.count('<g class="chart-row') == 20
    assert "5 more ideas with fewer votes are not shown here." in chart
    report = _chart(alice.get(f"/q/{question.pk}/report/").content.decode())
    assert report.count('<g class="chart-row') == 25


def test_the_open_page_has_no_chart_but_the_report_charts_the_votes_so_far(offsite, bob, alice):
    # Live updates refresh single ideas while the question is open: a chart would go stale.
    assert 'class="chart"' not in bob.get(f"/q/{offsite.question.pk}/").content.decode()
    report = alice.get(f"/q/{offsite.question.pk}/report/").content.decode()
    assert 'role="img"' in _chart(report)
    assert "Open: the results may still change." in report


def test_a_result_without_votes_has_no_chart(question, bob):
    services.idea_add(question=question, author=_participant(question, "Bob"), title="Lonely")
    services.question_close(question=question)
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert "No votes were cast." in page and 'class="chart"' not in page


def test_the_report_is_a_clean_printable_document(offsite, alice):
    services.question_close(question=offsite.question)
    html = alice.get(f"/q/{offsite.question.pk}/report/").content.decode()
    assert '<meta name="robots" content="noindex">' in html
    assert "Most votes:" in html and "<strong><bdi>Lisbon</bdi></strong>" in html
    assert 'role="img"' in html
    # The ranking table, every argument with its likes, every voter, every comment.
    assert re.search(r"<td>1</td><th scope=\"row\"><a [^>]*><bdi>Lisbon</bdi></a></th>", html)
    assert "+ direct flights" in html and "2 likes" in html
    assert "<bdi>Alice</bdi>, <bdi>Bob</bdi>, <bdi>Carol</bdi>" in html
    assert "-1 for Berlin in winter" in html
    # Scripts only from this site; the print button is hidden until share.js shows it.
    assert re.findall(r'<script src="([^"]+)"', html) == [
        "/static/vendor/htmx-2.0.11.min.js",
        "/static/share.js",
    ]
    assert 'class="print-button" hidden' in html


def test_the_charts_count_of_ideas_not_shown_leaves_out_hidden_ideas(question, alice, bob):
    """Hidden ideas are out of the ranking for everyone, so the chart's note does not count
    them either: not for the organiser, not for a participant."""
    a = _participant(question, "Alice")
    ideas = []
    for i in range(24):
        ideas.append(services.idea_add(question=question, author=a, title=f"Idea {i}"))
        services.vote_cast(idea=ideas[-1], participant=a)
    for hidden in ideas[-2:]:
        services.entry_hide(entry=hidden, reason="spam")
    services.question_close(question=question)
    for person in (alice, bob):
        chart = _chart(person.get(f"/q/{question.pk}/").content.decode())
        assert chart.count('<g class="chart-row') == 20
        assert "2 more ideas with fewer votes are not shown here." in chart
