"""The question's side of its live stream: which question, whether it may be streamed, and what
its events may carry for every reader alike (`describe`). The stream itself is
`ponder.live.views.stream`, which knows only ids and versions."""

from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from ponder.live.db import db_read
from ponder.live.models import Event
from ponder.live.views import Recheck, merged_stream, stream
from ponder.ratelimit import bearer_token, limit

from . import hot
from .access import Gated, question_for, question_for_token, shown_to_everyone
from .gates import gated_json
from .models import Idea, Question, Survey, TakingPart
from .pages import VOTERS_SHOWN, named_voters, voter_counts
from .survey_reads import survey_for

TALLY_EVENTS = frozenset({"vote.cast", "vote.retracted"})
# The changes after which an open stream asks the reader rule again whether its reader may still
# view the question: a change of who may take part (the setting, a password), a revoked
# invitation, a co-organiser removed (all "question.changed"), a participant removed.
ACCESS_EVENTS = frozenset({"question.changed", "participants.removed"})


def describe(question_id: str, events: list[Event]) -> None:
    """Put each vote's tally into its event (`Event.public`): the idea's count, its first
    voters and how many more, as every reader of the page sees them. Read now, once for all the
    events of one read of the log and all their listeners, so at least as new as each event.

    Only what the reader rule shows to everyone goes in (`access.shown_to_everyone`): with
    counts withheld from anyone, the event carries ids only and each page fetches its own view;
    with names withheld, no names."""
    ideas = {event.ids.get("idea") for event in events if event.type in TALLY_EVENTS}
    ideas.discard(None)
    if not ideas:
        return
    fresh = not connection.in_atomic_block  # else a caller's transaction decides (tests)
    with transaction.atomic():
        if fresh and connection.vendor == "postgresql":
            # The count and the voters from one snapshot: read one after the other, a vote
            # committed in between showed two voters with a count of one.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        _describe(question_id, events, ideas)


def _describe(question_id: str, events: list[Event], ideas: set[str]) -> None:
    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        return
    counts_shown, names_shown = shown_to_everyone(question)
    if not counts_shown:
        # Nor which idea: vote after vote, that adds up to the tally. (A vote logged since
        # the tally was hidden names none already: `services.tally_ids`.)
        for event in events:
            if event.type in TALLY_EVENTS:
                event.ids = {}
        return
    # A hidden idea's tally goes to nobody: every page receives the event alike.
    shown = Idea.objects.filter(pk__in=ideas, question_id=question_id, hidden_reason="")
    counts = dict(shown.values_list("pk", "vote_count"))
    voters = hot.first_voters(list(counts), per_idea=VOTERS_SHOWN) if names_shown and counts else {}
    people = voter_counts(question, list(counts)) if names_shown else None
    for event in events:
        idea = event.ids.get("idea")
        if event.type in TALLY_EVENTS and idea in counts:
            # The names the page's vote box shows: the one rule for both (pages.named_voters).
            voting = counts[idea] if people is None else people[idea]
            shown = named_voters(list(voters.get(idea, ())), voting)
            more = voting - len(shown) if shown else 0  # no names, no "and 3 more"
            event.public = {"count": counts[idea], "voters": shown, "more": more}


@db_read
def _admitted_version(request: HttpRequest, question_id: str) -> int | None:
    """The question's version, if the caller may view it (else `Gated`); None if there is no
    such question. The reader rule decides, as for the page (a browser's cookies) or the API
    (a bearer token, when one is sent)."""
    found = Question.objects.filter(pk=question_id).values_list("version", "taking_part").first()
    if found is None:
        return None
    version, taking_part = found
    if taking_part != TakingPart.LINK:
        if "Authorization" in request.headers:
            question_for_token(question_id, bearer_token(request))
        else:
            question_for(request, question_id)
    return version


def _recheck(request: HttpRequest, question_id: str) -> Recheck:
    """For `stream`: after a change of who may view the question, whether the stream's reader
    (its cookies, or its bearer token) still may, as when it connected (`_admitted_version`)."""

    async def still_admitted(batch: list[Event]) -> bool:
        if not any(event.type in ACCESS_EVENTS for event in batch):
            return True
        try:
            return await _admitted_version(request, question_id) is not None
        except (Gated, Http404):
            return False

    return still_admitted


@limit("stream", methods=("GET",))
async def question_events(request: HttpRequest, question_id: str) -> HttpResponse:
    """`GET /q/<id>/events` and `GET /api/v1/questions/<id>/events`: the question's changes as
    server-sent events, from the version the client last saw."""
    if request.method != "GET":
        detail = {"detail": _("Only GET is allowed here.")}
        return JsonResponse(detail, status=405, headers={"Allow": "GET"})
    try:
        current = await _admitted_version(request, question_id)
    except Gated as gated:
        return gated_json(gated)
    if current is None:
        raise Http404
    return await stream(request, question_id, current, recheck=_recheck(request, question_id))


@db_read
def _survey_versions(request: HttpRequest, survey_id: str) -> dict[str, int] | None:
    """The version of each of the survey's questions the caller may view (as on the survey's
    page, `survey_reads.survey_for`): a question its access setting keeps them out of is not
    streamed at all (its own stream refuses them too). None if there is no such survey. As on
    a question's stream (`_admitted_version`), a bearer token, when one is sent, decides instead
    of the browser's cookies."""
    if "Authorization" not in request.headers:
        try:
            survey = survey_for(request, survey_id)
        except Http404:
            return None
        return {a.question.pk: a.question.version for a in survey.viewable}
    if not Survey.objects.filter(pk=survey_id).exists():
        return None
    token = bearer_token(request)
    found = Question.objects.filter(survey_id=survey_id).values_list("pk", "version", "taking_part")
    return {
        pk: version
        for pk, version, taking_part in found
        if taking_part == TakingPart.LINK
        or question_for_token(pk, token, gate=False).reader.may_view()
    }


@limit("stream", methods=("GET",))
async def survey_events(request: HttpRequest, survey_id: str) -> HttpResponse:
    """`GET /s/<id>/events`: a change to any of the survey's questions, as one stream (the
    survey's page then fetches that question's part again)."""
    if request.method != "GET":
        detail = {"detail": _("Only GET is allowed here.")}
        return JsonResponse(detail, status=405, headers={"Allow": "GET"})
    versions = await _survey_versions(request, survey_id)
    if versions is None:
        raise Http404
    # After a change of who may view one of its questions, the reader rule is asked again for
    # that question, as on the question's own stream.
    return await merged_stream(
        request, versions, recheck=lambda question_id: _recheck(request, question_id)
    )
