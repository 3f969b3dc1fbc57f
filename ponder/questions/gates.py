"""Who may take part: the gate page that those a question keeps out see, the password and
invitation links that let people in, and the organiser's invitations and co-organisers. The rule
itself is `access.admission`."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.hashers import check_password
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap

from ponder.lib.ids import new_secret
from ponder.ratelimit import guesses_left, guesses_message, limit, wrong_password

from . import invitations, services
from .access import (
    Access,
    Gated,
    admin_for,
    question_for,
    remember_invitation,
    remember_password,
)
from .forms import CoOrganiserForm, InvitationsForm, PasswordGateForm, QuestionSettingsForm
from .models import CoOrganiser, Invitation, Question
from .services import ActionRefused

GATE = "questions/gate.html"


def needs_message(needs: str) -> str:
    """What someone kept out needs, in a sentence (the gate page's heading, the API's 403)."""
    return {
        "login": _("This question is open to people with an account. Log in to take part."),
        "password": _("This question is protected by a password. Enter it to take part."),
        "invitation": _(
            "This question is by invitation. Ask its organiser for your personal link."
        ),
        "invitation_used": _(
            "This invitation link was opened in another browser already, and lets only that "
            "browser in. Ask the organiser for a link of your own."
        ),
        "revoked": _("Your invitation to this question was withdrawn."),
    }.get(needs, _("You cannot take part in this question."))


def gate_page(
    request: HttpRequest,
    question: Question,
    needs: str,
    *,
    form: PasswordGateForm | None = None,
    error: str = "",
    status: int = 403,
) -> HttpResponse:
    """What someone the question keeps out sees: what they need, and nothing of the question
    (not even its title, which may say more than its organiser wants outsiders to know)."""
    if getattr(request, "htmx", False):
        # A fragment of a page they may no longer see: reload it whole, to the gate.
        return reswap(HttpResponse(status=status, headers={"HX-Refresh": "true"}), "none")
    here = reverse("question", args=[question.pk])
    context = {
        "question_id": question.pk,
        "needs": needs,
        "message": needs_message(needs),
        "form": form or PasswordGateForm(),
        "error": error,
        "login_url": f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': here})}",
    }
    response = render(request, GATE, context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def password_enter(request: HttpRequest, question_id: str) -> HttpResponse:
    """The password of a question, given once per browser (then remembered in a signed cookie).
    Wrong guesses are counted per address and question, and over the limit none is checked."""
    access = question_for(request, question_id, gate=False)
    question = access.question
    if access.reader.may_view():
        return redirect("question", question_id)
    if access.admission.needs != "password":
        return gate_page(request, question, access.admission.needs)
    form = PasswordGateForm(request.POST)
    refusal = guesses_left(request, question.pk)
    if refusal is not None:
        response = gate_page(
            request, question, "password", error=guesses_message(refusal), status=429
        )
        response["Retry-After"] = str(refusal.wait)
        return response
    if not form.is_valid():
        return gate_page(request, question, "password", form=form, status=422)
    if not check_password(form.cleaned_data["password"], question.password_hash):
        wrong_password(request, question.pk)
        form.add_error("password", _("This is not the password. Check it and try again."))
        return gate_page(request, question, "password", form=form, status=422)
    response = redirect("question", question_id)
    remember_password(response, question)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_link(request: HttpRequest, question_id: str, key: str) -> HttpResponse:
    """An invitee's personal link. Opening it asks them to go on (a page: mail scanners and link
    previews open links too, and must not take the invitation); going on (a form post) lets this
    browser in, from then on. Any other browser is told that the link was used."""
    if request.method == "HEAD":  # link previews: nothing looked up
        return HttpResponse()
    access = question_for(request, question_id, gate=False)
    question = access.question
    invitation = invitations.invitation_of_key(question, key)
    if invitation is None:
        raise Http404
    if invitation.revoked_at is not None:
        return gate_page(request, question, "revoked")
    held = access.invitation
    if held is not None and held.pk == invitation.pk:
        return redirect("question", question_id)  # this browser holds it already
    if invitation.used_at is not None:
        return gate_page(request, question, "invitation_used")
    if request.method == "GET":
        context = {"question_id": question_id, "key": key}
        response = render(request, "questions/invitation.html", context)
        response["Cache-Control"] = "private, no-store"
        return response
    secret = new_secret()
    if not invitations.invitation_bind(invitation=invitation, secret=secret):
        return gate_page(request, question, "invitation_used")
    response = redirect("question", question_id)
    remember_invitation(response, question, invitation, secret)
    return response


# The organiser's side -----------------------------------------------------------------------


def people_context(request: HttpRequest, access: Access) -> dict[str, object]:
    """The invitations and co-organisers the settings page lists."""
    question = access.question
    return {
        "invitations": Invitation.objects.filter(question=question).order_by("created_at"),
        "co_organisers": CoOrganiser.objects.filter(question=question)
        .select_related("user")
        .order_by("added_at"),
        "invitations_form": InvitationsForm(),
        "co_organiser_form": CoOrganiserForm(),
    }


def settings_page(
    request: HttpRequest, access: Access, *, status: int = 200, **forms: object
) -> HttpResponse:
    from .views import _context  # the question pages' context

    initial = QuestionSettingsForm.initial_for(access.question)
    context = _context(request, access, form=QuestionSettingsForm(initial=initial))
    context.update(people_context(request, access))
    context.update(forms)
    return render(request, "questions/settings.html", context, status=status)


def invitation_url(request: HttpRequest, question: Question, key: str) -> str:
    return request.build_absolute_uri(reverse("invitation_link", args=[question.pk, key]))


@require_POST
def invitations_create(request: HttpRequest, question_id: str) -> HttpResponse:
    access = admin_for(request, question_id)
    form = InvitationsForm(request.POST)
    if not form.is_valid():
        return settings_page(request, access, status=422, invitations_form=form)
    question = access.question
    if form.cleaned_data["emails"]:
        made = invitations.invitation_create_for_emails(
            question=question, emails=form.cleaned_data["emails"]
        )
        for new in made:
            invitations.send_invitation_mail(
                to=new.invitation.email,
                question=question,
                url=invitation_url(request, question, new.key),
            )
    else:
        made = invitations.invitation_create_links(
            question=question, count=form.cleaned_data["count"], label=form.cleaned_data["label"]
        )
    links = [(new.invitation, invitation_url(request, question, new.key)) for new in made]
    response = settings_page(request, access, new_links=links)
    response["Cache-Control"] = "private, no-store"  # the links are shown this once
    return response


@require_POST
def invitation_revoke(request: HttpRequest, question_id: str, invitation_id: str) -> HttpResponse:
    access = admin_for(request, question_id)
    invitation = get_object_or_404(Invitation, pk=invitation_id, question=access.question)
    invitations.invitation_revoke(invitation=invitation)
    messages.success(
        request,
        _("The link of “%(label)s” no longer lets anyone in.") % {"label": invitation.label},
    )
    return redirect(reverse("question_settings", args=[question_id]) + "#invitations-heading")


@require_POST
@limit("co_organiser")
def co_organiser_add(request: HttpRequest, question_id: str) -> HttpResponse:
    access = admin_for(request, question_id)
    form = CoOrganiserForm(request.POST)
    if form.is_valid():
        try:
            services.co_organiser_add(question=access.question, email=form.cleaned_data["email"])
        except ActionRefused as refused:
            form.add_error("email", refused.message)
        else:
            messages.success(request, _("They organise this question with you now."))
            url = reverse("question_settings", args=[question_id])
            return redirect(url + "#co-organisers-heading")
    return settings_page(request, access, status=422, co_organiser_form=form)


@require_POST
def co_organiser_remove(request: HttpRequest, question_id: str, user_id: int) -> HttpResponse:
    access = admin_for(request, question_id)
    services.co_organiser_remove(question=access.question, user_id=user_id)
    messages.success(request, _("They no longer organise this question."))
    return redirect(reverse("question_settings", args=[question_id]) + "#co-organisers-heading")


def gated_json(gated: Gated) -> JsonResponse:
    """Kept out, in JSON (the API, the live stream): 403, saying what is needed (`needs`)."""
    detail = {"detail": needs_message(gated.needs), "code": "gated", "needs": gated.needs}
    return JsonResponse(detail, status=403)


def gated_answer(request: HttpRequest, gated: Gated) -> HttpResponse:
    """The answer to a request `Gated` refused (`middleware.GateMiddleware`)."""
    if request.path.startswith("/api/") or request.headers.get("Accept", "").startswith(
        ("application/json", "text/event-stream")
    ):
        return gated_json(gated)
    return gate_page(request, gated.question, gated.needs)
