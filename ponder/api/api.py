"""The JSON API under /api/v1/ (docs/product-rules.md P8). Thin: every endpoint finds who is asking
(`auth`), calls the same service the page calls, and answers with the page's read (`shapes`).

Who may do what is decided in `auth` with the pages' own rules; errors are JSON (`errors`); bad
input never gives a 500.
"""

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, reverse
from django.utils.translation import gettext as _
from ninja import File, Form, NinjaAPI, Path, Query, Schema, UploadedFile
from ninja.errors import AuthenticationError, HttpError
from ninja.operation import Operation
from ninja.responses import Status

from ponder.accounts import dashboard
from ponder.accounts.models import Profile
from ponder.questions import hot, invitations, services
from ponder.questions.access import Access, Gated, argument_for, comment_for, idea_for
from ponder.questions.crowds import NETWORK_PATTERN, crowds_of, network_of_request
from ponder.questions.forms import (
    CoOrganiserForm,
    InvitationsForm,
    PictureForm,
    QuestionSettingsForm,
)
from ponder.questions.gates import invitation_url
from ponder.questions.models import (
    Argument,
    Comment,
    CoOrganiser,
    Idea,
    Invitation,
    Participant,
    Question,
)
from ponder.questions.moderation import open_reports
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
from ponder.ratelimit import (
    bearer_token,
    guesses_left,
    guesses_message,
    limit_operation,
    wrong_password,
)

from . import auth, errors
from .docs import ReferencePage
from .errors import Invalid
from .schemas import (
    ID_PATTERN,
    AccountOut,
    AdminTokenOut,
    ArgumentIn,
    ArgumentOut,
    ArgumentPatch,
    CommentIn,
    CommentOut,
    CommentPatch,
    CommentsOut,
    CoOrganiserIn,
    CoOrganisersOut,
    CrowdRemoved,
    CrowdRemoveIn,
    CrowdsOut,
    DuplicateIn,
    Error,
    HideIn,
    IdeaIn,
    IdeaOut,
    IdeaPatch,
    IdeasOut,
    InvitationOut,
    InvitationsIn,
    InvitationsOut,
    MergeIn,
    MyQuestionsOut,
    ParticipantIn,
    ParticipantOut,
    ParticipantRemoved,
    QuestionCreated,
    QuestionIn,
    QuestionOut,
    QuestionPatch,
    ReportAdded,
    ReportIn,
    ReportsDismissed,
    ReportsOut,
    ResultsOut,
    SettingsIn,
)
from .shared import ideas_response, question_response

DESCRIPTION = """\
Everything the pages do, as JSON. Send `Authorization: Bearer <token>` where a token is needed:
the `admin_token` you got when creating a question (you are its organiser), or the `token` you got
when taking part (`POST /api/v1/questions/{id}/participants`). A token belongs to one question.
The organiser takes part too by sending a name to the participants endpoint with the admin token.

Account tokens (`ponder_…`, made and revoked on the account page, /me/settings/) let a program
act as a person's account on every question: the organiser of the questions the account asked,
a participant where it took part, and free to take part anywhere. `GET /api/v1/me` says whose
token it is; `GET /api/v1/me/questions` lists the account's questions.

Live updates: `GET /api/v1/questions/{id}/events` (server-sent events, no token needed). A stream
whose token may no longer read the question (a revoked invitation, a new rule of who takes part),
or of a deleted question, gets one `access.ended` and ends.

Who may take part: on a question open to some only (`settings.taking_part`), everyone else gets
403 with `needs` (`login`, `password`, `invitation` or `revoked`); join with the question's
`password` or your `invitation` key to get a token that lets you in.

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
PictureFile = File(..., description="The picture: JPEG, PNG, WebP or HEIC.")
PictureAlt = Form(..., description="What the picture shows, for those who cannot see it.")


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
    return idea_data(page.ideas[0], access.reader)


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
        raise Invalid.of_form(
            form,
            name=lambda field: field if field in {"title", "description"} else f"settings.{field}",
        )
    return form.cleaned_data


# The account ---------------------------------------------------------------------------------


@api.get(
    "/me",
    response={200: AccountOut, **_errors(401)},
    summary="Who am I",
    description="With an account token (`ponder_…`, made on the account page): the account.",
    tags=["account"],
)
def me(request: HttpRequest) -> dict[str, str]:
    account = _account(request)
    profile = Profile.objects.filter(user=account).first()
    return {
        "username": account.get_username(),
        "email": account.email,
        "display_name": profile.display_name if profile else "",
    }


@api.get(
    "/me/questions",
    response={200: MyQuestionsOut, **_errors(401)},
    summary="My questions",
    description="With an account token: the questions the account asked or took part in, open "
    "ones and closed ones, each with its counts (as on the page My questions).",
    tags=["account"],
)
def my_questions(request: HttpRequest) -> dict[str, list[dict[str, Any]]]:
    account = _account(request)

    def listed(question: Question) -> dict[str, Any]:
        return {
            "id": question.pk,
            "title": question.title,
            "status": "open" if question.is_open_now else "closed",
            "asked": question.asked,
            "took_part": question.took_part,
            "created_at": question.created_at,
            "deadline": question.deadline,
            "time_zone": question.time_zone,
            "closed_at": question.closed_at,
            "ideas": question.idea_count,
            "participants": question.participant_count,
            "votes": question.vote_count,
            "share_url": _share_url(request, question),
        }

    return {
        "open": [listed(q) for q in dashboard.open_questions(account)],
        "closed": [listed(q) for q in dashboard.closed_questions(account)],
    }


def _account(request: HttpRequest) -> Any:
    account = auth.account(request)
    if account is None:
        raise AuthenticationError(
            message=_("Send an account token as: Authorization: Bearer ponder_…")
        )
    return account


# Questions ----------------------------------------------------------------------------------


@api.post(
    "/questions",
    auth=None,
    response={201: QuestionCreated, **_errors(400, 401, 413)},
    summary="Ask a question",
    description="No token needed. The answer holds the organiser's `admin_token`: keep it. "
    "With an account token, the question is the account's too (it administers it, and "
    "`/me/questions` lists it).",
    openapi_extra=OPTIONAL_TOKEN,
    tags=["questions"],
)
@limit_operation("question")
def question_create(request: HttpRequest, payload: QuestionIn) -> Status:
    account = auth.account(request)
    new = Question(time_zone=settings.PONDER_TIME_ZONE)
    fields = {"title": payload.title, "description": payload.description}
    checked = _checked_settings(new, fields, payload.settings)
    with transaction.atomic():
        question, admin_key = services.question_create(**fields, created_by=account)
        if payload.settings is not None:
            question = services.question_update(question=question, **checked)
        admin_url = reverse("admin_link", args=[question.pk, admin_key])
        if payload.email:
            services.question_links_send(
                question=question,
                email=payload.email,
                share_url=_share_url(request, question),
                admin_url=request.build_absolute_uri(admin_url),
            )
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
    openapi_extra=OPTIONAL_TOKEN,
    response={200: ResultsOut, **_errors(401, 403, 404)},
    summary="The ranking by votes",
    description="While the question is open, the ranking so far; 403 while its tally is hidden "
    "(only the organiser's token reads it then, if they chose to see it).",
    tags=["questions"],
)
def question_results(request: HttpRequest, question_id: str = QuestionId) -> Any:
    # The token says who is asking: the organiser may see a hidden tally, and a question open to
    # some only answers its admitted readers alone (`Gated`, 403, otherwise).
    access = auth.reader(request, question_id)
    if not access.reader.sees_counts():
        return Status(403, {"detail": _("The votes are hidden until the question closes.")})
    return results_data(access)


# Taking part --------------------------------------------------------------------------------


@api.post(
    "/questions/{question_id}/participants",
    auth=None,
    openapi_extra=OPTIONAL_TOKEN,
    response={
        200: ParticipantOut,
        201: ParticipantOut,
        **_errors(400, 401, 403, 404, 409, 413, 429),
    },
    summary="Take part by name",
    description="Without a token: you get a new `token` (201). With your token: you change your "
    "name (200). With the admin token: the organiser takes part under it (201). With an account "
    "token: the account takes part (201) or changes its name here (200), and `token` is the "
    "account token itself. On a question open to some only, send its `password` or your "
    "`invitation`; 403 says what is needed, 429 after too many wrong passwords.",
    tags=["participants"],
)
@limit_operation("join")
def participant_join(
    request: HttpRequest, payload: ParticipantIn, question_id: str = QuestionId
) -> Status:
    access = auth.writer(request, question_id, gate=False)
    status = 200 if access.participant is not None else 201
    invitation = access.invitation
    if not access.reader.may_take_part():
        invitation = _let_in(request, access, payload)
    if access.account is not None:  # the account takes part under its account token
        return Status(status, _account_joins(request, access, payload.name, invitation))
    participant, token = services.participant_join(
        question=access.question,
        name=payload.name,
        token=access.token,
        network=network_of_request(request),
        organiser=access.is_organiser,
        invitation=invitation,
    )
    return Status(status, {"id": participant.pk, "name": participant.name, "token": token})


def _account_joins(
    request: HttpRequest, access: Access, name: str, invitation: Invitation | None
) -> dict[str, str]:
    if access.participant is not None:
        participant = services.participant_rename(
            participant=access.participant, name=name, organiser=access.is_organiser
        )
    else:
        # Found by its account from now on (`question_for_account`): its own token is never
        # given out.
        participant, _token = services.participant_join(
            question=access.question,
            name=name,
            network=network_of_request(request),
            organiser=access.is_organiser,
            user=access.account,
            invitation=invitation,
        )
    token = auth.bearer_of(request)
    return {"id": participant.pk, "name": participant.name, "token": token}


def _let_in(request: HttpRequest, access: Access, payload: ParticipantIn) -> Invitation | None:
    """Let a new participant of a question open to some only in, by its password or their
    invitation (the invitation they take, which is theirs from then on); else `Gated`, 403."""
    question, needs = access.question, access.admission.needs
    if needs == "password" and payload.password is not None:
        refusal = guesses_left(request, question.pk)
        if refusal is not None:
            raise HttpError(429, guesses_message(refusal))
        if check_password(payload.password, question.password_hash):
            return None
        wrong_password(request, question.pk)
        raise Invalid([("password", _("This is not the password."))])
    if needs == "invitation" and payload.invitation is not None:
        invitation = invitations.invitation_of_key(question, payload.invitation)
        if invitation is None:
            raise Invalid([("invitation", _("This is not an invitation to this question."))])
        return invitations.invitation_take(invitation=invitation)
    raise Gated(question, needs)


# Invitations and co-organisers --------------------------------------------------------------


def _invitation(invitation: Invitation, url: str | None = None) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "label": invitation.label,
        "email": invitation.email,
        "state": invitation.state,
        "created_at": invitation.created_at,
        "used_at": invitation.used_at,
        "revoked_at": invitation.revoked_at,
        "url": url,
    }


@api.get(
    "/questions/{question_id}/invitations",
    response={200: InvitationsOut, **_errors(401, 404)},
    summary="The invitations, used or not (organiser)",
    tags=["access"],
)
def invitations_list(request: HttpRequest, question_id: str = QuestionId) -> dict[str, Any]:
    access = auth.organiser(request, question_id)
    made = Invitation.objects.filter(question=access.question).order_by("created_at")
    return {"invitations": [_invitation(invitation) for invitation in made]}


@api.post(
    "/questions/{question_id}/invitations",
    response={201: InvitationsOut, **_errors(400, 401, 404, 413)},
    summary="Invite people (organiser)",
    description="Send `emails` (each address gets a mail with its own link) or `count` (that "
    "many links, labelled `label` 1, 2 …). Each link lets one person in: the first browser that "
    "opens it, or the first client that joins with its key. The answer holds the links: they "
    "are not shown again.",
    tags=["access"],
)
def invitations_create(
    request: HttpRequest, payload: InvitationsIn, question_id: str = QuestionId
) -> Status:
    access = auth.organiser(request, question_id)
    data = {
        "emails": "\n".join(payload.emails or []),
        "count": payload.count,
        "label": payload.label or "",
    }
    form = InvitationsForm(data)
    if not form.is_valid():
        raise Invalid.of_form(form)
    question = access.question
    if form.cleaned_data["emails"]:
        made = invitations.invitation_create_for_emails(
            question=question, emails=form.cleaned_data["emails"]
        )
    else:
        made = invitations.invitation_create_links(
            question=question, count=form.cleaned_data["count"], label=form.cleaned_data["label"]
        )
    links = [(new, invitation_url(request, question, new.key)) for new in made]
    for new, url in links:
        if new.invitation.email:
            invitations.send_invitation_mail(to=new.invitation.email, question=question, url=url)
    return Status(201, {"invitations": [_invitation(new.invitation, url) for new, url in links]})


@api.post(
    "/questions/{question_id}/invitations/{invitation_id}/revoke",
    response={200: InvitationOut, **_errors(401, 404)},
    summary="Revoke an invitation (organiser)",
    description="Its link lets nobody in any more, nor whoever came in by it.",
    tags=["access"],
)
def invitation_revoke(
    request: HttpRequest,
    question_id: str = QuestionId,
    invitation_id: str = Path(..., pattern=ID_PATTERN, description="The invitation's id."),
) -> dict[str, Any]:
    access = auth.organiser(request, question_id)
    invitation = Invitation.objects.filter(pk=invitation_id, question=access.question).first()
    if invitation is None:
        raise Http404
    return _invitation(invitations.invitation_revoke(invitation=invitation))


def _co_organisers(question: Question) -> dict[str, Any]:
    found = CoOrganiser.objects.filter(question=question).select_related("user")
    return {
        "co_organisers": [
            {"id": co.user_id, "email": co.user.email, "added_at": co.added_at}
            for co in found.order_by("added_at")
        ]
    }


@api.get(
    "/questions/{question_id}/co-organisers",
    response={200: CoOrganisersOut, **_errors(401, 404)},
    summary="The co-organisers (organiser)",
    tags=["access"],
)
def co_organisers_list(request: HttpRequest, question_id: str = QuestionId) -> dict[str, Any]:
    return _co_organisers(auth.organiser(request, question_id).question)


@api.post(
    "/questions/{question_id}/co-organisers",
    response={201: CoOrganisersOut, **_errors(400, 401, 404, 409, 413)},
    summary="Give an account the organiser's rights (organiser)",
    description="By the e-mail address of the account: 409 `no_account` when no account has it.",
    tags=["access"],
)
@limit_operation("co_organiser")
def co_organiser_add(
    request: HttpRequest, payload: CoOrganiserIn, question_id: str = QuestionId
) -> Status:
    access = auth.organiser(request, question_id)
    form = CoOrganiserForm({"email": payload.email})
    if not form.is_valid():
        raise Invalid([("email", message) for message in form.errors["email"]])
    services.co_organiser_add(question=access.question, email=form.cleaned_data["email"])
    return Status(201, _co_organisers(access.question))


@api.delete(
    "/questions/{question_id}/co-organisers/{user_id}",
    response={204: None, **_errors(401, 404)},
    summary="Take an account's organiser rights back (organiser)",
    tags=["access"],
)
def co_organiser_remove(
    request: HttpRequest,
    question_id: str = QuestionId,
    user_id: int = Path(..., ge=1, le=2**62, description="The account's id."),
) -> Status:
    access = auth.organiser(request, question_id)
    services.co_organiser_remove(question=access.question, user_id=user_id)
    return Status(204, None)


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


@api.post(
    "/ideas/{idea_id}/image",
    response={200: IdeaOut, **_errors(400, 401, 404, 409, 413)},
    summary="Add or replace an idea's picture (its author or the organiser)",
    description="multipart/form-data with the file as `image` (JPEG, PNG, WebP or HEIC, at most "
    "PONDER_IMAGE_MAX_BYTES, 10 MiB by default) and what it shows as `alt` (required). The "
    "picture is decoded and encoded anew as WebP, upright and without its metadata. A file that "
    "is no such picture, too large or too big in pixels: 400 naming `image`.",
    tags=["ideas"],
)
@limit_operation("idea", person=bearer_token)
def idea_image_set(
    request: HttpRequest,
    idea_id: str = IdeaId,
    image: UploadedFile = PictureFile,
    alt: str = PictureAlt,
) -> dict[str, Any]:
    access = auth.changer(request, _question_of(Idea, idea_id))
    idea = idea_for(access, idea_id)
    auth.may_change(access, idea)
    # The pages' own form: one set of rules and messages for a picture.
    form = PictureForm(request.POST, request.FILES)
    if not form.is_valid():
        raise Invalid.of_form(form)
    services.idea_image_set(
        idea=idea,
        image=form.cleaned_data["image"],
        alt=form.cleaned_data["alt"],
        by_organiser=access.is_organiser,
    )
    return _idea(access, idea.pk)


@api.delete(
    "/ideas/{idea_id}/image",
    response={200: IdeaOut, **_errors(401, 404, 409)},
    summary="Remove an idea's picture (its author or the organiser)",
    tags=["ideas"],
)
def idea_image_remove(request: HttpRequest, idea_id: str = IdeaId) -> dict[str, Any]:
    access = auth.changer(request, _question_of(Idea, idea_id))
    idea = idea_for(access, idea_id)
    auth.may_change(access, idea)
    services.idea_image_remove(idea=idea, by_organiser=access.is_organiser)
    return _idea(access, idea.pk)


@api.put(
    "/ideas/{idea_id}/vote",
    response={200: IdeaOut, **_errors(400, 401, 403, 404, 409)},
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


# Moderation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EntryKind:
    plural: str  # in the path: /ideas/{id}/hide
    model: type[Idea] | type[Argument] | type[Comment]
    find: Callable[[Access, str], Any]
    out: type[Schema]
    tag: str


ENTRY_KINDS = {
    "idea": _EntryKind("ideas", Idea, idea_for, IdeaOut, "ideas"),
    "argument": _EntryKind("arguments", Argument, argument_for, ArgumentOut, "arguments"),
    "comment": _EntryKind("comments", Comment, comment_for, CommentOut, "comments"),
}


def _entry_out(access: Access, kind: str, entry: Any) -> dict[str, Any]:
    """An entry as the caller now reads it (the organiser reads hidden ones too)."""
    if kind == "idea":
        return _idea(access, entry.pk)
    if kind == "argument":
        return _argument(access, entry)
    return comment_data(access, entry)


def _moderated(request: HttpRequest, kind: str, entry_id: str) -> tuple[Access, Any]:
    spec = ENTRY_KINDS[kind]
    access = auth.moderator(request, _question_of(spec.model, entry_id))
    return access, spec.find(access, entry_id)


def _entry_operations(kind: str) -> None:
    """Hide, restore, report and dismiss the reports of one kind of entry."""
    spec = ENTRY_KINDS[kind]
    # The path names the id as the entry's other paths do: /ideas/{idea_id}/hide.
    name = f"{kind}_id"
    path = f"/{spec.plural}/{{{name}}}"
    EntryId = Path(..., pattern=ID_PATTERN, alias=name, description=f"The {kind}'s id.")

    def hide(request: HttpRequest, payload: HideIn, entry_id: str = EntryId) -> dict[str, Any]:
        access, entry = _moderated(request, kind, entry_id)
        services.entry_hide(entry=entry, reason=payload.reason, note=payload.note)
        return _entry_out(access, kind, entry)

    def restore(request: HttpRequest, entry_id: str = EntryId) -> dict[str, Any]:
        access, entry = _moderated(request, kind, entry_id)
        services.entry_restore(entry=entry)
        return _entry_out(access, kind, entry)

    def report(request: HttpRequest, payload: ReportIn, entry_id: str = EntryId) -> Status:
        access = auth.participant(request, _question_of(spec.model, entry_id))
        entry = spec.find(access, entry_id)
        if entry.hidden_reason and not access.reader.sees_hidden():
            raise Http404
        if not access.can_report(entry):
            raise HttpError(
                403, _("You cannot report your own entries; the organiser hides instead.")
            )
        services.report_add(
            entry=entry, reporter=access.participant, reason=payload.reason, note=payload.note
        )
        return Status(201, {"detail": _("Thank you. The organiser will look at it.")})

    def dismiss(request: HttpRequest, entry_id: str = EntryId) -> dict[str, Any]:
        _access, entry = _moderated(request, kind, entry_id)
        return {"dismissed": services.reports_dismiss(entry=entry)}

    operations = (
        (
            hide,
            api.post,
            "hide",
            spec.out,
            (400, 401, 404, 409, 413),
            "Hide it (organiser)",
            'Everyone else then reads nothing of it: on the page it says "Hidden by the '
            'organiser" and the reason; the API, the exports and the events leave it out. A '
            "hidden idea keeps its votes but takes no new ones and is out of the result. Its open "
            "reports are settled.",
        ),
        (
            restore,
            api.post,
            "restore",
            spec.out,
            (401, 404, 409),
            "Show it again (organiser)",
            "As it was before it was hidden.",
        ),
        (
            report,
            api.post,
            "report",
            ReportAdded,
            (400, 401, 403, 404, 409, 413),
            "Report it to the organiser",
            "Once per person and entry (409 `reported` after that). The answer says nothing of "
            "anyone else's reports.",
        ),
        (
            dismiss,
            api.post,
            "reports/dismiss",
            ReportsDismissed,
            (401, 404),
            "Dismiss its reports (organiser)",
            "The entry stays as it is.",
        ),
    )
    for view, method, action, out, statuses, summary, description in operations:
        view.__name__ = view.__qualname__ = f"{kind}_{action.replace('reports/', 'reports_')}"
        status = 201 if view is report else 200
        method(
            f"{path}/{action}",
            response={status: out, **_errors(*statuses)},
            summary=summary,
            description=description,
            tags=[spec.tag],
        )(limit_operation("report", person=bearer_token)(view) if view is report else view)


for _kind in ENTRY_KINDS:
    _entry_operations(_kind)


@api.get(
    "/questions/{question_id}/reports",
    response={200: ReportsOut, **_errors(401, 404)},
    summary="The open reports (organiser)",
    description="Each reported entry with its open reports, the most reported first.",
    tags=["moderation"],
)
def question_reports(request: HttpRequest, question_id: str = QuestionId) -> dict[str, Any]:
    access = auth.moderator(request, question_id)
    reported = open_reports(access)
    return {
        "reported": [
            {
                "kind": item.kind,
                "id": item.entry.pk,
                "idea": item.idea_id or None,
                "text": item.text,
                "author": item.entry.author.name,
                "hidden": item.entry.is_hidden,
                "count": item.count,
                "reports": [
                    {"reason": r.reason, "note": r.note, "created_at": r.created_at}
                    for r in item.reports
                ],
            }
            for item in reported
        ],
        "open": sum(item.count for item in reported),
    }


@api.post(
    "/questions/{question_id}/merge",
    response={200: IdeaOut, **_errors(400, 401, 404, 409, 413)},
    summary="Merge a duplicate idea into another (organiser)",
    description="The duplicate's votes move to the idea that stays (whoever voted for both keeps "
    "one vote), and its pros and cons with their likes; then it is gone, and its link leads to "
    "the idea that stays. The answer is the idea that stays.",
    tags=["moderation"],
)
def idea_merge(request: HttpRequest, payload: MergeIn, question_id: str = QuestionId) -> Any:
    access = auth.moderator(request, question_id)
    if payload.keep == payload.merged:
        raise Invalid([("merged", _("Choose two different ideas."))])
    ideas = {}
    for field_name in ("keep", "merged"):
        found = hot.idea(access.question, getattr(payload, field_name))
        if found is None:
            raise Invalid([(field_name, _("Choose an idea of this question."))])
        ideas[field_name] = found
    kept = services.idea_merge(keep=ideas["keep"], merged=ideas["merged"])
    return _idea(access, kept.pk)


@api.delete(
    "/questions/{question_id}/participants/{participant_id}",
    response={200: ParticipantRemoved, **_errors(401, 404, 409)},
    summary="Remove a participant and everything they wrote and voted (organiser)",
    description="Their ideas, pros and cons, comments, votes, likes and reports go, in one step; "
    "every count is made right again. The organiser's own name is refused (409).",
    tags=["participants"],
)
def participant_remove(
    request: HttpRequest,
    question_id: str = QuestionId,
    participant_id: str = Path(..., pattern=ID_PATTERN, description="The participant's id."),
) -> dict[str, Any]:
    access = auth.moderator(request, question_id)
    if not Participant.objects.filter(question=access.question, pk=participant_id).exists():
        raise Http404
    removed = services.participant_remove(question=access.question, participant_id=participant_id)
    return {"id": participant_id, "name": removed.name}


# The survey endpoints register themselves on `api` (they build on the helpers above).
from . import surveys  # noqa: E402, F401
