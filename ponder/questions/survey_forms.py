"""The forms of surveys: making one (a title, a description and its questions, one a line) and
adding a question. Titles follow the rules of a question's (`forms._title_field`)."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ponder.lib.text import validate_label

from .forms import Form


def _title(label: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=settings.PONDER_TITLE_MAX, validators=[validate_label]
    )


def question_titles(text: str) -> list[str]:
    """The questions of a survey as typed, one a line (empty lines left out), each checked as a
    question's title; a clear error naming the line otherwise."""
    lines = [line.strip() for line in text.splitlines()]
    titles = [line for line in lines if line]
    if not titles:
        raise ValidationError(_("Add at least one question."), code="required")
    most = settings.PONDER_SURVEY_QUESTIONS_MAX
    if len(titles) > most:
        raise ValidationError(
            ngettext(
                "A survey holds at most %(n)d question; this has %(given)d.",
                "A survey holds at most %(n)d questions; this has %(given)d.",
                most,
            )
            % {"n": most, "given": len(titles)},
            code="too_many",
        )
    errors = []
    for number, title in enumerate(titles, start=1):
        try:
            if len(title) > settings.PONDER_TITLE_MAX:
                raise ValidationError(
                    _("Use at most %(n)d characters.") % {"n": settings.PONDER_TITLE_MAX}
                )
            validate_label(title)
        except ValidationError as error:
            for message in error.messages:
                errors.append(
                    ValidationError(
                        _("Question %(number)d: %(message)s")
                        % {"number": number, "message": message}
                    )
                )
    if errors:
        raise ValidationError(errors)
    return titles


class SurveyCreateForm(Form):
    title = _title(_("Title of the survey"))
    description = forms.CharField(
        label=_("Description (optional)"),
        max_length=settings.PONDER_TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    questions = forms.CharField(
        label=_("Questions, one a line"),
        help_text=_("Up to 15 questions, for example “Where?” and “When?”."),
        max_length=(settings.PONDER_TITLE_MAX + 2) * settings.PONDER_SURVEY_QUESTIONS_MAX * 2,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Add at least one question.")},
    )

    def clean_questions(self) -> list[str]:
        return question_titles(self.cleaned_data["questions"])


class SurveyEditForm(Form):
    title = _title(_("Title of the survey"))
    description = forms.CharField(
        label=_("Description (optional)"),
        max_length=settings.PONDER_TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SurveyQuestionForm(Form):
    title = _title(_("New question"))
