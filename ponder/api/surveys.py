"""The API of surveys: make one with its questions, read it (its questions with their ids and
states), add and remove a question. Everything else is done on its questions, through the
question endpoints; the survey's admin token is the organiser's token on each of them."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Path
from ninja.responses import Status

from ponder.questions import services, survey_services
from ponder.questions.access import survey_for_token
from ponder.questions.models import Question, Survey, TakingPart
from ponder.ratelimit import limit_operation

from . import auth
from .api import OPTIONAL_TOKEN, _checked_settings, _errors, api
from .errors import Invalid
from .schemas import (
    ID_PATTERN,
    SurveyCreated,
    SurveyIn,
    SurveyOut,
    SurveyQuestionIn,
    SurveyQuestionOut,
)

SurveyId = Path(..., pattern=ID_PATTERN, description="The survey's id.")
QuestionId = Path(..., pattern=ID_PATTERN, description="The question's id.")


def _question(request: HttpRequest, question: Question) -> dict[str, Any]:
    return {
        "id": question.pk,
        "title": question.title,
        "status": question.status,
        "deadline": question.deadline,
        "share_url": request.build_absolute_uri(reverse("question", args=[question.pk])),
    }


def _gated(request: HttpRequest, question: Question, needs: str) -> dict[str, Any]:
    # Nothing of the question but where its gate is, and what it needs (as its own 403 says).
    return {
        "id": question.pk,
        "gated": True,
        "needs": needs,
        "share_url": request.build_absolute_uri(reverse("question", args=[question.pk])),
    }


def _survey(request: HttpRequest, survey: Survey, *, organiser: bool = True) -> dict[str, Any]:
    """The survey with its questions. A question whose access setting keeps the caller out
    (`Reader.may_view`, by the token it sends, as `GET /questions/{id}` asks) is listed as
    gated, with nothing of its own; the organiser sees every question."""
    questions = []
    for question in survey.question_list():
        if not organiser and question.taking_part != TakingPart.LINK:
            access = auth.viewer(request, question.pk)
            if not access.reader.may_view():
                questions.append(_gated(request, question, access.admission.needs))
                continue
        questions.append(_question(request, question))
    return {
        "id": survey.pk,
        "title": survey.title,
        "description": survey.description,
        "share_url": request.build_absolute_uri(reverse("survey", args=[survey.pk])),
        "questions": questions,
    }


def _organised(request: HttpRequest, survey_id: str) -> Survey:
    """The survey, for the holder of its admin token; 404 for everyone else."""
    survey, is_organiser = survey_for_token(survey_id, request.auth)
    if not is_organiser:
        raise Http404
    return survey


def _with_settings(question: Question, payload: SurveyQuestionIn) -> Question:
    if payload.settings is None and not payload.description:
        return question
    fields = {"title": payload.title, "description": payload.description}
    checked = _checked_settings(question, fields, payload.settings)
    return services.question_update(question=question, **checked)


@api.post(
    "/surveys",
    auth=None,
    response={201: SurveyCreated, **_errors(400, 413)},
    summary="Make a survey",
    description="Several questions (1 to 15) on one page. No token needed. The answer holds the "
    "organiser's `admin_token`, which organises every question of the survey: keep it.",
    tags=["surveys"],
)
@limit_operation("question")
def survey_create(request: HttpRequest, payload: SurveyIn) -> Status:
    # Each question's settings are checked before anything is made (400 naming the question).
    for number, question_in in enumerate(payload.questions):
        if question_in.settings is not None:
            fresh = Question(time_zone=settings.PONDER_TIME_ZONE)
            try:
                _checked_settings(fresh, {"title": question_in.title}, question_in.settings)
            except Invalid as invalid:
                named = [(f"questions.{number}.{field}", text) for field, text in invalid.errors]
                raise Invalid(named) from None
    with transaction.atomic():
        survey, admin_key = survey_services.survey_create(
            title=payload.title,
            description=payload.description,
            questions=[q.title for q in payload.questions],
        )
        for question, question_in in zip(survey.question_list(), payload.questions, strict=True):
            _with_settings(question, question_in)
    admin_url = reverse("survey_admin_link", args=[survey.pk, admin_key])
    data = {
        **_survey(request, survey),
        "admin_url": request.build_absolute_uri(admin_url),
        "admin_token": admin_key,
    }
    return Status(201, data)


@api.get(
    "/surveys/{survey_id}",
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    response={200: SurveyOut, **_errors(401, 404)},
    summary="Read a survey",
    description="Its questions in their order, with their ids and states; read each through "
    "`GET /api/v1/questions/{id}`. A question whose access setting keeps the caller out (a "
    "password, an account, an invitation: by the token sent, if any; the survey's admin token "
    'sees all) is listed as `{"id", "gated": true, "needs", "share_url"}` with '
    "nothing of its own, as `GET /api/v1/questions/{id}` answers it 403 `gated`.",
    tags=["surveys"],
)
def survey_detail(request: HttpRequest, survey_id: str = SurveyId) -> dict[str, Any]:
    survey, is_organiser = survey_for_token(survey_id, auth.bearer_of(request))
    return _survey(request, survey, organiser=is_organiser)


@api.post(
    "/surveys/{survey_id}/questions",
    response={201: SurveyQuestionOut, **_errors(400, 401, 404, 409, 413)},
    summary="Add a question to a survey",
    description="For the survey's organiser (its admin token). At the end of the survey; at "
    "most 15 questions (409 `too_many_questions`).",
    tags=["surveys"],
)
def survey_question_add(
    request: HttpRequest, payload: SurveyQuestionIn, survey_id: str = SurveyId
) -> Status:
    survey = _organised(request, survey_id)
    if payload.settings is not None:
        fresh = Question(time_zone=settings.PONDER_TIME_ZONE)
        _checked_settings(fresh, {"title": payload.title}, payload.settings)
    with transaction.atomic():
        question = survey_services.survey_question_add(survey=survey, title=payload.title)
        question = _with_settings(question, payload)
    return Status(201, _question(request, question))


@api.delete(
    "/surveys/{survey_id}/questions/{question_id}",
    response={204: None, **_errors(401, 404, 409)},
    summary="Remove a question from a survey",
    description="For the survey's organiser. Only a question without ideas or comments "
    "(409 `has_contributions`), and never the last one (409 `last_question`).",
    tags=["surveys"],
)
def survey_question_remove(
    request: HttpRequest, survey_id: str = SurveyId, question_id: str = QuestionId
) -> Status:
    survey = _organised(request, survey_id)
    question = Question.objects.filter(pk=question_id, survey=survey).first()
    if question is None:
        raise Http404
    survey_services.survey_question_remove(survey=survey, question=question)
    return Status(204, None)
