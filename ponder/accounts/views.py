"""The account's own pages under /me/: My questions, the settings (display name, API tokens,
download my data) and deleting the account. Only for people who are logged in: everyone else is
sent to the login page, and back here after it."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ponder.questions.services import ActionRefused

from . import dashboard, services
from .data import account_data
from .forms import AccountDeleteForm, ApiTokenForm, ProfileForm
from .models import ApiToken, Profile

NO_STORE = "private, no-store"  # a page with a new token, or the account's data


@require_GET
@login_required
def my_questions(request: HttpRequest) -> HttpResponse:
    context = {
        "open_questions": list(dashboard.open_questions(request.user)),
        "closed_questions": list(dashboard.closed_questions(request.user)),
    }
    return render(request, "accounts/my_questions.html", context)


def _settings_page(
    request: HttpRequest,
    *,
    profile_form: ProfileForm | None = None,
    token_form: ApiTokenForm | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    profile = Profile.objects.filter(user=request.user).first()
    initial = {"display_name": profile.display_name if profile else ""}
    context = {
        "profile_form": profile_form or ProfileForm(initial=initial),
        "token_form": token_form or ApiTokenForm(),
        "tokens": ApiToken.objects.filter(user=request.user),
        "new_token": new_token,
    }
    response = render(request, "accounts/settings.html", context, status=status)
    if new_token:
        response["Cache-Control"] = NO_STORE
    return response


@require_http_methods(["GET", "POST"])
@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _settings_page(request)
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, profile_form=form, status=422)
    services.profile_update(account=request.user, display_name=form.cleaned_data["display_name"])
    messages.success(request, _("Your display name is saved."))
    return redirect("me_settings")


@require_POST
@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    """A new API token, shown on this answer once (not after a redirect: it is kept nowhere)."""
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, token_form=form, status=422)
    try:
        _api_token, token = services.api_token_create(
            account=request.user, label=form.cleaned_data["label"]
        )
    except ActionRefused as refused:
        form.add_error("label", refused.message)
        return _settings_page(request, token_form=form, status=422)
    return _settings_page(request, new_token=token)


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if not services.api_token_revoke(account=request.user, token_id=token_id):
        raise Http404  # not one of this account's tokens
    messages.success(request, _("The token is revoked: programs using it are refused from now on."))
    return redirect("me_settings")


@require_GET
@login_required
def data_download(request: HttpRequest) -> HttpResponse:
    data = json.dumps(account_data(request.user), ensure_ascii=False, indent=2)
    response = HttpResponse(data, content_type="application/json; charset=utf-8")
    day = timezone.now().date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="ponder-my-data-{day}.json"'
    response["Cache-Control"] = NO_STORE
    return response


@require_http_methods(["GET", "POST"])
@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    """Asked first: the person chooses what happens to their contributions, and is told what
    happens to the questions they asked."""
    form = AccountDeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        remove = form.cleaned_data["contributions"] == AccountDeleteForm.REMOVE
        services.account_delete(account=request.user, remove_contributions=remove)
        logout(request)
        messages.success(request, _("Your account is deleted."))
        return redirect("home")
    asked = request.user.questions_created.count()
    status = 422 if form.errors else 200
    return render(request, "accounts/delete.html", {"form": form, "asked": asked}, status=status)
