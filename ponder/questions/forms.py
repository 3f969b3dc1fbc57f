"""Forms: the first line of docs/product-rules.md P10. Text is stripped, required, and limited in
length; nothing is cut silently, and NUL characters are refused by Django's own validator. Names
and titles follow `ponder.lib.text.validate_label` too: no bidirectional controls, at least one
visible character."""

import zoneinfo
from datetime import UTC, datetime
from functools import cache

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ponder.lib.text import validate_label

from .models import Argument, Question


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

    def __init__(self, *args: object, needs_name: bool = False, name: str = "", **kwargs: object):
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if needs_name:
            self.fields = {"name": NameForm.base_fields["name"], **self.fields}
            self.initial.setdefault("name", name)


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


class QuestionCreateForm(Form):
    title = _title_field(_("Your question"))


class IdeaForm(ParticipantForm):
    id_prefix = "idea"

    title = _title_field(_("Idea"))
    description = _text_field(_("Description (optional)"), required=False)


class ArgumentForm(ParticipantForm):
    kind = forms.ChoiceField(
        label=_("Pro or con"),
        choices=Argument.Kind.choices,
        widget=forms.RadioSelect,
        initial=Argument.Kind.PRO,
    )
    text = _text_field(_("Argument"))


class CommentForm(ParticipantForm):
    id_prefix = "comment"

    text = _text_field(_("Comment"))


def _beyond_utc(moment: datetime) -> bool:
    """The database stores UTC: late on 31 December 9999 west of Greenwich has no UTC time."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return True
    return False


@cache
def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


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
    time_zone = forms.ChoiceField(label=_("Time zone of the deadline"), choices=_time_zone_choices)
    allow_exports = forms.BooleanField(
        label=_("Anyone with the link may download the results"),
        required=False,
        help_text=_("CSV, Excel, JSON and a printable report. You can always download them."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["time_zone"].initial = settings.PONDER_TIME_ZONE

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        deadline: datetime | None = data.get("deadline")
        zone = data.get("time_zone")
        if deadline is not None and zone:
            # The typed time is a wall-clock time in the chosen zone, not the server's.
            typed = deadline.replace(tzinfo=None)
            aware = timezone.make_aware(typed, zoneinfo.ZoneInfo(zone))
            if _beyond_utc(aware):
                self.add_error("deadline", _("The deadline is too far in the future."))
            elif aware <= timezone.now() and self._deadline_changed(typed, zone):
                self.add_error("deadline", _("The deadline must be in the future."))
            data["deadline"] = aware
        return data

    def _deadline_changed(self, typed: datetime, zone: str) -> bool:
        """A deadline that passed may be saved again unchanged (the form shows whole minutes);
        Django's own `changed_data` compares it as naive against aware, so always "changed"."""
        before = self.initial.get("deadline")
        return not (
            isinstance(before, datetime)
            and zone == self.initial.get("time_zone")
            and typed == before.replace(second=0, microsecond=0)
        )

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, object]:
        deadline = question.deadline
        zone = zoneinfo.ZoneInfo(question.time_zone)
        return {
            "title": question.title,
            "description": question.description,
            "allow_ideas": question.allow_ideas,
            "allow_arguments": question.allow_arguments,
            "max_votes": question.max_votes,
            "deadline": deadline.astimezone(zone).replace(tzinfo=None) if deadline else None,
            "time_zone": question.time_zone,
            "allow_exports": question.allow_exports,
        }
