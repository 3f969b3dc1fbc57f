"""Results you can take away: CSV, Excel, JSON and a printable report (docs/product-rules.md P5).

Everything is built from one read, `pages.question_page` (the same ideas, counts and ranks as the
page), plus one query for every vote; the JSON file is the API's shape (`shapes.py`).
The organiser may always download; everyone with the link only when the organiser allows it
(`Access.can_export`); all others get 404.

Spreadsheet cells that start with `=`, `+`, `-`, `@`, a tab, a carriage return or NUL are prefixed
with `'`, so that no spreadsheet takes a title for a formula (formula injection, OWASP). So are
cells whose first sign of `=+-@` comes only after control, format or space characters
(`\x01=HYPERLINK(…)`, a zero-width space before `=`), which some programs skip. A spreadsheet
may also split a cell's text at `;`, `,` or a tab (European Excel opens CSV at `;`, "Text to
columns" splits anything): a part of the text that would then start a cell with a formula sign
gets a `'` before that sign (`x;=1+1` is exported as `x;'=1+1`).
"""

import csv
import io
import json
import unicodedata
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .access import Access, Reader, question_for
from .models import Idea, Participant, Question, Vote
from .pages import Page, question_page
from .shapes import question_data, results_data

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\x00")
# The signs that start a formula, and their full-width forms (which East Asian input produces).
FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
# Where a spreadsheet may cut a cell's text into cells of its own.
FIELD_SEPARATORS = frozenset(";,\t\r\n")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# The read ------------------------------------------------------------------------------------


@dataclass
class VoteRow:
    idea_id: str
    voter: str
    at: datetime | None  # None: anonymous


@dataclass
class Results:
    """A question with everything on it, ranked, as every export shows it."""

    question: Question
    page: Page
    votes: list[VoteRow]
    share_url: str
    exported_at: datetime = field(default_factory=timezone.now)
    # Who exports, for the pictures they may see, and the site's address, for links to them.
    reader: Reader | None = None
    site: str = ""

    def picture_url(self, idea: Idea, *, thumbnail: bool = False) -> str:
        """The absolute link to the idea's picture (or thumbnail), or "" when it has none or
        it is not shown to this reader."""
        if self.reader is None or not self.reader.sees_image(idea):
            return ""
        name = idea.thumb_file if thumbnail else idea.image_file
        path = reverse("idea_picture_file", args=[idea.question_id, idea.pk, name])
        return f"{self.site.rstrip('/')}{path}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.question.time_zone)

    def local(self, moment: datetime | None) -> datetime | None:
        return moment.astimezone(self.zone) if moment else None

    def __post_init__(self) -> None:
        # Every voter's name beside each idea (the page shows only the first few).
        voters: dict[str, list[str]] = defaultdict(list)
        for vote in self.votes:
            voters[vote.idea_id].append(vote.voter)
        named = self.page.counted and any(vote.at is not None for vote in self.votes)
        for idea in self.page.ideas:
            idea.all_voters = voters[idea.pk] if named else []
            # The report's links to its picture (none if it has none, or none shown).
            idea.picture_thumb = self.picture_url(idea, thumbnail=True)
            idea.picture_full = self.picture_url(idea)


def author(participant: Participant) -> str:
    """The name shown for an author or voter. The one place that anonymous mode will change."""
    return participant.name


def results_for(request: HttpRequest, access: Access) -> Results:
    """What the exports show this reader: no votes at all while the tally is hidden from them,
    no voter (nor when they voted) with anonymous votes (`Reader`), and nothing of what the
    organiser hid unless they see it."""
    reader = access.reader
    page = question_page(access, ranked=True, omit_hidden=True)
    position = {idea.pk: place for place, idea in enumerate(page.ideas)}
    named = reader.sees_voter_names()
    votes_qs = Vote.objects.filter(idea__question=access.question)
    if not reader.sees_hidden():
        votes_qs = votes_qs.filter(idea__hidden_reason="")  # a hidden idea's are left out too
    votes = [
        VoteRow(
            idea_id=vote.idea_id,
            voter=author(vote.participant) if named else _("anonymous"),
            at=vote.created_at if named else None,
        )
        for vote in votes_qs.select_related("participant").order_by(
            "created_at" if named else "idea_id"
        )
    ]
    if not reader.sees_counts():
        votes = []
    # The votes in the ideas' order (most votes first), each idea's in the order they came.
    votes.sort(key=lambda vote: position.get(vote.idea_id, len(position)))
    url = request.build_absolute_uri(reverse("question", args=[access.question.pk]))
    return Results(
        question=access.question,
        page=page,
        votes=votes,
        share_url=url,
        reader=access.reader,
        site=request.build_absolute_uri("/"),
    )


def export_access(request: HttpRequest, question_id: str) -> Access:
    """The question, for those who may download its results; 404 for everyone else."""
    access = question_for(request, question_id)
    if not access.can_export():
        raise Http404
    return access


def exporter_for(request: HttpRequest, question_id: str) -> Results:
    return results_for(request, export_access(request, question_id))


# Tables: one list of rows per sheet, shared by CSV and Excel ---------------------------------


@dataclass
class Table:
    name: str  # the sheet's name and the CSV file's suffix
    title: str  # translated: the sheet's tab
    headers: list[str]
    rows: list[list[Any]]


def _time_header(label: str, results: Results) -> str:
    return f"{label} ({results.question.time_zone})"


def _marks_hidden(results: Results) -> bool:
    """Whether the tables say which entries the organiser hid: only the organiser's have any
    (`Reader.sees_hidden`); everyone else's leave them out (`results_for`)."""
    return results.reader is not None and results.reader.sees_hidden()


def _hidden_cell(entry: Any) -> str:
    """Why the organiser hid it ("Spam: ads for a shop"), or empty while it is shown."""
    if not entry.hidden_reason:
        return ""
    reason = entry.get_hidden_reason_display()
    return f"{reason}: {entry.hidden_note}" if entry.hidden_note else reason


def _with_hidden(results: Results, table: Table, entries: list[Any]) -> Table:
    """The table with a last column "Hidden by the organiser" for the organiser, giving the
    reason each hidden entry (one per row, in `entries`) was hidden for."""
    if _marks_hidden(results):
        table.headers.append(_("Hidden by the organiser"))
        for row, entry in zip(table.rows, entries, strict=True):
            row.append(_hidden_cell(entry))
    return table


def ideas_table(results: Results) -> Table:
    rows = [
        [
            idea.rank,
            idea.title,
            idea.description,
            author(idea.author),
            idea.vote_count,
            results.local(idea.created_at),
            idea.pk,
            results.picture_url(idea),
        ]
        for idea in results.page.ideas
    ]
    headers = [_("Rank"), _("Idea"), _("Description"), _("Author"), _("Votes")]
    headers += [_time_header(_("Added"), results), _("Idea ID"), _("Picture")]
    return _with_hidden(results, Table("ideas", _("Ideas"), headers, rows), results.page.ideas)


def arguments_table(results: Results) -> Table:
    rows = [
        [
            idea.title,
            argument.get_kind_display(),
            argument.text,
            author(argument.author),
            argument.like_count,
            results.local(argument.created_at),
            idea.pk,
            argument.pk,
        ]
        for idea in results.page.ideas
        for argument in idea.argument_list
    ]
    headers = [_("Idea"), _("Pro or con"), _("Argument"), _("Author"), _("Likes")]
    headers += [_time_header(_("Added"), results), _("Idea ID"), _("Argument ID")]
    table = Table("arguments", _("Arguments"), headers, rows)
    listed = [argument for idea in results.page.ideas for argument in idea.argument_list]
    return _with_hidden(results, table, listed)


def votes_table(results: Results) -> Table:
    titles = {idea.pk: idea.title for idea in results.page.ideas}
    rows = [
        [titles.get(vote.idea_id, ""), vote.voter, results.local(vote.at), vote.idea_id]
        for vote in results.votes
    ]
    headers = [_("Idea"), _("Voter"), _time_header(_("Voted"), results), _("Idea ID")]
    return Table("votes", _("Votes"), headers, rows)


def comments_table(results: Results) -> Table:
    rows = [
        [comment.text, author(comment.author), results.local(comment.created_at), comment.pk]
        for comment in results.page.comments
    ]
    headers = [_("Comment"), _("Author"), _time_header(_("Added"), results), _("Comment ID")]
    table = Table("comments", _("Comments"), headers, rows)
    return _with_hidden(results, table, results.page.comments)


TABLES: dict[str, Callable[[Results], Table]] = {
    "ideas": ideas_table,
    "arguments": arguments_table,
    "votes": votes_table,
    "comments": comments_table,
}


# Formats -------------------------------------------------------------------------------------


def _skipped(char: str) -> bool:
    """What a spreadsheet may pass over before it looks for a formula sign: control and format
    characters (a byte order mark, a bidi mark, a zero-width space) and every kind of space."""
    return char.isspace() or unicodedata.category(char)[0] in "CZ"


def neutralise(value: str) -> str:
    """Text a spreadsheet would take for a formula is kept as text: `'=1+1` shows `=1+1`.

    The whole cell, and each part of it that a split at `;`, `,`, a tab or a line break would
    make a cell (see the module's docstring). One pass: long text costs no more than its length.
    """
    quote_cell = value.startswith(FORMULA_STARTS)
    kept: list[str] = []
    looking = True  # at the start of a part, before its first character that counts
    first_part = True
    for char in value:
        if char in FIELD_SEPARATORS:
            looking, first_part = True, False
        elif looking and not _skipped(char):
            looking = False
            if char in FORMULA_SIGNS:
                if first_part:
                    quote_cell = True
                else:
                    kept.append("'")
        kept.append(char)
    return ("'" if quote_cell else "") + "".join(kept)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return neutralise(value) if isinstance(value, str) else value


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel knows no time zones: the header names it
    if isinstance(value, str):
        # Control characters are not allowed in the file's XML; the rest is kept as typed.
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_cell(header) for header in table.headers])
    writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    # With a byte order mark, Excel opens UTF-8 as UTF-8 ("Zürich", not "ZÃ¼rich").
    return ("\ufeff" + buffer.getvalue()).encode()


def to_xlsx(results: Results, tables: Iterable[Table]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = ILLEGAL_CHARACTERS_RE.sub("", results.question.title)
    workbook.properties.creator = "Ponder"
    for table in tables:
        sheet = workbook.create_sheet(table.title[:31])
        sheet.append([_xlsx_cell(header) for header in table.headers])
        for row in table.rows:
            sheet.append([_xlsx_cell(value) for value in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        first_row = table.rows[0] if table.rows else []
        for number, header in enumerate(table.headers, start=1):
            letter = get_column_letter(number)
            longest = max((len(str(row[number - 1])) for row in table.rows[:200]), default=0)
            sheet.column_dimensions[letter].width = min(60, max(10, len(header), longest) + 2)
            if number <= len(first_row) and isinstance(first_row[number - 1], datetime):
                for cell in sheet[letter][1:]:
                    cell.number_format = "yyyy-mm-dd hh:mm"
                sheet.column_dimensions[letter].width = 22
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def filename(question: Question, suffix: str) -> str:
    """`ponder-where-should-the-team-offsite-be-ideas.csv`: ASCII only, nothing a path can use."""
    slug = slugify(question.title)[:60].strip("-") or question.pk
    return f"ponder-{slug}-{suffix}"


def _download(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "private, no-store"
    return response


# Views ---------------------------------------------------------------------------------------


@require_GET
def csv_export(request: HttpRequest, question_id: str, table: str) -> HttpResponse:
    """One CSV file per table (ideas, arguments, votes, comments): flat, and joined by ids."""
    if table not in TABLES:
        raise Http404
    results = exporter_for(request, question_id)
    return _download(
        to_csv(TABLES[table](results)),
        "text/csv; charset=utf-8",
        filename(results.question, f"{table}.csv"),
    )


@require_GET
def xlsx_export(request: HttpRequest, question_id: str) -> HttpResponse:
    results = exporter_for(request, question_id)
    body = to_xlsx(results, [make(results) for make in TABLES.values()])
    return _download(body, XLSX_TYPE, filename(results.question, "results.xlsx"))


@require_GET
def json_export(request: HttpRequest, question_id: str) -> HttpResponse:
    """The API's question (`GET /api/v1/questions/{id}`) and its results (`…/results`), as one
    file: the same shape, so a program reads an export as it reads the API."""
    access = export_access(request, question_id)
    question = access.question
    share = request.build_absolute_uri(reverse("question", args=[question.pk]))
    data = {
        **question_data(access, share_url=share),
        "results": results_data(access),
        "exported_at": timezone.now(),
    }
    for idea in data["ideas"]:  # a file read elsewhere: its pictures' links whole
        if idea["image"] is not None:
            for link in ("url", "thumbnail_url"):
                idea["image"][link] = request.build_absolute_uri(idea["image"][link])
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()
    return _download(body, "application/json; charset=utf-8", filename(question, "results.json"))


@require_GET
def report(request: HttpRequest, question_id: str) -> HttpResponse:
    """The printable report: "Print" and "Save as PDF" in any browser give a clean document."""
    results = exporter_for(request, question_id)
    return render(
        request,
        "questions/report.html",
        {"results": results, "question": results.question, "page": results.page},
    )
