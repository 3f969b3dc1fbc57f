from django import forms
from django.utils.translation import gettext_lazy as _

from ponder.questions.forms import Form

from .models import Activity, Role, Subscription


class AddressForm(Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Never shown to anyone. We first send a link to confirm it."),
    )


class SettingsForm(Form):
    activity = forms.ChoiceField(choices=Activity.choices, widget=forms.RadioSelect)
    deadline = forms.BooleanField(label=_("When the question closes within a day"), required=False)
    result = forms.BooleanField(required=False)

    def __init__(self, *args: object, subscription: Subscription, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        organiser = subscription.role == Role.ORGANISER
        self.fields["activity"].label = (
            _("New ideas and reports") if organiser else _("New pros and cons on your ideas")
        )
        self.fields["result"].label = (
            _("The closing summary") if organiser else _("The result, when the question closes")
        )
