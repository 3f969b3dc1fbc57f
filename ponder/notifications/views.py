"""The notification pages. `/q/<id>/notify/` is each reader's own (the question page, a render
shared by many, only links to it); `/n/<id>/...` are reached by the subscription's id alone,
from the mails: that id is the only key, so they ask for no login and no cookie."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from ponder.lib.ids import hash_secret
from ponder.questions.access import question_for, request_account
from ponder.ratelimit import limit

from . import services
from .forms import AddressForm, SettingsForm
from .models import Role, Subscription


def base_url(request: HttpRequest) -> str:
    """The address this request came to: where the mails' links lead (unless
    PONDER_BASE_URL says otherwise)."""
    return request.build_absolute_uri("/").rstrip("/")


def _subscription(subscription_id: str) -> Subscription:
    found = Subscription.objects.select_related("question").filter(pk=subscription_id).first()
    if found is None:
        raise Http404
    return found


@require_http_methods(["GET", "POST"])
@limit("notify")
def question_notify(request: HttpRequest, question_id: str) -> HttpResponse:
    """Notifications about one question, for whoever may view it: an account subscribes with
    one button; anyone else gives an address, which is confirmed by a link mailed to it."""
    access = question_for(request, question_id)  # gated: who may not view it cannot subscribe
    question = access.question
    account = request_account(request)
    role = Role.ORGANISER if access.is_organiser else Role.PARTICIPANT
    participant = access.participant
    form = AddressForm()
    if request.method == "POST":
        if account is not None:
            subscription = services.account_subscribe(
                question=question,
                user=account,
                role=role,
                participant=participant
                if participant and participant.user_id == account.pk
                else None,
                base_url=base_url(request),
                language=translation.get_language(),
            )
            return redirect("subscription", subscription.pk)
        form = AddressForm(request.POST)
        if form.is_valid():
            services.address_subscribe(
                question=question,
                email=form.cleaned_data["email"],
                role=role,
                participant=participant,
                admin_key_hash=hash_secret(access.admin_key) if access.admin_key else "",
                base_url=base_url(request),
                language=translation.get_language(),
            )
            messages.success(
                request,
                _(
                    "A link to confirm is on its way to %(email)s. Notifications start once "
                    "you open it."
                )
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("question_notify", question.pk)
    subscription = None
    if account is not None:
        subscription = Subscription.objects.filter(question=question, user=account).first()
    return render(
        request,
        "notifications/question_notify.html",
        {
            "question": question,
            "form": form,
            "account": account,
            "subscription": subscription,
            "organiser": role == Role.ORGANISER,
            "participant": participant,
        },
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def subscription_settings(request: HttpRequest, subscription_id: str) -> HttpResponse:
    subscription = _subscription(subscription_id)
    form = SettingsForm(
        request.POST if request.method == "POST" else None,
        subscription=subscription,
        initial={
            "activity": subscription.activity,
            "deadline": subscription.deadline,
            "result": subscription.result,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.settings_update(subscription=subscription, **form.cleaned_data)
        messages.success(request, _("Saved: you get what is ticked."))
        return redirect("subscription", subscription.pk)
    return render(
        request,
        "notifications/settings.html",
        {"subscription": subscription, "question": subscription.question, "form": form},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def subscription_confirm(request: HttpRequest, subscription_id: str) -> HttpResponse:
    """The link mailed to a new address: a page with a button, so that a mail scanner that
    opens every link confirms nothing."""
    subscription = _subscription(subscription_id)
    if request.method == "POST":
        services.confirm(subscription=subscription)
        messages.success(request, _("Confirmed: notifications about this question are on."))
        return redirect("subscription", subscription.pk)
    return render(
        request,
        "notifications/confirm.html",
        {"subscription": subscription, "question": subscription.question},
    )


# RFC 8058: a mail program unsubscribes with one POST, carrying no cookie and no CSRF token.
# The subscription's id in the URL is the authority (only its mails hold it), and the one thing
# the request can do is turn its mails off: there is nothing a forged request could gain.
@csrf_exempt  # nosemgrep: ponder-no-csrf-exempt (RFC 8058, the reason above)
@require_http_methods(["GET", "POST"])
def subscription_unsubscribe(request: HttpRequest, subscription_id: str) -> HttpResponse:
    subscription = _subscription(subscription_id)
    done = False
    if request.method == "POST":
        services.unsubscribe(subscription=subscription)
        done = True
    return render(
        request,
        "notifications/unsubscribe.html",
        {"subscription": subscription, "question": subscription.question, "done": done},
    )


@require_GET
@login_required
def my_notifications(request: HttpRequest) -> HttpResponse:
    subscriptions = (
        Subscription.objects.filter(user=request.user)
        .select_related("question")
        .order_by("-question__created_at")
    )
    return render(request, "notifications/my_notifications.html", {"subscriptions": subscriptions})
