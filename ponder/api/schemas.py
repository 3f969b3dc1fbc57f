"""What the API accepts and what it sends.

Text is checked by the very form fields the pages use (stripped, required, limited, no NUL), so a
title the page refuses, the API refuses with the same message. Each text field's OpenAPI pattern
says the same thing in a regular expression, for clients and for schemathesis; a test holds the
two together.
"""

import re
import sys
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from ponder.lib import zones
from ponder.lib.ids import QUESTION_ID_REGEX
from ponder.lib.text import BIDI_CONTROLS, validate_label, visible_character_class
from ponder.questions.forms import (
    ArgumentForm,
    CommentForm,
    HideForm,
    IdeaForm,
    NameForm,
    QuestionCreateForm,
    QuestionSettingsForm,
    ReportForm,
)

# Any id, as the URL converter has it: a question's is 22 characters (12 if it was asked before
# ids grew), an idea's, argument's or comment's 12. The lookup answers 404 for the rest.
ID_PATTERN = f"^(?:{QUESTION_ID_REGEX})$"

# Python's str.strip() removes exactly these characters (str.isspace()); the patterns spell them
# out, because "\s" means something slightly different in every regular expression engine.
_SPACES = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
_SPACE = "[" + "".join(f"\\u{ord(c):04x}" for c in _SPACES) + "]"
_CHAR = "[^\\u0000]"  # anything but NUL
_INK = "[^\\u0000" + _SPACE[1:]  # neither NUL nor space: what a stripped text starts and ends with
_SURROGATE = re.compile("[\ud800-\udfff]")


_BIDI = "".join(f"\\u{ord(c):04x}" for c in sorted(BIDI_CONTROLS))


def text_pattern(limit: int, *, required: bool, label: bool = False) -> str:
    """A regular expression for: once stripped, 1 (or 0) to `limit` characters, none of them NUL
    (and for a name or title, `label`, none of them a bidirectional control)."""
    char, ink = _CHAR, _INK
    if label:
        char, ink = f"[^\\u0000{_BIDI}]", f"[^\\u0000{_BIDI}{_SPACE[1:]}"
    core = f"{ink}(?:{char}{{0,{limit - 2}}}{ink})?"
    return f"^{_SPACE}*{core if required else f'(?:{core})?'}{_SPACE}*$"


def _clean(field: forms.CharField, value: str) -> str:
    # JSON may carry lone surrogates ("\ud800"); no database can store them.
    if _SURROGATE.search(value):
        raise PydanticCustomError("text", "{message}", {"message": _("This is not valid text.")})
    try:
        return field.clean(value)
    except DjangoValidationError as error:
        message = " ".join(error.messages)
        raise PydanticCustomError("text", "{message}", {"message": message}) from None


def text(field: forms.Field, description: str) -> Any:
    """A text field of the API, checked like the form field `field`."""
    assert isinstance(field, forms.CharField) and field.max_length
    what = "required" if field.required else "optional"
    label = validate_label in field.validators
    rules = "; no bidirectional controls; at least one visible character" if label else ""
    schema = {
        "type": "string",
        "pattern": text_pattern(field.max_length, required=field.required, label=label),
        "description": f"{description} ({what}; at most {field.max_length} characters once "
        f"leading and trailing white space is stripped; no NUL characters{rules}).",
    }
    checks: list[Any] = [AfterValidator(partial(_clean, field)), WithJsonSchema(schema)]
    if label:
        checks.append(VisibleToo())
    return Annotated[str, *checks]


class VisibleToo:
    """A name's or title's pattern asks for a visible character too (a lookahead), added when
    the OpenAPI document is made: the class of visible characters is long to build."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        schema["pattern"] = with_visible(schema["pattern"])
        return schema


def with_visible(pattern: str) -> str:
    """`pattern` (anchored with ^) that also asks for one visible character somewhere."""
    return f"^(?=[\\s\\S]*{visible_character_class()})" + pattern[1:]


Title = text(IdeaForm.base_fields["title"], "The title")
Description = text(IdeaForm.base_fields["description"], "A description, in Markdown")
QuestionTitle = text(QuestionSettingsForm.base_fields["title"], "The question")
QuestionDescription = text(
    QuestionSettingsForm.base_fields["description"], "A description, in Markdown"
)
ArgumentText = text(ArgumentForm.base_fields["text"], "The argument")
CommentText = text(CommentForm.base_fields["text"], "The comment")
Name = text(NameForm.base_fields["name"], "Your name, shown beside what you write")

Kind = Literal["pro", "con"]
Reason = Literal["off_topic", "duplicate", "offensive", "spam", "other"]
HideNote = text(HideForm.base_fields["note"], "A note shown with the reason in its place")
ReportNote = text(ReportForm.base_fields["note"], "Anything the organiser should know")


def _canonical_zone(value: str) -> str:
    if value not in zones.canonical():
        message = _("Give a time zone by its name in the tz database, e.g. Europe/Berlin.")
        raise PydanticCustomError("time_zone", "{message}", {"message": message})
    return value


TimeZone = Annotated[
    StrictStr,
    AfterValidator(_canonical_zone),
    WithJsonSchema({"type": "string", "enum": sorted(zones.canonical())}),
]


def _must_be_text(value: object) -> object:
    if value is not None and not isinstance(value, str):
        raise PydanticCustomError(
            "datetime", "{message}", {"message": _("Give a date and time as text.")}
        )
    return value


def _with_offset(value: datetime | None) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        message = _("Give the time with its UTC offset, e.g. 2030-06-01T18:00:00+02:00.")
        raise PydanticCustomError("datetime", "{message}", {"message": message})
    return value


Deadline = Annotated[
    datetime | None,
    BeforeValidator(_must_be_text),
    AfterValidator(_with_offset),
    Field(
        description="When the question closes itself (RFC 3339 with a UTC offset; null for "
        "none), in whole minutes: a new deadline with seconds is refused. Must lie in the "
        "future when it changes."
    ),
]


def _whole(value: object) -> object:
    # JSON has numbers, not integers: 3.0 is the integer 3 (JSON Schema agrees), "3" is not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def unchanged() -> Any:
    """A field that may be left out (it keeps its value); it may not be null."""
    return Field(default=None, json_schema_extra=_no_default)


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


# Requests -----------------------------------------------------------------------------------


TakingPartName = Literal["link", "account", "password", "invitation"]
# A limit: a whole number from 1, or null for none (the form checks the upper bound).
Limit = Annotated[StrictInt, BeforeValidator(_whole), Field(ge=1)] | None


class SettingsIn(Input):
    """Omitted settings keep their value (or get the default, for a new question)."""

    allow_ideas: StrictBool = unchanged()
    allow_arguments: StrictBool = unchanged()
    allow_exports: StrictBool = unchanged()
    allow_embed: StrictBool = Field(
        default=None,
        description="Whether other websites may show the question in an iframe (off by default).",
        json_schema_extra=_no_default,
    )
    embed_origins: list[Annotated[str, Field(max_length=200)]] = Field(
        default=None,
        max_length=20,
        description="The websites that may embed it, as origins such as `https://example.org`; "
        "empty for any website.",
        json_schema_extra=_no_default,
    )
    max_votes: Annotated[StrictInt, BeforeValidator(_whole), Field(ge=1, le=1000)] | None = Field(
        default=None, description="Votes per participant; null for unlimited."
    )
    deadline: Deadline = None
    ideas_until: Annotated[
        datetime | None,
        BeforeValidator(_must_be_text),
        AfterValidator(_with_offset),
        Field(
            description="Phases: ideas are collected until then (no voting yet), then voted on "
            "until the deadline (no new ideas). RFC 3339 with a UTC offset, whole minutes, before "
            "the deadline; null for no phases."
        ),
    ] = None
    time_zone: TimeZone = unchanged()
    max_ideas_per_person: Limit = Field(
        default=None,
        description="Ideas each participant may add (the organiser may always add); null for no "
        "limit. A lowered limit deletes nothing.",
    )
    max_ideas: Limit = Field(default=None, description="Ideas in total; null for no limit.")
    max_text_length: Limit = Field(
        default=None,
        description="The longest description, pro, con or comment, in characters (at most the "
        "server's own limit, 10,000 by default); null for the server's limit.",
    )
    max_votes_per_idea: Annotated[StrictInt, BeforeValidator(_whole), Field(ge=1, le=100)] = Field(
        default=None,
        description="Votes a participant may put on one idea: 1 is approval voting (the "
        "default), more is dot voting, within `max_votes` in total.",
        json_schema_extra=_no_default,
    )

    hide_tally: StrictBool = Field(
        default=None,
        description="Hide the counts, voters and ranks from everyone but the organiser until "
        "the question closes (off by default).",
        json_schema_extra=_no_default,
    )
    organiser_sees_tally: StrictBool = Field(
        default=None,
        description="Whether the organiser sees the hidden tally meanwhile (on by default).",
        json_schema_extra=_no_default,
    )
    anonymous_votes: StrictBool = Field(
        default=None,
        description="Nobody, the organiser included, sees who voted for what (off by default). "
        "Cannot be turned off once anyone has voted (409).",
        json_schema_extra=_no_default,
    )
    random_order: StrictBool = Field(
        default=None,
        description="While the question is open, each reader sees the ideas in an order of "
        "their own (on by default for a new question).",
        json_schema_extra=_no_default,
    )

    taking_part: TakingPartName = Field(
        default=None,
        description="Who may take part: `link` (anyone with the link, the default), `account` "
        "(people with an account), `password` (people who know `password`) or `invitation` "
        "(people with an invitation: `/questions/{id}/invitations`).",
        json_schema_extra=_no_default,
    )
    password: str = Field(
        default=None,
        min_length=4,
        max_length=128,
        description="The question's password, for `taking_part` `password`. Write-only: it is "
        "stored hashed and never read back; left out, it is kept.",
        json_schema_extra=_no_default,
    )


def _email(value: str) -> str:
    try:
        return QuestionCreateForm.base_fields["email"].clean(value)
    except DjangoValidationError as error:
        message = " ".join(error.messages)
        raise PydanticCustomError("email", "{message}", {"message": message}) from None


Email = Annotated[
    StrictStr,
    AfterValidator(_email),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 320,
            "description": "An e-mail address to send the share link and the admin link to "
            "(optional; used for this mail only, never stored or shown).",
        }
    ),
]


class DuplicateIn(Input):
    ideas: StrictBool = Field(default=False, description="Copy the ideas too.")
    arguments: StrictBool = Field(
        default=False, description="Copy the ideas' pros and cons too (with `ideas`)."
    )


class QuestionIn(Input):
    title: QuestionTitle
    description: QuestionDescription = ""
    settings: SettingsIn | None = None
    email: Email | None = None


class QuestionPatch(Input):
    title: QuestionTitle = unchanged()
    description: QuestionDescription = unchanged()
    settings: SettingsIn = unchanged()


class ParticipantIn(Input):
    name: Name
    password: str = Field(
        default=None,
        max_length=128,
        description="The question's password, when only people who know it may take part.",
        json_schema_extra=_no_default,
    )
    invitation: str = Field(
        default=None,
        pattern=r"^[0-9A-Za-z]{22}$",
        description="The key of your invitation (the last part of its link, "
        "`/q/{id}/i/{key}/`), when only invitees may take part. It is yours from then on.",
        json_schema_extra=_no_default,
    )


class InvitationsIn(Input):
    """E-mail addresses (each gets a mail with its own link) or a number of links."""

    emails: list[Annotated[str, Field(max_length=254)]] = Field(
        default=None, max_length=500, json_schema_extra=_no_default
    )
    count: Annotated[StrictInt, BeforeValidator(_whole)] = Field(
        default=None, ge=1, le=500, json_schema_extra=_no_default
    )
    label: str = Field(
        default=None,
        max_length=100,
        description="The links' label, numbered: “Team 1”, “Team 2” …",
        json_schema_extra=_no_default,
    )


class InvitationOut(Schema):
    id: str
    label: str
    email: str
    state: Literal["unused", "used", "revoked"]
    created_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    url: str | None = Field(
        description="The personal link: only in the answer that made it, never again."
    )


class InvitationsOut(Schema):
    invitations: list[InvitationOut]


class CoOrganiserIn(Input):
    email: str = Field(max_length=254, description="The e-mail address of their account.")


class CoOrganiserOut(Schema):
    id: int = Field(description="The account's id.")
    email: str
    added_at: datetime


class CoOrganisersOut(Schema):
    co_organisers: list[CoOrganiserOut]


class IdeaIn(Input):
    title: Title
    description: Description = ""


class IdeaPatch(Input):
    title: Title = unchanged()
    description: Description = unchanged()


class ArgumentIn(Input):
    kind: Kind
    text: ArgumentText


class ArgumentPatch(Input):
    kind: Kind = unchanged()
    text: ArgumentText = unchanged()


class CommentIn(Input):
    text: CommentText


class CommentPatch(Input):
    text: CommentText = unchanged()


class HideIn(Input):
    reason: Reason
    note: HideNote = ""


class ReportIn(Input):
    reason: Reason
    note: ReportNote = ""


class MergeIn(Input):
    keep: str = Field(pattern=ID_PATTERN, description="The id of the idea that stays.")
    merged: str = Field(
        pattern=ID_PATTERN, description="The id of its duplicate, merged into it and then gone."
    )


# Responses ----------------------------------------------------------------------------------


class FieldError(Schema):
    field: str
    message: str


class Error(Schema):
    detail: str = Field(description="What went wrong, for people.")
    errors: list[FieldError] = Field(
        default_factory=list, description="For 400: each field that was refused, and why."
    )


class HiddenOut(Schema):
    reason: Reason
    note: str


HIDDEN = Field(
    default=None,
    description="Why the organiser hid it (only the organiser reads hidden entries; for "
    "everyone else they are left out); null while it is shown.",
)


class ArgumentOut(Schema):
    id: str
    idea: str
    kind: Kind
    text: str
    author: str
    by_organiser: bool = Field(description="Whether its author is the question's organiser.")
    edited_by_organiser: bool = Field(
        description="Whether the organiser changed it, and it is not theirs."
    )
    likes: int
    liked: bool = Field(description="Whether you like it.")
    changeable: bool = Field(description="Whether you may edit or delete it.")
    created_at: datetime
    hidden: HiddenOut | None = HIDDEN


class ImageOut(Schema):
    url: str = Field(description="The picture, at most 1600 pixels a side (a path on this site).")
    width: int
    height: int
    thumbnail_url: str = Field(description="Its thumbnail, at most 128 pixels a side.")
    thumbnail_width: int
    thumbnail_height: int
    alt: str = Field(description="What the picture shows, in words (its alt text).")
    content_type: str = Field(description="Always image/webp: every picture is encoded anew.")


class IdeaOut(Schema):
    id: str
    title: str
    description: str
    author: str
    by_organiser: bool = Field(description="Whether its author is the question's organiser.")
    edited_by_organiser: bool = Field(
        description="Whether the organiser changed it, and it is not theirs."
    )
    votes: int | None = Field(description="null while the tally is hidden from you.")
    voters: list[str] = Field(
        description="Names of those who voted for it, first voter first: everyone in an idea's own "
        "read; the first 20 in a question's read, its pages of ideas and the answer to a vote "
        "(`votes` counts them all). Empty with anonymous votes, and while the tally is hidden."
    )
    voted: bool = Field(description="Whether you voted for it.")
    my_votes: int = Field(
        description="How many of your votes are on it: 0 or 1, or more where the organiser lets "
        "people put several votes on one idea (`max_votes_per_idea`)."
    )
    rank: int | None = Field(
        description="Place by votes once the question is closed (equal votes share a place; no "
        "votes, no place); null while it is open."
    )
    changeable: bool
    created_at: datetime
    arguments: list[ArgumentOut] = Field(
        description="Most liked first: all of them in an idea's own read; the 20 most liked in a "
        "question's read, its pages of ideas and the answer to a vote."
    )
    image: ImageOut | None = Field(description="Its picture, or null.")
    arguments_total: int = Field(description="How many pros and cons the idea has.")
    hidden: HiddenOut | None = HIDDEN


class CommentOut(Schema):
    id: str
    text: str
    author: str
    by_organiser: bool = Field(description="Whether its author is the question's organiser.")
    edited_by_organiser: bool = Field(
        description="Whether the organiser changed it, and it is not theirs."
    )
    changeable: bool
    created_at: datetime
    hidden: HiddenOut | None = HIDDEN


class SettingsOut(Schema):
    allow_ideas: bool
    allow_arguments: bool
    allow_exports: bool
    allow_embed: bool
    embed_origins: list[str]
    max_votes: int | None
    deadline: datetime | None
    time_zone: str
    max_ideas_per_person: int | None
    max_ideas: int | None
    max_text_length: int | None
    max_votes_per_idea: int
    ideas_until: datetime | None
    hide_tally: bool
    organiser_sees_tally: bool
    anonymous_votes: bool
    random_order: bool
    taking_part: Literal["link", "account", "password", "invitation"]


class ParticipantRef(Schema):
    id: str
    name: str


class Me(Schema):
    participant: ParticipantRef | None = Field(description="Who you take part as, if you do.")
    organiser: bool
    votes_left: int | None = Field(description="null when votes are unlimited.")


class QuestionOut(Schema):
    id: str
    title: str
    description: str
    status: Literal["open", "closed"]
    share_url: str
    created_at: datetime
    closed_at: datetime | None
    version: int = Field(description="Grows with every change; live updates carry it.")
    settings: SettingsOut
    phase: Literal["open", "ideas", "votes", "closed"] = Field(
        description="`ideas`: collecting ideas (no voting yet); `votes`: voting (no new ideas); "
        "`open`: both (no phases)."
    )
    me: Me
    ideas: list[IdeaOut] = Field(
        description="The leading ideas (at most 100): most votes first, then oldest first. "
        "Read the rest from `ideas_next`."
    )
    ideas_total: int = Field(description="How many ideas the question has.")
    ideas_next: str | None = Field(
        description="The path of the next page of ideas "
        "(`/api/v1/questions/{id}/ideas?offset=…&limit=…`), or null when `ideas` holds them all."
    )
    comments: list[CommentOut] = Field(
        description="The latest 100 comments, oldest first. Read the earlier ones from "
        "`comments_earlier`."
    )
    comments_total: int = Field(description="How many comments the question has.")
    comments_earlier: str | None = Field(
        description="The path of the page of comments before these "
        "(`/api/v1/questions/{id}/comments?offset=…&limit=…`), or null when `comments` holds "
        "them all."
    )


class IdeasOut(Schema):
    version: int = Field(description="The question's version this page was read at.")
    total: int = Field(description="How many ideas the question has.")
    offset: int = Field(description="How many ideas come before this page's first.")
    ideas: list[IdeaOut] = Field(description="In the question's order: most votes first.")
    next: str | None = Field(description="The path of the next page, or null after the last.")


class CommentsOut(Schema):
    version: int = Field(description="The question's version this page was read at.")
    total: int = Field(description="How many comments the question has.")
    offset: int = Field(description="How many comments come before this page's first.")
    comments: list[CommentOut] = Field(description="Oldest first.")
    earlier: str | None = Field(description="The path of the page before, or null at the first.")
    next: str | None = Field(description="The path of the next page, or null after the last.")


class QuestionCreated(Schema):
    id: str
    title: str
    share_url: str
    admin_url: str = Field(description="The organiser's link for a browser. Keep it secret.")
    admin_token: str = Field(description="The organiser's bearer token. Keep it secret.")


class AdminTokenOut(Schema):
    admin_url: str = Field(description="The organiser's new link for a browser. Keep it secret.")
    admin_token: str = Field(description="The organiser's new bearer token. Keep it secret.")


class ParticipantOut(Schema):
    id: str
    name: str
    token: str = Field(description="Your bearer token for this question. Keep it secret.")


class Placed(Schema):
    idea: str
    title: str
    votes: int
    rank: int | None = Field(description="Equal votes share a place; ideas without votes get none.")


class ResultsOut(Schema):
    status: Literal["open", "closed"]
    tally_hidden: bool = Field(description="Whether the tally is hidden until it closes.")
    winners: list[str] = Field(description="The ids of the ideas with the most votes (if any).")
    ranking: list[Placed]


# Many new names from one network (the organiser's) --------------------------------------------

Moment = Annotated[
    datetime,
    BeforeValidator(_must_be_text),
    AfterValidator(_with_offset),
    Field(description="RFC 3339 with a UTC offset, as the crowd's read gave it."),
]


class CrowdName(Schema):
    id: str
    name: str
    joined_at: datetime


class CrowdOut(Schema):
    network: str = Field(
        description="A keyed hash of the network the names joined from (never the address)."
    )
    count: int = Field(description="How many names joined from it in the last hour.")
    since: datetime = Field(description="The start of the hour: the names joined after it ...")
    until: datetime = Field(description="... and until this moment (the last of them).")
    names: list[CrowdName] = Field(description="The first to join first.")


class CrowdsOut(Schema):
    crowds: list[CrowdOut] = Field(description="The largest crowd first.")


class CrowdRemoveIn(Input):
    since: Moment
    until: Moment


class CrowdRemoved(Schema):
    removed: int = Field(description="How many names were removed.")


# Surveys ------------------------------------------------------------------------------------


class SurveyQuestionIn(Input):
    title: QuestionTitle
    description: QuestionDescription = ""
    settings: SettingsIn | None = None


class SurveyIn(Input):
    title: QuestionTitle
    description: QuestionDescription = ""
    questions: list[SurveyQuestionIn] = Field(
        min_length=1,
        max_length=settings.PONDER_SURVEY_QUESTIONS_MAX,
        description=f"Its questions in their order: 1 to {settings.PONDER_SURVEY_QUESTIONS_MAX}.",
    )


class SurveyQuestionOut(Schema):
    id: str
    title: str
    status: Literal["open", "closed"]
    deadline: datetime | None
    share_url: str


class SurveyGatedQuestionOut(Schema):
    """A question of the survey whose access setting keeps the caller out: nothing of it."""

    id: str
    gated: Literal[True]
    needs: str = Field(description='What is needed: "password", "login", "invitation", "revoked".')
    share_url: str


class SurveyOut(Schema):
    id: str
    title: str
    description: str
    share_url: str
    questions: list[SurveyQuestionOut | SurveyGatedQuestionOut]


class SurveyCreated(SurveyOut):
    admin_url: str = Field(description="The organiser's link for a browser. Keep it secret.")
    admin_token: str = Field(
        description="The organiser's bearer token: it organises every question of the survey "
        "(use it with the question endpoints too). Keep it secret."
    )


class ReportOut(Schema):
    reason: Reason
    note: str
    created_at: datetime


class ReportedOut(Schema):
    kind: Literal["idea", "argument", "comment"]
    id: str = Field(description="The entry's id.")
    idea: str | None = Field(description="The idea of an argument, or the idea itself.")
    text: str = Field(description="An idea's title, or an argument's or comment's text.")
    author: str
    hidden: bool = Field(description="Whether the entry is hidden already.")
    count: int = Field(description="How many open reports it has.")
    reports: list[ReportOut] = Field(description="The open reports, oldest first.")


class ReportsOut(Schema):
    reported: list[ReportedOut] = Field(description="The most reported entry first.")
    open: int = Field(description="How many open reports there are in all.")


class ReportAdded(Schema):
    detail: str = Field(description="That the organiser received it; nothing of other reports.")


class ReportsDismissed(Schema):
    dismissed: int = Field(description="How many open reports were dismissed.")


class ParticipantRemoved(Schema):
    id: str
    name: str


class AccountOut(Schema):
    username: str
    email: str
    display_name: str = Field(description="Offered as the name when the account takes part.")


class MyQuestionOut(Schema):
    id: str
    title: str
    status: Literal["open", "closed"]
    asked: bool = Field(description="The account asked it: it administers it.")
    took_part: bool = Field(description="The account took part in it.")
    created_at: datetime
    deadline: datetime | None
    time_zone: str = Field(description="The time zone the deadline was set in.")
    closed_at: datetime | None
    ideas: int
    participants: int
    votes: int
    share_url: str


class MyQuestionsOut(Schema):
    open: list[MyQuestionOut] = Field(description="Closing soonest first (no deadline last).")
    closed: list[MyQuestionOut] = Field(description="The archive: most recently closed first.")
