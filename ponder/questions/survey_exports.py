"""A survey's results to take away: JSON (each question as its own JSON export has it), and CSV
and Excel with one section or sheet per question (its ideas, ranked, with votes and authors).
Built from each question's export (`exports.py`), so the rules there hold: formulas are
neutralised, and whoever may not download gets 404. The survey's organiser may always download;
everyone with the link when every one of its questions allows it."""

import csv
import io
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from .exports import (
    XLSX_TYPE,
    Results,
    _csv_cell,
    _download,
    _xlsx_cell,
    ideas_table,
    results_for,
)
from .models import Survey
from .shapes import question_data, results_data
from .survey_reads import SurveyAccess, survey_for


def _exporter(request: HttpRequest, survey_id: str) -> SurveyAccess:
    # Whoever a question's access setting keeps out may not export it (`Reader.may_export`):
    # so not the survey either. What is exported is only ever what they may view (`viewable`).
    survey = survey_for(request, survey_id)
    if not (survey.is_organiser or all(a.can_export() for a in survey.questions)):
        raise Http404
    return survey


def _filename(survey: Survey, suffix: str) -> str:
    slug = slugify(survey.title)[:60].strip("-") or survey.pk
    return f"ponder-survey-{slug}-{suffix}"


def _results(request: HttpRequest, survey: SurveyAccess) -> list[Results]:
    return [results_for(request, access) for access in survey.viewable]


@require_GET
def json_export(request: HttpRequest, survey_id: str) -> HttpResponse:
    survey = _exporter(request, survey_id)
    questions = []
    for access in survey.viewable:
        share = request.build_absolute_uri(reverse("question", args=[access.question.pk]))
        questions.append(
            {**question_data(access, share_url=share), "results": results_data(access)}
        )
    data = {
        "id": survey.survey.pk,
        "title": survey.survey.title,
        "description": survey.survey.description,
        "share_url": request.build_absolute_uri(reverse("survey", args=[survey_id])),
        "questions": questions,
        "exported_at": timezone.now(),
    }
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()
    name = _filename(survey.survey, "results.json")
    return _download(body, "application/json; charset=utf-8", name)


@require_GET
def csv_export(request: HttpRequest, survey_id: str) -> HttpResponse:
    """One CSV file, a section per question: its title, then its ideas ranked."""
    survey = _exporter(request, survey_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, results in enumerate(_results(request, survey), start=1):
        table = ideas_table(results)
        if number > 1:
            writer.writerow([])
        writer.writerow([_csv_cell(f"{_('Question')} {number}"), _csv_cell(results.question.title)])
        writer.writerow([_csv_cell(header) for header in table.headers])
        writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    body = ("\ufeff" + buffer.getvalue()).encode()
    return _download(body, "text/csv; charset=utf-8", _filename(survey.survey, "results.csv"))


@require_GET
def xlsx_export(request: HttpRequest, survey_id: str) -> HttpResponse:
    """One sheet per question (named "1 Where?" and so on), each with its ideas ranked."""
    survey = _exporter(request, survey_id)
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = ILLEGAL_CHARACTERS_RE.sub("", survey.survey.title)
    workbook.properties.creator = "Ponder"
    for number, results in enumerate(_results(request, survey), start=1):
        table = ideas_table(results)
        # A sheet's name: at most 31 characters, none of []:*?/\ (Excel's rule).
        name = "".join(c for c in results.question.title if c not in "[]:*?/\\")
        sheet = workbook.create_sheet(ILLEGAL_CHARACTERS_RE.sub("", f"{number} {name}")[:31])
        sheet.append([_xlsx_cell(results.question.title)])
        sheet.append([_xlsx_cell(header) for header in table.headers])
        for row in table.rows:
            sheet.append([_xlsx_cell(value) for value in row])
        for cell in (*sheet[1], *sheet[2]):
            cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _download(buffer.getvalue(), XLSX_TYPE, _filename(survey.survey, "results.xlsx"))
