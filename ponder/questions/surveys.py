"""The pages of surveys: several questions on one page (`/s/<id>/`), one share link and one admin
link. Votes, likes, pros and cons on the page post to each question's own actions, which lead
back here (`survey_reads.survey_page_url`); what belongs to the survey as a whole (joining under
one name, adding an idea from the page, the organiser's list of questions) is here."""

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from ponder.lib.ids import secret_matches
from ponder.ratelimit import limit

from . import services, survey_services
from .access import (
    Gated,
    browser_token,
    participant_token,
    remember_participant,
    remember_survey_organiser,
)
from .crowds import network_of_request
from .forms import IdeaForm, NameForm
from .services import ActionRefused
from .survey_forms import SurveyCreateForm, SurveyEditForm, SurveyQuestionForm
from .survey_reads import (
    SurveyAccess,
    question_part,
    reader_name,
    survey_for,
    survey_url,
)

SURVEY_PAGE = "questions/survey.html"
SURVEY_QUESTION = "questions/survey_question.html"


def _status(request: HttpRequest, message: str, *, error: bool = False) -> str:
    context = {"message": message, "error": error, "oob": True}
    return render_to_string("status.html", context)


def _idea_form(request: HttpRequest, access: Any, form: IdeaForm | None = None) -> IdeaForm:
    # Each question's form has ids of its own: the page holds up to 15 of them.
    form = form or IdeaForm()
    form.auto_id = f"id_{access.question.pk}_%s"
    return form


def _blocks(request: HttpRequest, survey: SurveyAccess) -> list[dict[str, Any]]:
    return [
        {
            "access": access,
            "parts": question_part(request, access),
            "form": _idea_form(request, access),
        }
        for access in survey.questions
    ]


def _page_context(survey: SurveyAccess, blocks: list[dict[str, Any]], **extra: Any) -> dict:
    # The winners of the closed questions, at the top of the page.
    results = [b["parts"]["result"] for b in blocks if b["parts"]["result"].strip()]
    return {
        "survey": survey.survey,
        "survey_access": survey,
        "blocks": blocks,
        "results": results,
        **extra,
    }


def _organiser_only(survey: SurveyAccess) -> None:
    if not survey.is_organiser:
        raise Http404


@require_http_methods(["GET", "POST"])
@limit("question")
def survey_create(request: HttpRequest) -> HttpResponse:
    """Make a survey: its title, an optional description and its questions, one a line."""
    form = SurveyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        survey, admin_key = survey_services.survey_create(
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            questions=form.cleaned_data["questions"],
        )
        messages.success(request, _("Your survey is ready. Share its link."))
        response = redirect("survey", survey.pk)
        remember_survey_organiser(response, survey_id=survey.pk, admin_key=admin_key)
        return response
    status = 422 if form.errors else 200
    return render(request, "questions/survey_create.html", {"form": form}, status=status)


@require_safe
@vary_on_headers("HX-Request")
def survey_detail(request: HttpRequest, survey_id: str) -> HttpResponse:
    """The survey's page: every question with its ideas and votes. With htmx and `?part=` a
    question's id, that question's part alone (the live updates fetch it)."""
    survey = survey_for(request, survey_id)
    if request.htmx and request.GET.get("part"):
        access = survey.access_to(request.GET["part"])
        if not access.reader.may_view():
            raise Gated(access.question, access.admission.needs)
        return HttpResponse(question_part(request, access)["question"])
    name_form = NameForm(initial={"name": reader_name(request, survey)})
    context = _page_context(survey, _blocks(request, survey), name_form=name_form)
    return render(request, SURVEY_PAGE, context)


@require_safe
def survey_admin_link(request: HttpRequest, survey_id: str, admin_key: str) -> HttpResponse:
    """The survey's secret admin link: this browser becomes the organiser of the survey and of
    each of its questions. HEAD (link previews) is answered empty, as a question's is."""
    if request.method == "HEAD":
        return HttpResponse()
    survey = survey_for(request, survey_id)
    if not secret_matches(admin_key, survey.survey.admin_key_hash):
        raise Http404
    response = redirect("survey", survey_id)
    remember_survey_organiser(response, survey_id=survey_id, admin_key=admin_key)
    return response


@require_POST
@limit("join")
def survey_join(request: HttpRequest, survey_id: str) -> HttpResponse:
    """Give a name once: it joins every open question of the survey they may take part in
    (the others keep them out as on their own pages: a password, an account, an invitation)."""
    survey = survey_for(request, survey_id)
    form = NameForm(request.POST)
    if form.is_valid():
        try:
            joined, token = survey_services.survey_join(
                survey=survey.survey,
                questions=[a.question for a in survey.taking_part],
                name=form.cleaned_data["name"],
                token=browser_token(request),
                network=network_of_request(request),
                organiser=survey.is_organiser,
            )
        except ActionRefused as refused:
            form.add_error("name", refused.message)
        else:
            name = joined[0].name
            messages.success(request, _("Welcome, %(name)s.") % {"name": name})
            response = (
                HttpResponse(headers={"HX-Refresh": "true"})
                if request.htmx
                else redirect(survey_url(survey_id, "questions"))
            )
            remember_participant(response, token=token, name=name)
            return response
    context = {"survey": survey.survey, "survey_access": survey, "name_form": form}
    if request.htmx:
        html = render_to_string(f"{SURVEY_PAGE}#join", context, request)
        html += _status(request, _("Nothing was saved. Please check the form."), error=True)
        return retarget(reswap(HttpResponse(html, status=422), "outerHTML"), "#join")
    context = _page_context(survey, _blocks(request, survey), name_form=form)
    return render(request, SURVEY_PAGE, context, status=422)


@require_POST
@limit("idea", newcomer=True, person=participant_token)
def survey_idea_add(request: HttpRequest, survey_id: str, question_id: str) -> HttpResponse:
    """An idea added to one of the survey's questions from the survey's page (by someone who
    gave their name there); the question's own rules hold (`services.idea_add`)."""
    survey = survey_for(request, survey_id)
    access = survey.access_to(question_id)
    if not access.reader.may_take_part():
        raise Gated(access.question, access.admission.needs)
    anchor = f"q-{question_id}"
    form = _idea_form(request, access, IdeaForm(request.POST))
    refused = None
    if access.participant is None:
        refused = _("Please give your name first, at the top of the page.")
    elif not access.can_add_ideas():
        refused = _("Only the organiser adds ideas to this question.")
        if not access.is_open:
            refused = _("This question is closed.")
    elif form.is_valid():
        try:
            with transaction.atomic():
                services.idea_add(
                    question=access.question,
                    author=access.participant,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    by_organiser=access.is_organiser,
                )
        except ActionRefused as error:
            refused = error.message
        else:
            message = _("Your idea was added.")
            if not request.htmx:
                messages.success(request, message)
                return redirect(survey_url(survey_id, anchor))
            survey = survey_for(request, survey_id)
            access = survey.access_to(question_id)
            block = {
                "access": access,
                "parts": question_part(request, access),
                "form": _idea_form(request, access),
            }
            html = render_to_string(f"{SURVEY_QUESTION}#block", {"part": block}, request)
            return HttpResponse(html + _status(request, message))
    if refused is not None:
        if request.htmx:
            response = HttpResponse(_status(request, refused, error=True), status=409)
            return reswap(response, "none")
        messages.error(request, refused)
        return redirect(survey_url(survey_id, anchor))
    block = {"access": access, "form": form}
    if request.htmx:
        html = render_to_string(f"{SURVEY_QUESTION}#idea_form", {"part": block}, request)
        html += _status(request, _("Nothing was saved. Please check the form."), error=True)
        return retarget(reswap(HttpResponse(html, status=422), "outerHTML"), f"#add-{question_id}")
    context = {"survey": survey.survey, "survey_access": survey, "part": block}
    return render(request, "questions/survey_form_page.html", context, status=422)


# The organiser's -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def survey_settings(request: HttpRequest, survey_id: str) -> HttpResponse:
    """The survey's title and description, and its list of questions: add one, move one up or
    down, remove one that has no contributions yet. Each question's own settings page is linked."""
    survey = survey_for(request, survey_id)
    _organiser_only(survey)
    initial = {"title": survey.survey.title, "description": survey.survey.description}
    form = SurveyEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        survey_services.survey_update(survey=survey.survey, **form.cleaned_data)
        messages.success(request, _("Survey saved."))
        return redirect("survey_settings", survey_id)
    return _settings_page(request, survey, form=form, status=422 if form.errors else 200)


def _settings_page(
    request: HttpRequest,
    survey: SurveyAccess,
    *,
    form: SurveyEditForm | None = None,
    question_form: SurveyQuestionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    initial = {"title": survey.survey.title, "description": survey.survey.description}
    context = {
        "survey": survey.survey,
        "survey_access": survey,
        "form": form or SurveyEditForm(initial=initial),
        "question_form": question_form or SurveyQuestionForm(),
        "admin_url": request.build_absolute_uri(
            reverse("survey_admin_link", args=[survey.survey.pk, survey.admin_key])
        ),
        "share_url": request.build_absolute_uri(survey_url(survey.survey.pk)),
    }
    response = render(request, "questions/survey_settings.html", context, status=status)
    response["Cache-Control"] = "private, no-store"  # it shows the admin link
    return response


@require_POST
def survey_question_add(request: HttpRequest, survey_id: str) -> HttpResponse:
    survey = survey_for(request, survey_id)
    _organiser_only(survey)
    form = SurveyQuestionForm(request.POST)
    if form.is_valid():
        try:
            survey_services.survey_question_add(
                survey=survey.survey, title=form.cleaned_data["title"]
            )
        except ActionRefused as refused:
            form.add_error("title", refused.message)
        else:
            messages.success(request, _("Question added."))
            return redirect("survey_settings", survey_id)
    return _settings_page(request, survey, question_form=form, status=422)


@require_POST
def survey_question_change(
    request: HttpRequest, survey_id: str, question_id: str, change: str
) -> HttpResponse:
    """Move a question up or down, or remove it."""
    survey = survey_for(request, survey_id)
    _organiser_only(survey)
    question = survey.access_to(question_id).question
    if change not in ("up", "down", "remove"):
        raise Http404
    try:
        if change == "remove":
            survey_services.survey_question_remove(survey=survey.survey, question=question)
            messages.success(request, _("Question removed."))
        else:
            survey_services.survey_question_move(
                survey=survey.survey, question=question, up=change == "up"
            )
    except ActionRefused as refused:
        messages.error(request, refused.message)
    return redirect("survey_settings", survey_id)
