"""Every write to a survey (several questions on one page) is one function here. A survey's
questions are ordinary questions: ideas, votes and settings go through `services` as on any
question; these functions make the survey, change its list of questions and let a participant
join all of them under one name."""

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ponder.lib.ids import hash_secret, new_secret

from . import services
from .models import Comment, Idea, Participant, Question, Survey
from .services import ActionRefused


def _require_room(count: int) -> None:
    most = settings.PONDER_SURVEY_QUESTIONS_MAX
    if count > most:
        raise ActionRefused(
            ngettext(
                "A survey holds at most %(n)d question.",
                "A survey holds at most %(n)d questions.",
                most,
            )
            % {"n": most},
            code="too_many_questions",
        )


def _lock(survey: Survey) -> Survey:
    # Lock the survey row: two quick additions must not both take the last place.
    try:
        return Survey.objects.select_for_update().get(pk=survey.pk)
    except Survey.DoesNotExist:
        raise ActionRefused(_("This survey has been deleted."), code="deleted") from None


def _new_question(survey: Survey, title: str, position: int) -> Question:
    # Each question has an admin key of its own (never shown): the survey's key is the one its
    # organiser holds, and it organises every question of the survey.
    return Question.objects.create(
        title=title,
        admin_key_hash=hash_secret(new_secret()),
        survey=survey,
        survey_position=position,
    )


@transaction.atomic
def survey_create(*, title: str, description: str = "", questions: list[str]) -> tuple[Survey, str]:
    """A survey with its questions (titles, at least one, in their order); returns it with its
    admin key, which is stored only as a hash."""
    if not questions:
        raise ActionRefused(_("Add at least one question."), code="no_questions")
    _require_room(len(questions))
    admin_key = new_secret()
    survey = Survey.objects.create(
        title=title, description=description, admin_key_hash=hash_secret(admin_key)
    )
    for position, question_title in enumerate(questions):
        _new_question(survey, question_title, position)
    return survey, admin_key


@transaction.atomic
def survey_update(*, survey: Survey, title: str, description: str) -> Survey:
    """A new title or description; each question's page names its survey, so each question
    announces a change (its shared renders are made again, open pages reload)."""
    survey = _lock(survey)
    survey.title, survey.description = title, description
    survey.save(update_fields=["title", "description"])
    for question in survey.question_list():
        services.announce_change(question=question)
    return survey


@transaction.atomic
def survey_question_add(*, survey: Survey, title: str) -> Question:
    """A new question at the end of the survey (while it has room)."""
    survey = _lock(survey)
    _require_room(survey.questions.count() + 1)
    last = survey.questions.aggregate(last=Max("survey_position"))["last"]
    return _new_question(survey, title, 0 if last is None else last + 1)


@transaction.atomic
def survey_question_remove(*, survey: Survey, question: Question) -> None:
    """Take a question out of the survey and delete it: only while nobody has added an idea or
    a comment to it (what people wrote is never deleted by a change of the list), and never the
    last one."""
    survey = _lock(survey)
    if question.survey_id != survey.pk:
        raise ActionRefused(_("This question is not part of the survey."), code="not_in_survey")
    if survey.questions.count() <= 1:
        raise ActionRefused(_("A survey keeps at least one question."), code="last_question")
    has_ideas = Idea.objects.filter(question=question).exists()
    if has_ideas or Comment.objects.filter(question=question).exists():
        raise ActionRefused(
            _("This question has contributions already, so it stays in the survey."),
            code="has_contributions",
        )
    services.question_delete(question=question)


@transaction.atomic
def survey_question_move(*, survey: Survey, question: Question, up: bool) -> None:
    """Move a question one place up or down in the survey (nothing at either end)."""
    survey = _lock(survey)
    order = list(survey.question_list())
    place = next((n for n, q in enumerate(order) if q.pk == question.pk), None)
    if place is None:
        raise ActionRefused(_("This question is not part of the survey."), code="not_in_survey")
    other = place - 1 if up else place + 1
    if not 0 <= other < len(order):
        return
    order[place], order[other] = order[other], order[place]
    for position, each in enumerate(order):
        if each.survey_position != position:
            Question.objects.filter(pk=each.pk).update(survey_position=position)


@transaction.atomic
def survey_join(
    *,
    survey: Survey,
    questions: list[Question],
    name: str,
    token: str | None = None,
    network: str = "",
    organiser: bool = False,
) -> tuple[list[Participant], str]:
    """Take part in every open one of `questions` (the survey's questions the caller may take
    part in, `Reader.may_take_part`: joining one is what lets a browser into it after, so a
    question that keeps them out is never joined here) under `name`, with one token (as
    `services.participant_join` on each: a participant already there is renamed). A name that
    looks like another participant's in any of them is refused for all (nothing is joined).

    Returns the participants (one per open question) and the token."""
    token = token or new_secret()
    if any(q.survey_id != survey.pk for q in questions):
        raise ActionRefused(_("This question is not part of the survey."), code="not_in_survey")
    if not any(q.is_open() for q in survey.question_list()):
        raise ActionRefused(_("Every question of this survey is closed."), code="closed")
    questions = [q for q in questions if q.is_open()]
    if not questions:
        raise ActionRefused(
            _("You cannot take part in any open question of this survey here."),
            code="gated",
        )
    joined = [
        services.participant_join(
            question=question, name=name, token=token, network=network, organiser=organiser
        )[0]
        for question in questions
    ]
    return joined, token
