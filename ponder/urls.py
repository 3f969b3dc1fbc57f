from django.urls import include, path, register_converter
from django.views.generic import RedirectView

from ponder.accounts import legal
from ponder.api.api import api
from ponder.lib.ids import QUESTION_ID_REGEX, SECRET_LENGTH
from ponder.notifications.views import my_notifications, question_notify
from ponder.questions.stream import question_events


class IdConverter:
    # Any id: a question's (22 characters, or 12 if it was asked before ids grew) or an entry's
    # (12). The routes name both with this one converter; the lookup finds which exist.
    regex = QUESTION_ID_REGEX

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class KeyConverter(IdConverter):
    regex = f"[0-9A-Za-z]{{{SECRET_LENGTH}}}"


class KindConverter(IdConverter):
    regex = "idea|argument|comment"


register_converter(IdConverter, "id")
register_converter(KindConverter, "kind")
register_converter(KeyConverter, "key")

urlpatterns = [
    path("api/v1/questions/<id:question_id>/events", question_events, name="api_question_events"),
    # The reference is at /api/v1/docs, like every API path without a slash; the slash is a
    # natural thing to type after "docs", so it leads there too.
    path("api/v1/docs/", RedirectView.as_view(pattern_name="api:openapi-view", query_string=True)),
    path("api/v1/", api.urls),
    # The language switcher in the footer posts to /i18n/setlang/ (Django's set_language).
    path("i18n/", include("django.conf.urls.i18n")),
    # My questions and the account's settings (the sign-in pages are at /accounts/).
    path("me/notifications/", my_notifications, name="my_notifications"),
    path("me/", include("ponder.accounts.urls_me")),
    # A subscription's pages, from its mails (README, Notifications).
    path("n/", include("ponder.notifications.urls")),
    path("q/<id:question_id>/notify/", question_notify, name="question_notify"),
    path("accounts/", include("ponder.accounts.urls")),
    path("terms/", legal.terms, name="terms"),
    path("privacy/", legal.privacy, name="privacy"),
    path("", include("ponder.questions.urls")),
]

handler400 = "ponder.questions.errors.bad_request"
handler403 = "ponder.questions.errors.forbidden"
handler404 = "ponder.questions.errors.not_found"
handler500 = "ponder.questions.errors.server_error"
# allauth's rate limits (ponder/accounts) answer with this.
handler429 = "ponder.accounts.limits.too_many_requests"
