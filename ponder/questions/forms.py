"""Forms: the first line of docs/product-rules.md P10. Text is stripped, required, and limited in
length; nothing is cut silently, and NUL characters are refused by Django's own validator. Names
and titles follow `ponder.lib.text.validate_label` too: no bidirectional controls, at least one
visible character."""

import re
import zoneinfo
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from ponder.lib import zones
from ponder.lib.text import validate_label

from . import images
from .models import (
    HIDDEN_NOTE_MAX,
    REPORT_NOTE_MAX,
    Argument,
    HiddenReason,
    Question,
    ReportReason,
    TakingPart,
)


def _title_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=settings.PONDER_TITLE_MAX, validators=[validate_label]
    )


def _text_field(label: str, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=settings.PONDER_TEXT_MAX,
        required=required,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class Form(forms.Form):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class ParticipantForm(Form):
    """Forms that a newcomer may send carry their name too, so taking part is one step."""

    # The question page shows the join, idea and comment forms together, each with a name field:
    # their ids must differ, or a label would point at another form's input.
    id_prefix = "entry"
    long_text = ""  # the field the question's text limit applies to

    def __init__(
        self,
        *args: object,
        needs_name: bool = False,
        name: str = "",
        text_max: int | None = None,
        **kwargs: object,
    ):
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if needs_name:
            self.fields = {"name": NameForm.base_fields["name"], **self.fields}
            self.initial.setdefault("name", name)
        if text_max is not None and text_max < settings.PONDER_TEXT_MAX:
            limit_text(self.fields[self.long_text], text_max)


def limit_text(field: forms.Field, text_max: int) -> None:
    """The organiser's text limit on a form's long text: refused beyond it, next to the field,
    with the limit said under it and kept by the browser (`maxlength`)."""
    field.max_length = text_max
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.validators.append(MaxLengthValidator(text_max))
    field.widget.attrs["maxlength"] = str(text_max)
    field.help_text = ngettext_lazy(
        "At most %(n)s character.", "At most %(n)s characters.", "n"
    ) % {"n": text_max}


class NameForm(Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=settings.PONDER_NAME_MAX,
        validators=[validate_label],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Shown beside what you write and how you vote."),
    )


class RenameForm(NameForm):
    """A participant's new name ("change name", beside "You take part as …")."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "id_rename_%s")
        super().__init__(*args, **kwargs)


class DuplicateForm(Form):
    copy = forms.ChoiceField(
        label=_("What to copy"),
        choices=[
            ("settings", _("The question and its settings only")),
            ("ideas", _("The question, its settings and its ideas")),
            ("arguments", _("The question, its settings, its ideas and their pros and cons")),
        ],
        initial="settings",
        widget=forms.RadioSelect,
        help_text=_(
            "Never copied: the participants, votes, likes and comments. Copied ideas and pros "
            "and cons are yours in the copy."
        ),
    )


class QuestionCreateForm(Form):
    title = _title_field(_("Your question"))
    # Used once, to send the two links, and never stored (services.question_links_send).
    email = forms.EmailField(
        label=_("Your e-mail address (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_(
            "We send you the share link and the admin link, so you don't lose them. "
            "The address is not kept."
        ),
    )
    # Kept, for notifications only, when ticked (ponder/notifications; confirmed first).
    notify = forms.BooleanField(
        label=_(
            "Also e-mail me about new ideas and the result (the address is then kept for that, "
            "until you unsubscribe)"
        ),
        required=False,
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("notify") and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Give the address to e-mail you at."))
        return data


class IdeaForm(ParticipantForm):
    id_prefix = "idea"

    long_text = "description"

    title = _title_field(_("Idea"))
    description = _text_field(_("Description (optional)"), required=False)


class PictureField(forms.FileField):
    """A picture (images.py), cleaned into the picture drawn afresh (`images.Prepared`); a file
    that is none, too large or too big in pixels is refused with its message next to the field."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("widget", forms.FileInput(attrs={"accept": images.ACCEPT}))
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def clean(self, data: object, initial: object = None) -> images.Prepared | None:
        upload = super().clean(data, initial)
        if not upload:
            return None
        try:
            if upload.size > settings.PONDER_IMAGE_MAX_BYTES:
                raise images.too_large()
            return images.prepare(upload.read())
        except images.ImageRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None


def _picture_field(*, required: bool) -> PictureField:
    return PictureField(
        label=_("Picture") if required else _("Picture (optional)"), required=required
    )


def _tell_limits(field: forms.Field) -> None:
    # Set on each form, in the language of its request (a lazy string formatted at import would
    # be in the default language).
    field.help_text = _("JPEG, PNG, WebP or HEIC, up to %(size)s.") % {
        "size": filesizeformat(settings.PONDER_IMAGE_MAX_BYTES)
    }


def _alt_field() -> forms.CharField:
    return forms.CharField(
        label=_("What the picture shows"),
        max_length=images.ALT_MAX,
        required=False,
        validators=[validate_label],
        help_text=_("Needed with a picture, for those who cannot see it."),
    )


ALT_NEEDED = _("Please say what the picture shows, for those who cannot see it.")


class IdeaAddForm(IdeaForm):
    """A new idea, with a picture if they like (the form posts multipart/form-data)."""

    image = _picture_field(required=False)
    image_alt = _alt_field()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        _tell_limits(self.fields["image"])

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        if cleaned.get("image") is not None and not cleaned.get("image_alt"):
            self.add_error("image_alt", ALT_NEEDED)
        if "image" in self.errors or cleaned.get("image") is None:
            cleaned["image_alt"] = ""  # a description of no picture is kept nowhere
        return cleaned


class PictureForm(Form):
    """An idea's picture, added or replaced, or its description changed (`has_image`: the idea
    has one, so the file may be left out)."""

    image = _picture_field(required=True)
    alt = _alt_field()

    def __init__(self, *args: object, has_image: bool = False, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "id_picture_%s")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["alt"].required = True
        self.fields["alt"].error_messages["required"] = ALT_NEEDED
        _tell_limits(self.fields["image"])
        if has_image:
            self.fields["image"].required = False
            self.fields["image"].label = _("New picture (optional)")


class ArgumentForm(ParticipantForm):
    long_text = "text"

    kind = forms.ChoiceField(
        label=_("Pro or con"),
        choices=Argument.Kind.choices,
        widget=forms.RadioSelect,
        initial=Argument.Kind.PRO,
    )
    text = _text_field(_("Argument"))


class CommentForm(ParticipantForm):
    id_prefix = "comment"
    long_text = "text"

    text = _text_field(_("Comment"))


WHOLE_MINUTES = _("Give the deadline in whole minutes, without seconds.")


def _beyond_utc(moment: datetime) -> bool:
    """The database stores UTC: late on 31 December 9999 west of Greenwich has no UTC time."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return True
    return False


REGION_NAMES = {
    "Europe": _("Europe"),
    "America": _("America"),
    "Africa": _("Africa"),
    "Asia": _("Asia"),
    "Australia": _("Australia"),
    "Pacific": _("Pacific"),
    "Atlantic": _("Atlantic"),
    "Indian": _("Indian Ocean"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
}


class TimeZoneField(forms.ChoiceField):
    """A deadline's time zone: offered from the common ones, any canonical one accepted
    (`ponder.lib.zones`). `keep` is accepted too: a question's zone from before, even one of the
    old names that are no longer offered, so that saving other settings does not fail on it."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.keep = ""
        self.offer()

    def offer(self, *first: str) -> None:
        """Offer `first` (the current zone, when it is no common one) before the common zones."""
        first = tuple(name for name in first if self.valid_value(name))

        def choices() -> list:
            # Offsets of today: a zone's offset changes with daylight saving time.
            return zones.grouped(first, timezone.now(), REGION_NAMES)

        self.choices = choices

    def valid_value(self, value: str) -> bool:
        return value in zones.canonical() or bool(value and value == self.keep)


EMBED_ORIGINS_MAX = 20
PASSWORD_MIN, PASSWORD_MAX = 4, 128  # a question's password: a word to share with a room
INVITATIONS_MAX = 500  # invitations made at once


def clean_origins(text: str) -> list[str]:
    """Web origins as CSP's `frame-ancestors` takes them (`https://example.org`, with a port if
    any), one a line or separated by spaces or commas; written the one way a browser compares
    them. Anything else is refused, naming it: a path, a wildcard, a quote or a semicolon would
    change the header's meaning."""
    origins: list[str] = []
    for given in re.split(r"[\s,]+", text.strip()):
        if not given:
            continue
        origin = _origin(given)
        if origin is None:
            raise forms.ValidationError(
                _("“%(value)s” is not a website's address such as https://example.org."),
                params={"value": given[:100]},
                code="origin",
            )
        if origin not in origins:
            origins.append(origin)
    if len(origins) > EMBED_ORIGINS_MAX:
        raise forms.ValidationError(
            _("Name at most %(n)s websites."), params={"n": EMBED_ORIGINS_MAX}, code="origins"
        )
    return origins


HOST = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*")


def _origin(given: str) -> str | None:
    if not given.isascii() or not given.isprintable():
        return None
    try:
        parts = urlsplit(given)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    if (
        parts.scheme not in {"http", "https"}
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
        or parts.username is not None
        or "@" in parts.netloc
        or not HOST.fullmatch(host)
    ):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


class QuestionSettingsForm(Form):
    title = _title_field(_("Question"))
    description = _text_field(_("Description (optional)"), required=False)
    allow_ideas = forms.BooleanField(label=_("Participants may add ideas"), required=False)
    allow_arguments = forms.BooleanField(
        label=_("Participants may add pros and cons"), required=False
    )
    max_votes = forms.IntegerField(
        label=_("Votes per participant"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=_("Leave empty for unlimited votes."),
    )
    deadline = forms.DateTimeField(
        label=_("Deadline (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("The question closes itself at this time."),
    )
    time_zone = TimeZoneField(
        label=_("Time zone of the deadline"),
        error_messages={
            "invalid_choice": _("Choose a time zone from the list, for example Europe/Berlin.")
        },
    )
    ideas_until = forms.DateTimeField(
        label=_("Collect ideas until (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_(
            "Two phases: until this time people add ideas and nobody can vote; from then on "
            "they vote until the deadline, and no new ideas can be added. Pros, cons and "
            "comments stay open in both. Leave empty to do both at once."
        ),
    )
    hide_tally = forms.BooleanField(
        label=_("Hide the votes until the question closes"),
        required=False,
        help_text=_(
            "Nobody sees counts, voters or ranks while voting is open, so that nobody votes "
            "with the crowd. The ideas come in an order of each person's own meanwhile."
        ),
    )
    organiser_sees_tally = forms.BooleanField(
        label=_("I still see the votes while they are hidden"),
        required=False,
        help_text=_("Only you, with the admin link. Turn it off to be surprised as well."),
    )
    anonymous_votes = forms.BooleanField(
        label=_("Anonymous votes"),
        required=False,
        help_text=_(
            "Nobody sees who voted for what, not even you; the counts still show. Once anyone "
            "has voted, this cannot be turned off."
        ),
    )
    random_order = forms.BooleanField(
        label=_("Show the ideas in random order while the question is open"),
        required=False,
        help_text=_(
            "Each person sees the ideas in an order of their own, so that the first ideas get "
            "no head start. Once the question closes, the result is ordered by votes."
        ),
    )
    allow_exports = forms.BooleanField(
        label=_("Anyone with the link may download the results"),
        required=False,
        help_text=_("CSV, Excel, JSON and a printable report. You can always download them."),
    )
    allow_embed = forms.BooleanField(
        label=_("Other websites may embed this question"),
        required=False,
        help_text=_(
            "Off: no other website can show it in a frame. On: people can take part in it "
            "inside a frame on the websites below, and vote there as themselves."
        ),
    )
    embed_origins = forms.CharField(
        label=_("Websites that may embed it (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_(
            "One address a line, such as https://example.org. Leave empty to let any website "
            "embed it."
        ),
    )
    taking_part = forms.ChoiceField(
        label=_("Who may take part"),
        choices=TakingPart.choices,
        required=False,  # left out: kept
        widget=forms.RadioSelect,
        help_text=_(
            "Everyone else sees only a page saying what they need: to log in, the password, or "
            "an invitation. You always get in with your admin link."
        ),
    )
    password = forms.CharField(
        label=_("Password (for “People who know a password”)"),
        required=False,
        min_length=PASSWORD_MIN,
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Tell it to those who should take part. Leave empty to keep the present one; people "
            "who already take part stay in when you change it."
        ),
    )

    # Limits: shown together, under a note of their own (settings.html).
    max_ideas_per_person = forms.IntegerField(
        label=_("Ideas per participant"),
        required=False,
        min_value=1,
        max_value=10_000,
        help_text=_("Leave empty for no limit. You, the organiser, may always add ideas."),
    )
    max_ideas = forms.IntegerField(
        label=_("Ideas in total"),
        required=False,
        min_value=1,
        max_value=100_000,
        help_text=_("Leave empty for no limit."),
    )
    max_text_length = forms.IntegerField(
        label=_("Longest description, pro, con or comment (characters)"),
        required=False,
        min_value=1,
        max_value=settings.PONDER_TEXT_MAX,
    )
    max_votes_per_idea = forms.IntegerField(
        label=_("Votes per idea per participant"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=_(
            "1: one vote per idea (approval voting). More: a participant may put several of "
            "their votes on one idea (dot voting), within their votes in total."
        ),
    )
    LIMITS = ("max_ideas_per_person", "max_ideas", "max_text_length", "max_votes_per_idea")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["max_text_length"].help_text = _(
            "Leave empty for the most this site allows: %(n)s."
        ) % {"n": number_format(settings.PONDER_TEXT_MAX, force_grouping=True)}
        zone_field = self.fields["time_zone"]
        zone_field.initial = settings.PONDER_TIME_ZONE
        zone_field.keep = self.initial.get("time_zone", "")
        zone_field.offer(zone_field.keep, self.data.get("time_zone", ""))
        if not self.is_bound and not self.initial.get("deadline"):
            # No deadline yet, so no zone chosen for one: the browser's own zone goes first and
            # is chosen (zones.js), if it is canonical; the rest of them for it to look in.
            common = set(zones.COMMON)
            zone_field.widget.attrs |= {
                "data-browser-zone": _("This device's time zone"),
                "data-zones": " ".join(sorted(zones.canonical() - common)),
            }

    def main_fields(self) -> list[forms.BoundField]:
        return [field for field in self if field.name not in self.LIMITS]

    def limit_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.LIMITS]

    def clean_max_votes_per_idea(self) -> int:
        return self.cleaned_data.get("max_votes_per_idea") or 1

    def clean_embed_origins(self) -> list[str]:
        return clean_origins(self.cleaned_data.get("embed_origins") or "")

    def clean_taking_part(self) -> str:
        return (
            self.cleaned_data.get("taking_part")
            or self.initial.get("taking_part")
            or TakingPart.LINK
        )

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        mode = self.data.get("taking_part") or self.initial.get("taking_part")
        if not password and mode == TakingPart.PASSWORD and not self.initial.get("has_password"):
            raise forms.ValidationError(
                _("Choose a password, or choose another way of taking part."), code="required"
            )
        return password

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        zone = data.get("time_zone")
        messages = {
            "deadline": (
                _("The deadline is too far in the future."),
                WHOLE_MINUTES,
                _("The deadline must be in the future."),
            ),
            "ideas_until": (
                _("The end of collecting ideas is too far in the future."),
                _("Give the end of collecting ideas in whole minutes, without seconds."),
                _("The end of collecting ideas must be in the future."),
            ),
        }
        for name, (too_far, whole, past) in messages.items():
            moment: datetime | None = data.get(name)
            if moment is None or not zone:
                continue
            # The typed time is a wall-clock time in the chosen zone, not the server's.
            typed = moment.replace(tzinfo=None)
            changed = self._moment_changed(name, typed, zone)
            if not changed:
                typed = self.initial[name]  # with the seconds the field does not show
            aware = timezone.make_aware(typed, zoneinfo.ZoneInfo(zone))
            if _beyond_utc(aware):
                self.add_error(name, too_far)
            elif changed and (typed.second or typed.microsecond):
                # Whole minutes, as the page shows them: a time with seconds would switch the
                # question up to a minute after the time everyone sees.
                self.add_error(name, whole)
            elif aware <= timezone.now() and changed:
                self.add_error(name, past)
            data[name] = aware
        deadline, ideas_until = data.get("deadline"), data.get("ideas_until")
        ordered = not (deadline and ideas_until and ideas_until >= deadline)
        if not ordered and not self.has_error("ideas_until"):
            self.add_error("ideas_until", _("Collecting ideas must end before the deadline."))
        return data

    def _moment_changed(self, name: str, typed: datetime, zone: str) -> bool:
        """A deadline that passed may be saved again unchanged (the form shows whole minutes);
        Django's own `changed_data` compares it as naive against aware, so always "changed"."""
        before = self.initial.get(name)
        return not (
            isinstance(before, datetime)
            and zone == self.initial.get("time_zone")
            and typed in (before, before.replace(second=0, microsecond=0))
        )

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, object]:
        deadline, ideas_until = question.deadline, question.ideas_until
        zone = zoneinfo.ZoneInfo(question.time_zone)
        if ideas_until is not None:
            ideas_until = ideas_until.astimezone(zone).replace(tzinfo=None)
        return {
            "title": question.title,
            "description": question.description,
            "allow_ideas": question.allow_ideas,
            "allow_arguments": question.allow_arguments,
            "max_votes": question.max_votes,
            "deadline": deadline.astimezone(zone).replace(tzinfo=None) if deadline else None,
            "time_zone": question.time_zone,
            "allow_exports": question.allow_exports,
            "allow_embed": question.allow_embed,
            "embed_origins": "\n".join(question.embed_origin_list),
            "max_ideas_per_person": question.max_ideas_per_person,
            "max_ideas": question.max_ideas,
            "max_text_length": question.max_text_length,
            "max_votes_per_idea": question.max_votes_per_idea,
            "ideas_until": ideas_until,
            "hide_tally": question.hide_tally,
            "organiser_sees_tally": question.organiser_sees_tally,
            "anonymous_votes": question.anonymous_votes,
            "random_order": question.random_order,
            "taking_part": question.taking_part,
            "password": "",  # never shown; empty keeps it
            "has_password": bool(question.password_hash),
        }


class InvitationsForm(Form):
    """Invitations: by e-mail (one address a line; each gets a mail with their link) or a
    number of links to hand out, each with a label."""

    emails = forms.CharField(
        label=_("E-mail addresses, one a line"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("Each address gets an e-mail with its own link."),
    )
    count = forms.IntegerField(
        label=_("Or this many personal links"),
        required=False,
        min_value=1,
        max_value=INVITATIONS_MAX,
        help_text=_("Shown to you once, to hand out yourself; each lets one person in."),
    )
    label = forms.CharField(
        label=_("Label of the links (optional)"),
        required=False,
        max_length=100,
        validators=[validate_label],
        help_text=_("Numbered: “Team 1”, “Team 2” …"),
    )

    def clean_emails(self) -> list[str]:
        found: list[str] = []
        for given in re.split(r"[\s,;]+", self.cleaned_data.get("emails") or ""):
            if not given:
                continue
            try:
                forms.EmailField().clean(given)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("“%(value)s” is not an e-mail address."),
                    params={"value": given[:100]},
                    code="email",
                ) from None
            if given.lower() not in (f.lower() for f in found):
                found.append(given)
        if len(found) > INVITATIONS_MAX:
            raise forms.ValidationError(
                _("Invite at most %(n)s addresses at once."), params={"n": INVITATIONS_MAX}
            )
        return found

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not self.errors and not data.get("emails") and not data.get("count"):
            raise forms.ValidationError(
                _("Give e-mail addresses or a number of links."), code="required"
            )
        if data.get("emails") and data.get("count"):
            raise forms.ValidationError(
                _("Give e-mail addresses or a number of links, not both."), code="both"
            )
        return data


class CoOrganiserForm(Form):
    email = forms.EmailField(
        label=_("E-mail address of their account"),
        max_length=254,
        help_text=_("They must have an account with this address."),
    )


class PasswordGateForm(Form):
    password = forms.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


# Moderation ---------------------------------------------------------------------------------


class HideForm(Form):
    """The organiser hides an entry: why, from a short list, and an optional note shown with it."""

    reason = forms.ChoiceField(
        label=_("Why hide it?"),
        choices=HiddenReason.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the reasons.")},
    )
    note = forms.CharField(
        label=_("Note shown in its place (optional)"),
        max_length=HIDDEN_NOTE_MAX,
        required=False,
    )


class ReportForm(Form):
    """A participant reports an entry to the organiser."""

    reason = forms.ChoiceField(
        label=_("What is wrong with it?"),
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the reasons.")},
    )
    note = forms.CharField(
        label=_("Anything the organiser should know (optional)"),
        max_length=REPORT_NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MergeForm(Form):
    """The organiser merges one idea into another: both of this question, not the same."""

    keep = forms.ChoiceField(
        label=_("The idea that stays"),
        error_messages={"invalid_choice": _("Choose an idea of this question.")},
    )
    merged = forms.ChoiceField(
        label=_("The duplicate, merged into it"),
        help_text=_("Its votes, pros and cons move to the idea that stays; then it is gone."),
        error_messages={"invalid_choice": _("Choose an idea of this question.")},
    )

    def __init__(self, *args: object, ideas: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("Choose an idea")), *ideas]
        self.fields["keep"].choices = choices  # type: ignore[attr-defined]
        self.fields["merged"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("keep") and cleaned.get("keep") == cleaned.get("merged"):
            self.add_error("merged", _("Choose two different ideas."))
        return cleaned


class ConfirmForm(Form):
    confirm = forms.BooleanField(
        label=_("Yes, remove this name and everything it wrote and voted"),
        error_messages={"required": _("Tick the box to confirm, or leave the name as it is.")},
    )
