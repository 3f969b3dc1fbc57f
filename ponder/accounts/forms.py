"""The account page's forms. Names follow `ponder.lib.text.validate_label`, as participants'
names do: stripped, required, no bidirectional controls, at least one visible character."""

from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ponder.lib.text import validate_label
from ponder.questions.forms import Form


class ProfileForm(Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=settings.PONDER_NAME_MAX,
        validators=[validate_label],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Offered as your name when you take part in a question."),
    )


class ApiTokenForm(Form):
    label = forms.CharField(
        label=_("What is the token for?"),
        max_length=settings.PONDER_NAME_MAX,
        validators=[validate_label],
        help_text=_("For example: “the class's voting script”. Only you see it."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "id_token_%s")
        super().__init__(*args, **kwargs)


class AccountDeleteForm(Form):
    REMOVE, KEEP = "remove", "keep"
    contributions = forms.ChoiceField(
        label=_("What happens to what you wrote, your votes and your likes?"),
        choices=[
            (REMOVE, _("Remove my contributions")),
            (KEEP, _("Keep them, shown as “Former participant”")),
        ],
        widget=forms.RadioSelect,
    )


class LoginForm(AllauthLoginForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The login box has its own "Forgot password?" below the button: one link, not two.
        self.fields["password"].help_text = ""
