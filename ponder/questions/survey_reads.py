"""What a survey's page shows, read in a fixed number of queries however many questions it has.

The survey, its questions, who is asking in each (one query for all: the browser's token is the
same in every question) and their votes and likes (one query each) are read once. Each question's
part of the page then comes from the render shared by every reader of its kind at its version
(`rendering.shared_parts`, the same cache the question page uses): a question renders again only
after it changed, and the page costs the same queries for 3 questions as for 15.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString

from ponder.lib.ids import hash_secret

from .access import (
    Access,
    admission_of_request,
    participant_token,
    remembered_name,
    request_user,
    survey_organiser_key,
)
from .models import CoOrganiser, Like, Participant, Question, Survey, Vote
from .pages import IDEAS_SHOWN
from .rendering import as_html, shared_parts

SURVEY_QUESTION = "questions/survey_question.html"
IDEAS_ON_SURVEY = IDEAS_SHOWN  # of each question; its own page shows the rest


@dataclass
class SurveyAccess:
    """Who is asking about which survey: the organiser (holds its admin key) or not, and their
    access to each of its questions, in the survey's order."""

    survey: Survey
    admin_key: str | None
    questions: list[Access]

    @property
    def is_organiser(self) -> bool:
        return self.admin_key is not None

    @property
    def needs_name(self) -> bool:
        """Whether the page asks for a name: they take part in none of its open questions yet,
        or not in all of them (a question added since)."""
        return any(a.participant is None for a in self.taking_part if a.is_open)

    @property
    def viewable(self) -> list[Access]:
        """The questions this reader may view (`Reader.may_view`): only these show anything
        of themselves on any of the survey's surfaces; the others, a notice of what is
        needed and a link to the question's own page (its gate)."""
        return [a for a in self.questions if a.reader.may_view()]

    @property
    def taking_part(self) -> list[Access]:
        """The questions this reader may take part in (`Reader.may_take_part`): joining the
        survey joins these only."""
        return [a for a in self.questions if a.reader.may_take_part()]

    @property
    def my_name(self) -> str:
        return next((a.participant.name for a in self.questions if a.participant), "")

    @property
    def forget_question(self) -> Question | None:
        """A question they joined and may view, whose "not you?" the page posts to (it makes
        the browser forget them everywhere)."""
        joined = (a.question for a in self.questions if a.participant and a.reader.may_view())
        return next(joined, None)

    @property
    def all_closed(self) -> bool:
        return not any(a.is_open for a in self.questions)

    def access_to(self, question_id: str) -> Access:
        for access in self.questions:
            if access.question.pk == question_id:
                return access
        raise Http404


def survey_for(request: HttpRequest, survey_id: str) -> SurveyAccess:
    """The survey and this browser's access to each of its questions (4 queries; 404 for an
    unknown id). Its admin key makes the browser the organiser of every question; a logged-in
    account is the organiser of those it asked or co-organises (as on a question's page,
    `access.question_for`: one query more). Each question's access setting is asked as on its
    own page (`access.admission_of_request`): those it keeps out get no view of it here."""
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    admin_key = survey_organiser_key(request, survey)
    questions = list(survey.question_list())
    token = participant_token(request)
    mine: dict[str, Participant] = {}
    if token:
        found = Participant.objects.filter(question__in=questions, token_hash=hash_secret(token))
        mine = {p.question_id: p for p in found}
        _read_marks(list(mine.values()))
    organises = _administered(request, questions) if admin_key is None else set()
    accesses = []
    for question in questions:
        participant = mine.get(question.pk)
        is_organiser = admin_key is not None or question.pk in organises
        accesses.append(
            Access(
                question=question,
                participant=participant,
                is_organiser=is_organiser,
                token=token,
                admin_key=admin_key,
                admission=admission_of_request(
                    request, question, participant, organiser=is_organiser
                ),
            )
        )
    return SurveyAccess(survey=survey, admin_key=admin_key, questions=accesses)


def _administered(request: HttpRequest, questions: list[Question]) -> set[str]:
    """The ids of the questions the logged-in account administers without the survey's key
    (`access.account_administers`: it asked them, or co-organises them), in one query."""
    user = request_user(request)
    if user is None:
        return set()
    mine = {q.pk for q in questions if q.created_by_id == user.pk}
    co = CoOrganiser.objects.filter(question__in=questions, user=user)
    return mine | set(co.values_list("question_id", flat=True))


def _read_marks(participants: list[Participant]) -> None:
    """Each participant's votes and likes (`Reader` reads them from `marks`), in two queries for
    all of them."""
    if not participants:
        return
    votes: dict[str, set[str]] = defaultdict(set)
    likes: dict[str, set[str]] = defaultdict(set)
    voted = Vote.objects.filter(participant__in=participants)
    for participant_id, idea_id in voted.values_list("participant_id", "idea_id"):
        votes[participant_id].add(idea_id)
    liked = Like.objects.filter(participant__in=participants)
    for participant_id, argument_id in liked.values_list("participant_id", "argument_id"):
        likes[participant_id].add(argument_id)
    for participant in participants:
        participant.marks = (frozenset(votes[participant.pk]), frozenset(likes[participant.pk]))


def question_part(request: HttpRequest, access: Access) -> dict[str, SafeString]:
    """One question's parts of the survey page for this reader: `question` (its ideas and votes)
    and `result` (its winner, once it is closed). For a reader the question's access setting
    keeps out, nothing of it is rendered at all (not its title: the gate shows none either),
    nor taken from the render shared by its readers: a notice of what is needed, linking to
    the question's own page, where its gate lets them in."""
    if not access.reader.may_view():
        notice = render_to_string(
            f"{SURVEY_QUESTION}#gated",
            {"question_id": access.question.pk, "needs": access.admission.needs},
            request,
        )
        return {"question": notice, "result": escape("")}  # no result for them
    context: dict[str, Any] = {
        "access": access,
        "question": access.question,
        "is_open": access.is_open,
        # Its forms lead back here without the browser's Referer (`survey_page_url`).
        "survey_back": reverse("survey", args=[access.question.survey_id]),
    }
    shared = shared_parts(
        request,
        access,
        context,
        parts=("question", "result"),
        template=SURVEY_QUESTION,
        ideas_shown=IDEAS_ON_SURVEY,
    )
    return {name: as_html(html) for name, html in shared.items()}


def survey_url(survey_id: str, anchor: str = "") -> str:
    url = reverse("survey", args=[survey_id])
    return f"{url}#{anchor}" if anchor else url


BACK_FIELD = "back"  # a form on a survey's page names that page in it (`survey_back`)


def survey_page_url(request: HttpRequest, question: Question, anchor: str) -> str | None:
    """Where a form posted from a survey's page leads back to (the survey's page, at the
    question or the idea), or None when it was not posted from there. The form says so itself
    (its field `back`, which must be the page of the survey the question belongs to: nothing
    else is ever a way out, so it cannot send anyone elsewhere); else the browser does (htmx
    names its page, a `Referer` its path, where the browser sends one)."""
    if question.survey_id is None:
        return None
    own = reverse("survey", args=[question.survey_id])
    htmx = getattr(request, "htmx", None)
    came_from = (htmx.current_url_abs_path or "") if htmx else request.headers.get("Referer", "")
    named = request.POST.get(BACK_FIELD, "") if request.method == "POST" else ""
    if named != own and urlsplit(came_from).path != own:
        return None
    if not anchor.startswith(("idea-", "argument-", "status")):
        anchor = f"q-{question.pk}"
    return survey_url(question.survey_id, anchor)


def reader_name(request: HttpRequest, survey_access: SurveyAccess) -> str:
    """The name the join form offers: theirs in the survey, or the one this browser last gave."""
    return survey_access.my_name or remembered_name(request)
