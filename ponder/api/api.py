"""The JSON API under /api/v1/ (docs/product-rules.md P8). Thin: every endpoint finds who is asking
(`auth`), calls the same service the page calls, and answers with the page's read (`shapes`).

Who may do what is decided in `auth` with the pages' own rules; errors are JSON (`errors`); bad
input never gives a 500.
"""

import zoneinfo
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, reverse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Path, Query
from ninja.operation import Operation
from ninja.responses import Status

from ponder.questions import hot, services
from ponder.questions.access import Access, argument_for, comment_for, idea_for
from ponder.questions.crowds import NETWORK_PATTERN, crowds_of, network_of_request
from ponder.questions.forms import QuestionSettingsForm
from ponder.questions.models import Argument, Comment, Idea, Question
from ponder.questions.shapes import (
    COMMENTS_PER_READ,
    IDEAS_PER_READ,
    argument_data,
    comment_data,
    comments_data,
    idea_data,
    question_data,
    read,
    results_data,
)
from ponder.ratelimit import bearer_token, limit_operation

from . import auth, errors
from .docs import ReferencePage
from .errors import Invalid
from .schemas import (
    ID_PATTERN,
    AdminTokenOut,
    ArgumentIn,
    ArgumentOut,
    ArgumentPatch,
    CommentIn,
    CommentOut,
    CommentPatch,
    CommentsOut,
    CrowdRemoved,
    CrowdRemoveIn,
    CrowdsOut,
    DuplicateIn,
    Error,
    IdeaIn,
    IdeaOut,
    IdeaPatch,
    IdeasOut,
    ParticipantIn,
    ParticipantOut,
    QuestionCreated,
    QuestionIn,
    QuestionOut,
    QuestionPatch,
    ResultsOut,
    SettingsIn,
)
from .shared import ideas_response, question_response

DESCRIPTION = """\
Everything the pages do, as JSON. Send `Authorization: Bearer <token>` where a token is needed:
the `admin_token` you got when creating a question (you are its organiser), or the `token` you got
when taking part (`POST /api/v1/questions/{id}/participants`). A token belongs to one question.
The organiser takes part too by sending a name to the participants endpoint with the admin token.

Live updates: `GET /api/v1/questions/{id}/events` (server-sent events, no token needed).

Rate limits: per token, 100 votes, likes, ideas, arguments or comments an hour each; per question
and client address, 1,000 new names an hour; per address, backstops sized for a room of a
thousand people behind one address. Over a limit the answer is 429 with `Retry-After` (seconds to
wait). The organiser sees the names that joined from one network (`/crowds`) and can remove them.
"""


class PonderAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation.view_func.__name__  # "vote_cast", as the services are named

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        return [
            URLPattern(p.pattern, errors.json_405(p.callback), p.default_args, p.name)
            if isinstance(p, URLPattern)
            else p
            for p in super()._get_urls()
        ]


api = PonderAPI(
    title="Ponder API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=auth.bearer,  # every endpoint needs a token unless it says otherwise
    docs=ReferencePage(),  # /api/v1/docs: our own page, drawn from the OpenAPI document
)
for _exception, _handler in errors.HANDLERS.items():
    api.add_exception_handler(_exception, _handler)

OPTIONAL_TOKEN = {"security": [{"BearerToken": []}, {}]}
QuestionId = Path(..., pattern=ID_PATTERN, description="The question's id.")
IdeaId = Path(..., pattern=ID_PATTERN, description="The idea's id.")
ArgumentId = Path(..., pattern=ID_PATTERN, description="The argument's id.")
CommentId = Path(..., pattern=ID_PATTERN, description="The comment's id.")


def _errors(*statuses: int) -> dict[int, type[Error]]:
    return dict.fromkeys(statuses, Error)


# Helpers ------------------------------------------------------------------------------------


def _share_url(request: HttpRequest, question: Question) -> str:
    return request.build_absolute_uri(reverse("question", args=[question.pk]))


def _question(request: HttpRequest, access: Access) -> dict[str, Any]:
    share_url = _share_url(request, access.question)
    return question_data(access, share_url=share_url, ideas_shown=IDEAS_PER_READ)


def _idea(access: Access, idea_id: str, *, capped: bool = False) -> dict[str, Any]:
    """The idea as its own read shows it, or `capped` as a question's read does (the answer to a
    vote: its size must not grow with the idea's votes)."""
    page = read(access, idea_ids=[idea_id], comments=False, capped=capped)
    if not page.ideas:
        raise Http404  # deleted meanwhile
    return idea_data(page.ideas[0])


def _argument(access: Access, argument: Argument) -> dict[str, Any]:
    page = read(access, idea_ids=[argument.idea_id], comments=False, voters=False)
    for idea in page.ideas:
        for shown in idea.argument_list:
            if shown.pk == argument.pk:
                return argument_data(shown)
    raise Http404  # deleted meanwhile


def _question_of(model: type[Model], pk: str) -> str:
    """The question an idea, argument or comment belongs to; 404 if there is no such entry."""
    question_id = hot.question_id_of(model, pk)
    if question_id is None:
        raise Http404
    return question_id


def _checked_settings(
    question: Question, fields: dict[str, Any], settings_in: SettingsIn | None
) -> dict[str, Any]:
    """Check a question's title, description and settings with the settings form of the pages,
    as the organiser would have typed them; returns what `services.question_update` takes."""
    initial = QuestionSettingsForm.initial_for(question)
    given = settings_in.model_dump(exclude_unset=True) if settings_in else {}
    data = {**initial, **fields, **given}
    if isinstance(data["embed_origins"], list):  # the form reads them as typed, one a line
        data["embed_origins"] = "\n".join(data["embed_origins"])
    # The API speaks in instants; the form, in wall-clock time in the question's time zone.
    for name in ("deadline", "ideas_until"):
        moment: datetime | None = given.get(name, getattr(question, name))
        if moment is not None:
            try:
                wall = moment.astimezone(zoneinfo.ZoneInfo(data["time_zone"]))
            except OverflowError:
                message = (
                    _("The deadline is too far in the future.")
                    if name == "deadline"
                    else _("The end of collecting ideas is too far in the future.")
                )
                raise Invalid([(f"settings.{name}", message)]) from None
            data[name] = wall.replace(tzinfo=None)  # a new one with seconds is refused
    form = QuestionSettingsForm(data, initial=initial)
    if not form.is_valid():
        raise Invalid(
            [
                (name if name in {"title", "description"} else f"settings.{name}", message)
                for name, messages in form.errors.items()
                for message in messages
            ]
        )
    return form.cleaned_data


# Questions ----------------------------------------------------------------------------------


@api.post(
    "/questions",
    auth=None,
    response={201: QuestionCreated, **_errors(400, 413)},
    summary="Ask a question",
    description="No token needed. The answer holds the organiser's `admin_token`: keep it.",
    tags=["questions"],
)
@limit_operation("question")
def question_create(request: HttpRequest, payload: QuestionIn) -> Status:
    new = Question(time_zone=settings.PONDER_TIME_ZONE)
    fields = {"title": payload.title, "description": payload.description}
    checked = _checked_settings(new, fields, payload.settings)
    with transaction.atomic():
        question, admin_key = services.question_create(**fields)
        if payload.settings is not None:
            question = services.question_update(question=question, **checked)
    admin_url = reverse("admin_link", args=[question.pk, admin_key])
    return Status(
        201,
        {
            "id": question.pk,
            "title": question.title,
            "share_url": _share_url(request, question),
            "admin_url": request.build_absolute_uri(admin_url),
            "admin_token": admin_key,
        },
    )


@api.get(
    "/questions/{question_id}",
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    response={200: QuestionOut, **_errors(401, 404)},
    summary="Read a question",
    description="With a token, `me`, `voted`, `liked` and `changeable` are yours. It holds the "
    "leading 100 ideas; `ideas_next` is the path of the rest.",
    tags=["questions"],
)
def question_detail(request: HttpRequest, question_id: str = QuestionId) -> HttpResponse:
    # Read once per question version for everybody, then made this caller's (shared.py).
    access = auth.reader(request, question_id)
    share_url = _share_url(request, access.question)
    return question_response(request, access, share_url=share_url, api=api)


@api.get(
    "/questions/{question_id}/ideas",
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    response={200: IdeasOut, **_errors(400, 401, 404)},
    summary="Read a page of a question's ideas",
    description="In the question's order (most votes first). A page read after votes have "
    "changed the order may repeat or miss an idea: compare `version` with the previous page's.",
    tags=["ideas"],
)
def question_ideas(
    request: HttpRequest,
    question_id: str = QuestionId,
    offset: int = Query(0, ge=0, le=1_000_000, description="How many ideas to skip."),
    limit: int = Query(
        IDEAS_PER_READ, ge=1, le=IDEAS_PER_READ, description="How many ideas (at most 100)."
    ),
) -> HttpResponse:
    access = auth.reader(request, question_id)
    return ideas_response(request, access, ideas_from=offset, ideas_shown=limit, api=api)


@api.patch(
    "/questions/{question_id}",
    response={200: QuestionOut, **_errors(400, 401, 404, 409, 413)},
    summary="Change a question and its settings (organiser)",
    tags=["questions"],
)
def question_update(
    request: HttpRequest, payload: QuestionPatch, question_id: str = QuestionId
) -> dict[str, Any]:
    access = auth.organiser(request, question_id)
    fields = payload.model_dump(exclude_unset=True, include={"title", "description"})
    checked = _checked_settings(access.question, fields, payload.settings)
    access.question = services.question_update(question=access.question, **checked)
    return _question(request, access)


@api.post(
    "/questions/{question_id}/close",
    response={200: QuestionOut, **_errors(401, 404, 409)},
    summary="Close a question (organiser)",
    tags=["questions"],
)
def question_close(request: HttpRequest, question_id: str = QuestionId) -> dict[str, Any]:
    access = auth.organiser(request, question_id)
    access.question = services.question_close(question=access.question)
    return _question(request, access)


@api.post(
    "/questions/{question_id}/reopen",
    response={200: QuestionOut, **_errors(401, 404, 409)},
    summary="Reopen a question (organiser)",
    description="A deadline that has passed is removed, or it would close the question again.",
    tags=["questions"],
)
def question_reopen(request: HttpRequest, question_id: str = QuestionId) -> dict[str, Any]:
    access = auth.organiser(request, question_id)
    access.question = services.question_reopen(question=access.question)
    return _question(request, access)


@api.delete(
    "/questions/{question_id}",
    response={204: None, **_errors(401, 404, 409)},
    summary="Delete a question with everything on it (organiser)",
    description="Everything on it is deleted at once. Its links, and this API's paths of it, "
    "answer 410 Gone afterwards.",
    tags=["questions"],
)
def question_delete(request: HttpRequest, question_id: str = QuestionId) -> Status:
    access = auth.organiser(request, question_id)
    services.question_delete(question=access.question)
    return Status(204, None)


@api.post(
    "/questions/{question_id}/duplicate",
    response={201: QuestionCreated, **_errors(400, 401, 404, 409)},
    summary="Duplicate a question (organiser)",
    description="A new question with this one's title, description and settings, and a new id "
    "and `admin_token` (keep it). With `ideas`, its ideas too, and with `arguments` their pros "
    "and cons, as the organiser's in the copy. Participants, votes, likes and comments are "
    "never copied.",
    tags=["questions"],
)
@limit_operation("question")  # a copy is a new question
def question_duplicate(
    request: HttpRequest, payload: DuplicateIn, question_id: str = QuestionId
) -> Status:
    access = auth.organiser(request, question_id)
    if payload.arguments and not payload.ideas:
        message = _("Pros and cons are copied only with their ideas: send ideas: true too.")
        raise Invalid([("arguments", message)])
    question, admin_key = services.question_duplicate(
        question=access.question, with_ideas=payload.ideas, with_arguments=payload.arguments
    )
    admin_url = reverse("admin_link", args=[question.pk, admin_key])
    return Status(
        201,
        {
            "id": question.pk,
            "title": question.title,
            "share_url": _share_url(request, question),
            "admin_url": request.build_absolute_uri(admin_url),
            "admin_token": admin_key,
        },
    )


@api.post(
    "/questions/{question_id}/admin-token",
    response={200: AdminTokenOut, **_errors(401, 404, 409)},
    summary="Replace the admin token and link (organiser)",
    description="The old `admin_token` and `admin_url` stop working at once, for every client "
    "and browser. If the organiser took part under the old token, they take part under the new "
    "one. Keep the new token: it is not shown again.",
    tags=["questions"],
)
def question_admin_key_replace(
    request: HttpRequest, question_id: str = QuestionId
) -> dict[str, Any]:
    access = auth.organiser(request, question_id)
    question, admin_key = services.question_admin_key_replace(question=access.question)
    admin_url = reverse("admin_link", args=[question.pk, admin_key])
    return {"admin_url": request.build_absolute_uri(admin_url), "admin_token": admin_key}


@api.get(
    "/questions/{question_id}/crowds",
    response={200: CrowdsOut, **_errors(401, 404)},
    summary="Many new names from one network (organiser)",
    description="The networks from which 10 names or more joined in the last hour, with the "
    "names: a class behind one address, or a script. Your own name is in none.",
    tags=["participants"],
)
def question_crowds(request: HttpRequest, question_id: str = QuestionId) -> dict[str, Any]:
    access = auth.organiser(request, question_id)
    found = crowds_of(access.question, besides=access.participant)
    return {
        "crowds": [
            {
                "network": crowd.network,
                "count": crowd.count,
                "since": crowd.since,
                "until": crowd.until,
                "names": [
                    {"id": p.pk, "name": p.name, "joined_at": p.created_at} for p in crowd.names
                ],
            }
            for crowd in found
        ]
    }


@api.post(
    "/questions/{question_id}/crowds/{network}/remove",
    response={200: CrowdRemoved, **_errors(400, 401, 404, 409)},
    summary="Remove a crowd of names and everything they wrote and voted (organiser)",
    description="Send `since` and `until` as the crowd's read gave them: the names from that "
    "network that joined after `since` and until `until` are removed, with their ideas, pros "
    "and cons, comments, votes and likes.",
    tags=["participants"],
)
def crowd_remove(
    request: HttpRequest,
    payload: CrowdRemoveIn,
    question_id: str = QuestionId,
    network: str = Path(..., pattern=NETWORK_PATTERN, description="The crowd's network."),
) -> dict[str, Any]:
    access = auth.organiser(request, question_id)
    removed = services.crowd_remove(
        question=access.question, network=network, since=payload.since, until=payload.until
    )
    return {"removed": removed}


@api.get(
    "/questions/{question_id}/results",
    auth=None,
    response={200: ResultsOut, **_errors(401, 403, 404)},
    summary="The ranking by votes",
    description="While the question is open, the ranking so far; 403 while its tally is hidden "
    "(only the organiser's token reads it then, if they chose to see it).",
    tags=["questions"],
    openapi_extra=OPTIONAL_TOKEN,
)
def question_results(request: HttpRequest, question_id: str = QuestionId) -> Any:
    access = auth.reader(request, question_id)
    if not access.reader.sees_counts():
        return Status(403, {"detail": _("The votes are hidden until the question closes.")})
    return results_data(access)


# Taking part --------------------------------------------------------------------------------


@api.post(
    "/questions/{question_id}/participants",
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    response={200: ParticipantOut, 201: ParticipantOut, **_errors(400, 401, 404, 409, 413)},
    summary="Take part by name",
    description="Without a token: you get a new `token` (201). With your token: you change your "
    "name (200). With the admin token: the organiser takes part under it (201).",
    tags=["participants"],
)
@limit_operation("join")
def participant_join(
    request: HttpRequest, payload: ParticipantIn, question_id: str = QuestionId
) -> Status:
    access = auth.writer(request, question_id)
    participant, token = services.participant_join(
        question=access.question,
        name=payload.name,
        token=access.token,
        network=network_of_request(request),
        organiser=access.is_organiser,
    )
    status = 200 if access.participant is not None else 201
    return Status(status, {"id": participant.pk, "name": participant.name, "token": token})


# Ideas and votes ----------------------------------------------------------------------------


@api.post(
    "/questions/{question_id}/ideas",
    response={201: IdeaOut, **_errors(400, 401, 403, 404, 409, 413)},
    summary="Add an idea",
    tags=["ideas"],
)
@limit_operation("idea", person=bearer_token)
def idea_add(request: HttpRequest, payload: IdeaIn, question_id: str = QuestionId) -> Status:
    access = auth.participant(request, question_id)
    idea = services.idea_add(
        question=access.question,
        author=access.participant,
        title=payload.title,
        description=payload.description,
        by_organiser=access.is_organiser,
    )
    return Status(201, _idea(access, idea.pk))


@api.get(
    "/questions/{question_id}/ideas/{idea_id}",
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    response={200: IdeaOut, **_errors(401, 404)},
    summary="Read an idea with its arguments and all its voters",
    description="Anyone with the question's link. With a token, `voted`, `liked` and "
    "`changeable` are yours.",
    tags=["ideas"],
)
def question_idea(
    request: HttpRequest, question_id: str = QuestionId, idea_id: str = IdeaId
) -> dict[str, Any]:
    access = auth.reader(request, question_id)
    return _idea(access, idea_for(access, idea_id).pk)


@api.get(
    "/ideas/{idea_id}",
    response={200: IdeaOut, **_errors(401, 404)},
    summary="Read an idea by its id alone (with a token of its question)",
    description="The admin token or a participant's token of the idea's question; any other "
    "token gets 404. Without a token, read it under its question: "
    "`GET /api/v1/questions/{question_id}/ideas/{idea_id}`.",
    tags=["ideas"],
)
def idea_detail(request: HttpRequest, idea_id: str = IdeaId) -> dict[str, Any]:
    # An idea's id is short enough to guess; the question's id is the private link. So without
    # it, only a token of the question reads the idea. The door (auth.bearer) refuses a request
    # without a token before the idea is looked up, so such a request never learns if it exists.
    access = auth.member(request, _question_of(Idea, idea_id))
    return _idea(access, idea_for(access, idea_id).pk)


@api.patch(
    "/ideas/{idea_id}",
    response={200: IdeaOut, **_errors(400, 401, 404, 409, 413)},
    summary="Edit an idea (its author or the organiser)",
    tags=["ideas"],
)
def idea_update(request: HttpRequest, payload: IdeaPatch, idea_id: str = IdeaId) -> dict[str, Any]:
    access = auth.changer(request, _question_of(Idea, idea_id))
    idea = idea_for(access, idea_id)
    auth.may_change(access, idea)
    changes = payload.model_dump(exclude_unset=True)
    services.idea_update(
        idea=idea,
        title=changes.get("title", idea.title),
        description=changes.get("description", idea.description),
        by_organiser=access.is_organiser,
    )
    return _idea(access, idea.pk)


@api.delete(
    "/ideas/{idea_id}",
    response={204: None, **_errors(401, 404, 409)},
    summary="Delete an idea (its author or the organiser)",
    tags=["ideas"],
)
def idea_delete(request: HttpRequest, idea_id: str = IdeaId) -> Status:
    access = auth.changer(request, _question_of(Idea, idea_id))
    idea = idea_for(access, idea_id)
    auth.may_change(access, idea)
    services.idea_delete(idea=idea)
    return Status(204, None)


@api.put(
    "/ideas/{idea_id}/vote",
    response={200: IdeaOut, **_errors(401, 403, 404, 409)},
    summary="Vote for an idea",
    description="Voting again keeps one vote. Where the organiser lets people put several votes "
    "on one idea (`max_votes_per_idea`), `?votes=3` puts 3 of your votes on it (fewer takes "
    "some back). 409 when the question is closed, your votes are used up, or more "
    "than `max_votes_per_idea` are asked for.",
    tags=["ideas"],
)
@limit_operation("vote", person=bearer_token)
def vote_cast(
    request: HttpRequest,
    idea_id: str = IdeaId,
    votes: int | None = Query(
        None,
        ge=1,
        le=100,
        description="How many of your votes to have on the idea, where the organiser allows "
        "several per idea (`max_votes_per_idea`). The same number again changes nothing; fewer "
        "takes some back. Without it: one vote, or the ones you have.",
    ),
) -> dict[str, Any]:
    access = auth.participant(request, _question_of(Idea, idea_id))
    idea = idea_for(access, idea_id)
    if votes is None:
        services.vote_cast(idea=idea, participant=access.participant)
    else:
        services.vote_set(idea=idea, participant=access.participant, votes=votes)
    return _idea(access, idea.pk, capped=True)


@api.delete(
    "/ideas/{idea_id}/vote",
    response={200: IdeaOut, **_errors(401, 403, 404, 409)},
    summary="Take your vote back (all of your votes on the idea)",
    tags=["ideas"],
)
@limit_operation("vote", person=bearer_token)
def vote_retract(request: HttpRequest, idea_id: str = IdeaId) -> dict[str, Any]:
    access = auth.participant(request, _question_of(Idea, idea_id))
    idea = idea_for(access, idea_id)
    services.vote_retract(idea=idea, participant=access.participant)
    return _idea(access, idea.pk, capped=True)


# Arguments and likes ------------------------------------------------------------------------


@api.post(
    "/ideas/{idea_id}/arguments",
    response={201: ArgumentOut, **_errors(400, 401, 403, 404, 409, 413)},
    summary="Add a pro or con to an idea",
    tags=["arguments"],
)
@limit_operation("argument", person=bearer_token)
def argument_add(request: HttpRequest, payload: ArgumentIn, idea_id: str = IdeaId) -> Status:
    access = auth.participant(request, _question_of(Idea, idea_id))
    idea = idea_for(access, idea_id)
    argument = services.argument_add(
        idea=idea,
        author=access.participant,
        kind=payload.kind,
        text=payload.text,
        by_organiser=access.is_organiser,
    )
    return Status(201, _argument(access, argument))


@api.patch(
    "/arguments/{argument_id}",
    response={200: ArgumentOut, **_errors(400, 401, 404, 409, 413)},
    summary="Edit a pro or con (its author or the organiser)",
    tags=["arguments"],
)
def argument_update(
    request: HttpRequest, payload: ArgumentPatch, argument_id: str = ArgumentId
) -> dict[str, Any]:
    access = auth.changer(request, _question_of(Argument, argument_id))
    argument = argument_for(access, argument_id)
    auth.may_change(access, argument)
    changes = payload.model_dump(exclude_unset=True)
    services.argument_update(
        argument=argument,
        kind=changes.get("kind", argument.kind),
        text=changes.get("text", argument.text),
        by_organiser=access.is_organiser,
    )
    return _argument(access, argument)


@api.delete(
    "/arguments/{argument_id}",
    response={204: None, **_errors(401, 404, 409)},
    summary="Delete a pro or con (its author or the organiser)",
    tags=["arguments"],
)
def argument_delete(request: HttpRequest, argument_id: str = ArgumentId) -> Status:
    access = auth.changer(request, _question_of(Argument, argument_id))
    argument = argument_for(access, argument_id)
    auth.may_change(access, argument)
    services.argument_delete(argument=argument)
    return Status(204, None)


@api.put(
    "/arguments/{argument_id}/like",
    response={200: ArgumentOut, **_errors(401, 403, 404, 409)},
    summary="Like a pro or con",
    description="Liking again keeps one like.",
    tags=["arguments"],
)
@limit_operation("like", person=bearer_token)
def like_add(request: HttpRequest, argument_id: str = ArgumentId) -> dict[str, Any]:
    access = auth.participant(request, _question_of(Argument, argument_id))
    argument = argument_for(access, argument_id)
    services.like_add(argument=argument, participant=access.participant)
    return _argument(access, argument)


@api.delete(
    "/arguments/{argument_id}/like",
    response={200: ArgumentOut, **_errors(401, 403, 404, 409)},
    summary="Take your like back",
    tags=["arguments"],
)
@limit_operation("like", person=bearer_token)
def like_remove(request: HttpRequest, argument_id: str = ArgumentId) -> dict[str, Any]:
    access = auth.participant(request, _question_of(Argument, argument_id))
    argument = argument_for(access, argument_id)
    services.like_remove(argument=argument, participant=access.participant)
    return _argument(access, argument)


# Comments -----------------------------------------------------------------------------------


@api.post(
    "/questions/{question_id}/comments",
    response={201: CommentOut, **_errors(400, 401, 403, 404, 409, 413)},
    summary="Comment on a question",
    tags=["comments"],
)
@limit_operation("comment", person=bearer_token)
def comment_add(request: HttpRequest, payload: CommentIn, question_id: str = QuestionId) -> Status:
    access = auth.participant(request, question_id)
    comment = services.comment_add(
        question=access.question, author=access.participant, text=payload.text
    )
    return Status(201, comment_data(access, comment))


@api.get(
    "/questions/{question_id}/comments",
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    response={200: CommentsOut, **_errors(400, 401, 404)},
    summary="Read a page of a question's comments",
    description="Oldest first. A question's read holds the latest 100; `comments_earlier` is the "
    "path of the page before them.",
    tags=["comments"],
)
def question_comments(
    request: HttpRequest,
    question_id: str = QuestionId,
    offset: int = Query(0, ge=0, le=1_000_000, description="How many comments to skip."),
    limit: int = Query(
        COMMENTS_PER_READ,
        ge=1,
        le=COMMENTS_PER_READ,
        description="How many comments (at most 100).",
    ),
) -> dict[str, Any]:
    access = auth.reader(request, question_id)
    return comments_data(access, offset=offset, limit=limit)


@api.patch(
    "/comments/{comment_id}",
    response={200: CommentOut, **_errors(400, 401, 404, 409, 413)},
    summary="Edit a comment (its author or the organiser)",
    tags=["comments"],
)
def comment_update(
    request: HttpRequest, payload: CommentPatch, comment_id: str = CommentId
) -> dict[str, Any]:
    access = auth.changer(request, _question_of(Comment, comment_id))
    comment = comment_for(access, comment_id)
    auth.may_change(access, comment)
    changes = payload.model_dump(exclude_unset=True)
    comment = services.comment_update(
        comment=comment, text=changes.get("text", comment.text), by_organiser=access.is_organiser
    )
    return comment_data(access, comment)


@api.delete(
    "/comments/{comment_id}",
    response={204: None, **_errors(401, 404, 409)},
    summary="Delete a comment (its author or the organiser)",
    tags=["comments"],
)
def comment_delete(request: HttpRequest, comment_id: str = CommentId) -> Status:
    access = auth.changer(request, _question_of(Comment, comment_id))
    comment = comment_for(access, comment_id)
    auth.may_change(access, comment)
    services.comment_delete(comment=comment)
    return Status(204, None)
