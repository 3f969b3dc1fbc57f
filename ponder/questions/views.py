"""The question pages. Each action is a plain form post that redirects (works without JavaScript);
with htmx the same URL answers with the changed fragment and a status message instead."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from ponder.database import database_answers
from ponder.lib.ids import new_secret
from ponder.ratelimit import limit

from . import errors, gates, services, stencils
from .access import (
    Access,
    admin_cookie_name,
    admin_for,
    argument_for,
    asked_by,
    browser_token,
    comment_for,
    forget_participant,
    idea_for,
    is_embedded,
    key_organises,
    participant_token,
    question_for,
    remember_browser,
    remember_organiser,
    remember_participant,
    remembered_name,
    request_account,
    request_user,
)
from .crowds import network_of_request
from .forms import (
    ArgumentForm,
    CommentForm,
    DuplicateForm,
    IdeaAddForm,
    IdeaForm,
    NameForm,
    QuestionCreateForm,
    QuestionSettingsForm,
    RenameForm,
)
from .models import Argument, Comment, Idea, IdeaMerge, Participant, Question, Vote
from .pages import ARGUMENTS_SHOWN, COMMENTS_SHOWN, IDEAS_SHOWN, Listing, question_page
from .rendering import IDEA_PAGE, as_html, shared_parts
from .services import ActionRefused, VoteResult
from .signals import question_asked
from .survey_reads import survey_page_url

DETAIL = "questions/detail.html"


# Helpers ------------------------------------------------------------------------------------


def _page_url(access: Access, anchor: str = "", *, request: HttpRequest | None = None) -> str:
    # A form posted from the embed page (in an iframe) goes back there: the question page
    # refuses to be framed.
    embedded = request is not None and is_embedded(request)
    url = reverse("embed" if embedded else "question", args=[access.question.pk])
    back = survey_page_url(request, access.question, anchor) if request and not embedded else None
    if back:  # posted from the page of the survey the question belongs to: back there
        return back
    return f"{url}#{anchor}" if anchor else url


def _context(request: HttpRequest, access: Access, **extra: Any) -> dict[str, Any]:
    return {
        "access": access,
        "question": access.question,
        "is_open": access.is_open,
        "voting_closed": access.reader.phase == "ideas",  # open, but collecting ideas first
        "listing": Listing(),  # the ideas in their usual order (a shared render has its own)
        # Made when a template shows it: most answers (a page from the shared render, a vote)
        # do not.
        "name_form": SimpleLazyObject(lambda: NameForm(initial={"name": remembered_name(request)})),
        # Who they take part as ("You take part as …"): `rendering` puts a stand-in here.
        "my_name": access.participant.name if access.participant else "",
        "rename_form": SimpleLazyObject(lambda: RenameForm(initial={"name": _my_name(access)})),
        **extra,
    }


def _my_name(access: Access) -> str:
    return access.participant.name if access.participant else ""


# Refusals shown on the form as a whole (above its fields), not as the page's status.
FORM_REFUSALS = frozenset({"idea_limit", "idea_limit_per_person"})


def _name_taken(form: Form, refused: ActionRefused) -> bool:
    """Whether the refusal belongs on the form, where it is put: a name that looks like another
    participant's next to the name field, a text over the limit next to the text, a limit of
    ideas above the form."""
    if refused.code == "name_taken" and "name" in form.fields:
        form.add_error("name", refused.message)
    elif refused.field and refused.field in form.fields:
        form.add_error(refused.field, refused.message)
    elif refused.code in FORM_REFUSALS:
        form.add_error(None, refused.message)
    else:
        return False
    return True


def _status(request: HttpRequest, message: str, *, error: bool = False) -> str:
    context = {"message": message, "error": error, "oob": True}
    # A message needs nothing of the request; without one, the status shows the request's
    # messages (a context processor's).
    return render_to_string("status.html", context, None if message else request)


def _done(
    request: HttpRequest,
    access: Access,
    message: str,
    *,
    anchor: str = "",
    fragment: str = "",
    context: dict[str, Any] | None = None,
    html: str = "",
    joined_now: tuple[str, str] | None = None,
) -> HttpResponse:
    """Answer a successful action: for htmx, the changed part of the page (the partial
    `fragment` rendered with `context`, or `html` rendered already) and a status; else a
    redirect."""
    if request.htmx and not joined_now:
        if fragment:
            html = render_to_string(f"{DETAIL}#{fragment}", context, request)
        return HttpResponse(html + _status(request, message))
    messages.success(request, message)
    response = redirect(_page_url(access, anchor, request=request))
    if request.htmx:
        # Someone just gave their name: every form on the page changes, so load it whole.
        response = HttpResponse(headers={"HX-Refresh": "true"})
    if joined_now:
        token, name = joined_now
        remember_participant(response, token=token, name=name)
    return response


def _refused(request: HttpRequest, access: Access, message: str, *, status: int) -> HttpResponse:
    if request.htmx:
        return reswap(HttpResponse(_status(request, message, error=True), status=status), "none")
    messages.error(request, message)
    return redirect(_page_url(access, "status", request=request))


def _form_invalid(
    request: HttpRequest, access: Access, form: Form, *, partial: str, target: str, **extra: Any
) -> HttpResponse:
    """Show the form again with its errors next to the fields (422), in place or as a page."""
    context = _context(request, access, form=form, partial=partial, **extra)
    template = f"{DETAIL}#{partial}" if request.htmx else "questions/form_page.html"
    response = render(request, template, context, status=422)
    if not request.htmx:
        return response
    # Replace the last action's "saved" message, which would otherwise still stand.
    message = _("Nothing was saved. Please check the form.")
    response.content += _status(request, message, error=True).encode()
    return retarget(reswap(response, "outerHTML"), target)


def _participant(request: HttpRequest, access: Access, form: Form) -> tuple[Participant, Any]:
    """The author of a contribution: who they are, or who they just said they are."""
    if access.participant is not None:
        return access.participant, None
    participant, token = services.participant_join(
        question=access.question,
        name=form.cleaned_data["name"],
        token=browser_token(request),
        network=network_of_request(request),
        organiser=access.is_organiser,
        user=request_account(request),
        invitation=access.invitation,
    )
    access.participant = participant
    return participant, (token, participant.name)


def _shared_row(request: HttpRequest, access: Access, idea_id: str) -> bytes:
    """One idea's row for this reader, from the row shared by everyone at this version."""
    parts = shared_parts(
        request, access, _context(request, access), parts=("idea",), idea_id=idea_id
    )
    return parts["idea"]


def _idea_row(
    request: HttpRequest, access: Access, idea_id: str, *, unfolded: bool = False
) -> dict[str, Any]:
    """One idea's row for this reader alone (the answer to their own action), as the page shows
    it: with its strongest pro and con, or `unfolded` with all of them (after an action on one
    of those, or a new one, which the folded row might not show)."""
    page = question_page(
        access,
        idea_ids=[idea_id],
        comments=False,
        arguments_shown=None if unfolded else ARGUMENTS_SHOWN,
        per_kind=not unfolded,
    )
    if not page.ideas:
        raise Http404
    return _context(request, access, idea=page.ideas[0], page=page, unfolded=unfolded)


def _unfolded(request: HttpRequest) -> bool:
    """Whether the action came from a row showing all its pros and cons (their like buttons say
    so), which its answer keeps."""
    return request.POST.get("unfolded") == "1"


# Pages --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@limit("question")
def home(request: HttpRequest) -> HttpResponse:
    form = QuestionCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        question, admin_key = services.question_create(
            title=form.cleaned_data["title"], created_by=request_account(request)
        )
        if form.cleaned_data["email"]:
            services.question_links_send(
                question=question,
                email=form.cleaned_data["email"],
                share_url=request.build_absolute_uri(reverse("question", args=[question.pk])),
                admin_url=request.build_absolute_uri(
                    reverse("admin_link", args=[question.pk, admin_key])
                ),
            )
        question_asked.send(
            sender=Question,
            request=request,
            question=question,
            admin_key=admin_key,
            email=form.cleaned_data["email"],
            notify=form.cleaned_data["notify"],
        )
        messages.success(
            request, _("Your question is ready. Add the first ideas, then share the link.")
        )
        response = redirect("question", question.pk)
        remember_organiser(response, question_id=question.pk, admin_key=admin_key)
        return response
    return render(
        request, "questions/home.html", {"form": form}, status=422 if form.errors else 200
    )


def _ideas_shown(request: HttpRequest, access: Access) -> int:
    """How many of the leading ideas to show: `?ideas=` (from "Show more ideas"), in steps, and
    no more than the question has: every larger number shares the one render of them all (each
    number up to 30,000 was a render of its own, 335 ms on a question of 400 ideas)."""
    try:
        asked = int(request.GET.get("ideas", IDEAS_SHOWN))
    except ValueError:
        asked = IDEAS_SHOWN
    if asked <= IDEAS_SHOWN:
        return IDEAS_SHOWN  # the page as it comes, without a count
    asked = min(asked, Idea.objects.filter(question=access.question).count())
    steps = -(-max(asked, IDEAS_SHOWN) // IDEAS_SHOWN)  # rounded up: a few shared renders only
    return steps * IDEAS_SHOWN


def detail_context(
    request: HttpRequest,
    access: Access,
    *,
    parts: tuple[str, ...] = ("ideas", "comment_list"),
    as_bytes: bool = False,
    lag: float = 0.0,
) -> dict[str, Any]:
    """What the question page shows; the embed page (`sharing.embed`) shows the same. The ideas
    and comments come from the render shared by everyone (`rendering.py`), with this reader's
    votes, likes and rights put in. `lag`: see `shared_parts`."""
    comments_all = request.GET.get("comments") == "all"
    context = _context(
        request, access, needs_name=access.participant is None, comments_all=comments_all
    )
    if "page" not in parts and "article" not in parts:  # the forms are rendered here
        name = remembered_name(request)
        needs_name, text_max = access.participant is None, access.question.text_max
        context["idea_form"] = IdeaAddForm(needs_name=needs_name, name=name, text_max=text_max)
        context["comment_form"] = CommentForm(needs_name=needs_name, name=name, text_max=text_max)
    shared = shared_parts(
        request,
        access,
        context,
        parts=parts,
        ideas_shown=_ideas_shown(request, access),
        comments_shown=None if comments_all else COMMENTS_SHOWN,
        listing=Listing.asked(request.GET.get("sort"), request.GET.get("q")),
        lag=lag,
    )
    # As the answer itself (bytes), or to be put in a template.
    context["shared"] = shared if as_bytes else {k: as_html(v) for k, v in shared.items()}
    return context


@require_GET
@vary_on_headers("HX-Request")
def question_detail(request: HttpRequest, question_id: str) -> HttpResponse:
    access = question_for(request, question_id)
    _claim_if_asked_here(request, access)
    return in_own_order(access, _question_detail)(request, access)


def in_own_order(
    access: Access, view: Callable[[HttpRequest, Access], HttpResponse]
) -> Callable[[HttpRequest, Access], HttpResponse]:
    """`view`, for a reader whose ideas come in an order of their own, chosen by their
    browser's token (`rendering.page_key`): a newcomer's browser gets one with this answer, so
    their order stays the same on every visit (and after they join: joining keeps the token)."""
    if access.token is not None or access.reader.ranks_by_votes():
        return view

    def with_token(request: HttpRequest, access: Access) -> HttpResponse:
        access.token = token = new_secret()
        response = view(request, access)
        remember_browser(response, token=token)
        return response

    return with_token


def _question_detail(request: HttpRequest, access: Access) -> HttpResponse:
    if request.htmx:
        # In place (htmx, and the live updates): one part of the page, with this reader's state.
        part = request.GET.get("part", "ideas")
        part = part if part in {"ideas", "comment_list"} else "ideas"
        context = detail_context(request, access, parts=(part,), as_bytes=True)
        return HttpResponse(context["shared"][part])
    if len(get_messages(request)):
        # A message to show once (after a plain form post): the page around the shared
        # article is rendered for this request.
        return render(request, DETAIL, detail_context(request, access, parts=("article",)))
    # The whole page, live updates included: it may lag a little behind the newest change, for
    # its live updates replay what it missed (PONDER_PAGE_LAG).
    lag = settings.PONDER_PAGE_LAG
    context = detail_context(request, access, parts=("page",), as_bytes=True, lag=lag)
    return HttpResponse(context["shared"]["page"])


@require_safe
def admin_link(request: HttpRequest, question_id: str, admin_key: str) -> HttpResponse:
    """The secret admin link: it makes this browser the organiser's, then shows the question.
    HEAD, as link-preview bots send it, is answered 200 and empty: nothing looked up, nothing
    remembered, and no "Method Not Allowed" log line quoting the link."""
    if request.method == "HEAD":
        return HttpResponse()
    # Ungated: the admin key always lets its holder in, whoever the question admits.
    access = question_for(request, question_id, gate=False)
    if not key_organises(access.question, admin_key):
        raise Http404
    access.admin_key = admin_key
    _claim_if_asked_here(request, access)
    response = redirect("question", question_id)
    remember_organiser(response, question_id=question_id, admin_key=admin_key)
    return response


def _claim_if_asked_here(request: HttpRequest, access: Access) -> None:
    """A logged-in person holding the admin key of a question no account has makes it their
    account's ("My questions"). Logging in claims what the login request carries; the admin
    keys' cookies are sent only under their question's path, so the rest is claimed here, the
    first time the person opens the question or its admin link logged in."""
    if access.admin_key is None or access.question.created_by_id is not None:
        return
    account = request_account(request)
    if account is not None and services.questions_claim(
        questions=[access.question], account=account
    ):
        access.question.created_by_id = account.pk


@require_POST
@limit("join")
def join(request: HttpRequest, question_id: str) -> HttpResponse:
    access = question_for(request, question_id)
    form = NameForm(request.POST)
    if not form.is_valid():
        return _form_invalid(
            request, access, form, partial="join", target="#join", name_form=form, needs_name=True
        )
    try:
        participant, token = services.participant_join(
            question=access.question,
            name=form.cleaned_data["name"],
            token=browser_token(request),
            network=network_of_request(request),
            organiser=access.is_organiser,
            user=request_account(request),
            invitation=access.invitation,
        )
    except ActionRefused as refused:
        if _name_taken(form, refused):
            return _form_invalid(
                request,
                access,
                form,
                partial="join",
                target="#join",
                name_form=form,
                needs_name=True,
            )
        return _refused(request, access, refused.message, status=409)
    message = _("Welcome, %(name)s.") % {"name": participant.name}
    return _done(request, access, message, anchor="ideas", joined_now=(token, participant.name))


@require_POST
@limit("join")
def rename(request: HttpRequest, question_id: str) -> HttpResponse:
    """ "change name": the participant's new name, wherever their name is shown."""
    access = question_for(request, question_id)
    if access.participant is None:
        return _refused(request, access, _("Please give your name first."), status=403)
    form = RenameForm(request.POST)
    if form.is_valid():
        try:
            participant = services.participant_rename(
                participant=access.participant,
                name=form.cleaned_data["name"],
                organiser=access.is_organiser,
            )
        except ActionRefused as refused:
            if not _name_taken(form, refused):
                return _refused(request, access, refused.message, status=409)
        else:
            message = _("You now take part as %(name)s.") % {"name": participant.name}
            token = access.token or ""
            return _done(request, access, message, joined_now=(token, participant.name))
    return _form_invalid(
        request, access, form, partial="whoami", target="#whoami", rename_form=form
    )


@require_POST
def forget(request: HttpRequest, question_id: str) -> HttpResponse:
    """ "not you?": this browser forgets who takes part from it, here and on every question."""
    access = question_for(request, question_id)
    messages.success(
        request, _("This browser no longer knows your name. Give a name to take part.")
    )
    response = redirect(_page_url(access, request=request))
    if request.htmx:
        response = HttpResponse(headers={"HX-Refresh": "true"})
    forget_participant(response)
    return response


@require_http_methods(["GET", "POST"])
def question_settings(request: HttpRequest, question_id: str) -> HttpResponse:
    access = admin_for(request, question_id)
    initial = QuestionSettingsForm.initial_for(access.question)
    form = QuestionSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(question=access.question, **form.cleaned_data)
        except ActionRefused as refused:  # anonymous votes cast already: stays on
            field = "anonymous_votes" if refused.code == "anonymous_locked" else None
            form.add_error(field, refused.message)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("question", question_id)
    status = 422 if form.errors else 200
    context = {**_context(request, access), **gates.people_context(request, access), "form": form}
    return render(request, "questions/settings.html", context, status=status)


@require_POST
def question_close(request: HttpRequest, question_id: str) -> HttpResponse:
    access = admin_for(request, question_id)
    services.question_close(question=access.question)
    messages.success(request, _("The question is closed. Here is the result."))
    return redirect("question", question_id)


@require_POST
def question_reopen(request: HttpRequest, question_id: str) -> HttpResponse:
    access = admin_for(request, question_id)
    services.question_reopen(question=access.question)
    messages.success(request, _("The question is open again."))
    return redirect("question", question_id)


@require_http_methods(["GET", "POST"])
def admin_key_replace(request: HttpRequest, question_id: str) -> HttpResponse:
    """Replace the admin link (asked first): the old one stops working at once. The new link is
    shown once, and this browser remembers it. For whoever holds the key, and for the account
    that asked the question (which lost its link); a co-organiser must not lock them out."""
    access = admin_for(request, question_id)
    if access.admin_key is None and not asked_by(access.question, request_user(request)):
        return errors.answer(
            request,
            403,
            _("Not allowed"),
            _(
                "Only the account that asked the question, or whoever holds its admin link, can "
                "make a new admin link."
            ),
        )
    if request.method == "GET":
        return render(request, "questions/admin_key.html", _context(request, access))
    question, admin_key = services.question_admin_key_replace(question=access.question)
    url = request.build_absolute_uri(reverse("admin_link", args=[question.pk, admin_key]))
    context = _context(request, access, new_admin_url=url)
    response = render(request, "questions/admin_key.html", context)
    response["Cache-Control"] = "private, no-store"  # the new key must not be kept anywhere
    remember_organiser(response, question_id=question.pk, admin_key=admin_key)
    return response


@require_http_methods(["GET", "POST"])
@limit("question")  # a copy is a new question
def question_duplicate(request: HttpRequest, question_id: str) -> HttpResponse:
    """A copy of the question with its settings (with its ideas, and their pros and cons, if
    asked), opened as a new question of this browser's."""
    access = admin_for(request, question_id)
    form = DuplicateForm(request.POST or None)
    if request.method == "GET" or not form.is_valid():
        status = 422 if form.errors else 200
        context = _context(request, access, form=form)
        return render(request, "questions/duplicate.html", context, status=status)
    what = form.cleaned_data["copy"]
    copy, admin_key = services.question_duplicate(
        question=access.question,
        with_ideas=what in {"ideas", "arguments"},
        with_arguments=what == "arguments",
    )
    messages.success(
        request,
        _("This is your copy: a new question with its own links. Share it when it is ready."),
    )
    response = redirect("question", copy.pk)
    remember_organiser(response, question_id=copy.pk, admin_key=admin_key)
    return response


@require_http_methods(["GET", "POST"])
def question_delete(request: HttpRequest, question_id: str) -> HttpResponse:
    """Delete the question, after a confirmation: everything on it is gone at once, and its
    links answer 410 Gone."""
    access = admin_for(request, question_id)
    if request.method == "GET":
        contents = Question.objects.with_contents().get(pk=access.question.pk)
        context = _context(request, access, contents=contents)
        return render(request, "questions/question_delete.html", context)
    services.question_delete(question=access.question)
    messages.success(request, _("The question was deleted, with everything on it."))
    response = redirect("home")
    response.delete_cookie(admin_cookie_name(question_id), path=f"/q/{question_id}/")
    return response


# Ideas --------------------------------------------------------------------------------------


@require_POST
@limit("idea", newcomer=True, person=participant_token)
def idea_add(request: HttpRequest, question_id: str) -> HttpResponse:
    access = question_for(request, question_id)
    form = IdeaAddForm(
        request.POST,
        request.FILES,
        needs_name=access.participant is None,
        text_max=access.question.text_max,
    )
    invalid = partial(
        _form_invalid,
        request,
        access,
        form,
        partial="idea_form",
        target="#idea-form",
        idea_form=form,
    )
    if not form.is_valid():
        return invalid()
    try:
        with transaction.atomic():  # a refused idea must not keep the newcomer who sent it
            author, joined = _participant(request, access, form)
            idea = services.idea_add(
                question=access.question,
                author=author,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                by_organiser=access.is_organiser,
                image=form.cleaned_data["image"],
                image_alt=form.cleaned_data["image_alt"],
            )
    except ActionRefused as refused:
        return (
            invalid()
            if _name_taken(form, refused)
            else _refused(request, access, refused.message, status=409)
        )
    context = _idea_row(request, access, idea.pk)
    context["idea_form"] = IdeaAddForm(text_max=access.question.text_max)
    return _done(
        request,
        access,
        _("Your idea was added."),
        anchor=f"idea-{idea.pk}",
        fragment="idea_added",
        context=context,
        joined_now=joined,
    )


@require_GET
@vary_on_headers("HX-Request")
def idea_detail(request: HttpRequest, question_id: str, idea_id: str) -> HttpResponse:
    """One idea in full: its whole description, every argument, every voter, and the form to add
    a pro or con. The link of an idea merged into another leads to the one that stays."""
    try:
        access = question_for(request, question_id, idea_id=idea_id)
    except Http404:
        merged_into = IdeaMerge.objects.filter(question_id=question_id, pk=idea_id).first()
        if merged_into is None:
            raise
        return redirect("idea", question_id, merged_into.into_id, permanent=True)
    part = request.GET.get("part")
    if request.htmx and part == "row":  # live updates: the row as the whole page shows it
        return HttpResponse(_shared_row(request, access, idea_id))
    if access.idea.is_hidden and not access.reader.sees_hidden():
        raise Http404  # its row on the question page says why it is hidden; nothing more
    if request.htmx and part == "argument_form":  # "Add a pro or con" opened on the question page
        return _argument_form(request, access)
    # From the render of the idea shared by every reader of this kind (`rendering.py`).
    context = _context(request, access, idea=access.idea, merged_from=_merged_from(access.idea))
    if request.htmx and part in {"description", "voters", "arguments"}:
        parts: tuple[str, ...] = (part,)
    elif len(get_messages(request)):
        # A message to show once: the page around the shared body is rendered for this request.
        parts = ("body",)
    else:
        parts = ("page",)
    shared = shared_parts(
        request, access, context, parts=parts, template=IDEA_PAGE, idea_id=idea_id
    )
    if parts == ("body",):
        return render(request, IDEA_PAGE, {**context, "shared": {"body": as_html(shared["body"])}})
    return HttpResponse(shared[parts[0]])


def _merged_from(idea: Idea) -> list[str]:
    """The titles of the ideas merged into this one ("merged from …")."""
    merges = IdeaMerge.objects.filter(into=idea).order_by("merged_at")
    return list(merges.values_list("title", flat=True))


def _argument_form(request: HttpRequest, access: Access) -> HttpResponse:
    """The empty add-argument form of `access.idea`, as its row on the question page had it: the
    page leaves it out (few open it) and loads it when opened."""
    if not access.can_add_arguments():  # closed, or switched off, since the page was loaded
        message = (
            _("Only the organiser can add pros and cons here.")
            if access.is_open
            else _("This question is closed.")
        )
        return _refused(request, access, message, status=409)
    return render(request, f"{DETAIL}#argument_form", _context(request, access, idea=access.idea))


@require_POST
@limit("vote", person=participant_token)
def vote(request: HttpRequest, question_id: str, idea_id: str) -> HttpResponse:
    return _vote_or_unvote(request, question_id, idea_id, cast=True)


@require_POST
@limit("vote", person=participant_token)
def unvote(request: HttpRequest, question_id: str, idea_id: str) -> HttpResponse:
    return _vote_or_unvote(request, question_id, idea_id, cast=False)


def _vote_or_unvote(
    request: HttpRequest, question_id: str, idea_id: str, *, cast: bool
) -> HttpResponse:
    access = question_for(request, question_id, idea_id=idea_id)
    idea = idea_for(access, idea_id)
    action = services.vote_cast if cast else services.vote_retract
    if access.question.max_votes_per_idea > 1:  # one of several on the idea: "+" and "minus"
        action = services.vote_add if cast else services.vote_remove
    return _act_as_participant(
        request,
        access,
        lambda me: action(idea=idea, participant=me),
        answer=lambda result: _vote_box(request, access, idea, result),
        anchor=f"idea-{idea.pk}",
        ask_name=_("Please give your name first, then vote."),
        message=_("Your vote was counted.") if cast else _("Your vote was taken back."),
    )


def _act_as_participant(
    request: HttpRequest,
    access: Access,
    act: Callable[[Participant], object],
    *,
    answer: Callable[[Any], str],
    anchor: str,
    ask_name: str,
    message: str,
) -> HttpResponse:
    """A vote or a like: only for someone who gave a name; answers in place with the part of
    the page it changed (`answer`, given what `act` returned; for htmx only)."""
    if access.participant is None:
        return _refused(request, access, ask_name, status=403)
    try:
        result = act(access.participant)
    except ActionRefused as refused:
        return _refused(request, access, refused.message, status=409)
    html = answer(result) if request.htmx else ""
    return _done(request, access, message, anchor=anchor, html=html)


def _vote_box(request: HttpRequest, access: Access, idea: Idea, result: VoteResult) -> str:
    """What a vote changes: the idea's count and first voters, as the service read them, and
    whether this person now votes for it; filled in from a stencil of the partial. On a
    question with a cap, also what the reader has left of it (the note kept in view). With
    the tally hidden from them, their own mark only, rendered from the partial itself."""
    if access.question.max_votes_per_idea > 1:
        # Several votes on one idea: the box says how many are theirs (no stencil of it).
        access.reader.read_marks_now()
        context = _idea_row(request, access, idea.pk)
        box = render_to_string(f"{DETAIL}#vote_box", context, request)
    elif not access.reader.sees_counts():
        hidden = SimpleNamespace(
            pk=idea.pk, title=idea.title, vote_count=None, first_voters=[], more_voters=0
        )
        hidden.voted = result.vote is not None
        context = {"question": access.question, "idea": hidden, "is_open": access.is_open}
        box = render_to_string(f"{DETAIL}#vote_box", context, request)
    else:
        box = stencils.vote_box(
            question_id=access.question.pk,
            idea_id=idea.pk,
            title=idea.title,
            vote_count=result.idea_vote_count,
            first_voters=list(result.first_voters) if access.reader.sees_voter_names() else [],
            voted=result.vote is not None,
            is_open=access.is_open,
            csrf_token=get_token(request),
        )
    return box + _votes_left(request, access)


def _votes_left(request: HttpRequest, access: Access) -> str:
    """On a question with a cap, the reader's "Your votes: 2 of 5 left", to swap in."""
    cap = access.question.max_votes
    if not cap or survey_page_url(request, access.question, ""):
        return ""  # a survey's page shows each question's note in its part (live-refreshed)
    used = Vote.objects.filter(participant=access.participant).count()
    context = {
        "question": access.question,
        "page": SimpleNamespace(my_votes_left=max(cap - used, 0)),
        "oob": True,
    }
    return render_to_string(f"{DETAIL}#votes_left", context)


# Arguments and likes ------------------------------------------------------------------------


@require_POST
@limit("argument", newcomer=True, person=participant_token)
def argument_add(request: HttpRequest, question_id: str, idea_id: str) -> HttpResponse:
    access = question_for(request, question_id, idea_id=idea_id)
    idea = idea_for(access, idea_id)
    form = ArgumentForm(
        request.POST,
        needs_name=access.participant is None,
        auto_id=f"id_{idea.pk}_%s",
        text_max=access.question.text_max,
    )

    def invalid() -> HttpResponse:
        page = question_page(access, idea_ids=[idea.pk], comments=False)
        return _form_invalid(
            request,
            access,
            form,
            partial="argument_form",
            target=f"#argument-form-{idea.pk}",
            idea=page.ideas[0],
            argument_form=form,
        )

    if not form.is_valid():
        return invalid()
    try:
        with transaction.atomic():  # a refused argument must not keep the newcomer who sent it
            author, joined = _participant(request, access, form)
            argument = services.argument_add(
                idea=idea,
                author=author,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                by_organiser=access.is_organiser,
            )
    except ActionRefused as refused:
        return (
            invalid()
            if _name_taken(form, refused)
            else _refused(request, access, refused.message, status=409)
        )
    message = _("Your pro was added.") if argument.kind == "pro" else _("Your con was added.")
    context = _idea_row(request, access, idea.pk, unfolded=True)
    return _done(
        request,
        access,
        message,
        anchor=f"argument-{argument.pk}",
        fragment="idea",
        context=context,
        joined_now=joined,
    )


@require_POST
@limit("like", person=participant_token)
def like(request: HttpRequest, question_id: str, argument_id: str) -> HttpResponse:
    return _like_or_unlike(request, question_id, argument_id, add=True)


@require_POST
@limit("like", person=participant_token)
def unlike(request: HttpRequest, question_id: str, argument_id: str) -> HttpResponse:
    return _like_or_unlike(request, question_id, argument_id, add=False)


def _like_or_unlike(
    request: HttpRequest, question_id: str, argument_id: str, *, add: bool
) -> HttpResponse:
    access = question_for(request, question_id)
    argument = argument_for(access, argument_id)
    action = services.like_add if add else services.like_remove
    return _act_as_participant(
        request,
        access,
        lambda me: action(argument=argument, participant=me),
        answer=lambda _result: render_to_string(
            f"{DETAIL}#idea",
            _idea_row(request, access, argument.idea_id, unfolded=_unfolded(request)),
            request,
        ),
        anchor=f"argument-{argument.pk}",
        ask_name=_("Please give your name first, then like."),
        message=_("You like this argument.") if add else _("You no longer like this argument."),
    )


# Comments -----------------------------------------------------------------------------------


@require_POST
@limit("comment", newcomer=True, person=participant_token)
def comment_add(request: HttpRequest, question_id: str) -> HttpResponse:
    access = question_for(request, question_id)
    form = CommentForm(
        request.POST, needs_name=access.participant is None, text_max=access.question.text_max
    )
    invalid = partial(
        _form_invalid,
        request,
        access,
        form,
        partial="comment_form",
        target="#comment-form",
        comment_form=form,
    )
    if not form.is_valid():
        return invalid()
    try:
        with transaction.atomic():  # a refused comment must not keep the newcomer who sent it
            author, joined = _participant(request, access, form)
            comment = services.comment_add(
                question=access.question, author=author, text=form.cleaned_data["text"]
            )
    except ActionRefused as refused:
        return (
            invalid()
            if _name_taken(form, refused)
            else _refused(request, access, refused.message, status=409)
        )
    return _done(
        request,
        access,
        _("Your comment was added."),
        anchor=f"comment-{comment.pk}",
        fragment="comments",
        context=_comments_context(request, access),
        joined_now=joined,
    )


def _comments_context(request: HttpRequest, access: Access) -> dict[str, Any]:
    page = question_page(access, idea_ids=[], comments=True)
    form = CommentForm(text_max=access.question.text_max)
    return _context(request, access, page=page, comment_form=form, needs_name=False)


# Editing and deleting entries (ideas, arguments, comments) ----------------------------------


@dataclass(frozen=True)
class EntryKind:
    """How one kind of entry is found, edited, deleted and shown again."""

    find: Callable[[Access, str], Idea | Argument | Comment]
    form: type[Form]
    fields: tuple[str, ...]
    update: Callable[..., object]
    delete: Callable[..., None]
    service_arg: str
    saved: str  # lazily translated
    deleted: str


ENTRIES = {
    "idea": EntryKind(
        find=idea_for,
        form=IdeaForm,
        fields=("title", "description"),
        update=services.idea_update,
        delete=services.idea_delete,
        service_arg="idea",
        saved=gettext_lazy("Idea saved."),
        deleted=gettext_lazy("Idea deleted."),
    ),
    "argument": EntryKind(
        find=argument_for,
        form=ArgumentForm,
        fields=("kind", "text"),
        update=services.argument_update,
        delete=services.argument_delete,
        service_arg="argument",
        saved=gettext_lazy("Argument saved."),
        deleted=gettext_lazy("Argument deleted."),
    ),
    "comment": EntryKind(
        find=comment_for,
        form=CommentForm,
        fields=("text",),
        update=services.comment_update,
        delete=services.comment_delete,
        service_arg="comment",
        saved=gettext_lazy("Comment saved."),
        deleted=gettext_lazy("Comment deleted."),
    ),
}


def _entry(request: HttpRequest, question_id: str, kind: str, entry_id: str) -> tuple[Access, Any]:
    access = question_for(request, question_id)
    entry = ENTRIES[kind].find(access, entry_id)
    if not access.can_change(entry):
        raise Http404
    return access, entry


def _after_entry_change(
    request: HttpRequest, access: Access, kind: str, entry: Any, message: str
) -> HttpResponse:
    if kind == "comment":
        return _done(
            request,
            access,
            message,
            anchor="comments",
            fragment="comments",
            context=_comments_context(request, access),
        )
    idea_id = entry.pk if kind == "idea" else entry.idea_id
    if kind == "idea" and not Idea.objects.filter(pk=idea_id).exists():
        return _done(request, access, message, anchor="ideas")  # the row is simply removed
    context = _idea_row(request, access, idea_id, unfolded=kind == "argument")
    return _done(
        request, access, message, anchor=f"{kind}-{entry.pk}", fragment="idea", context=context
    )


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def entry_edit(request: HttpRequest, question_id: str, kind: str, entry_id: str) -> HttpResponse:
    access, entry = _entry(request, question_id, kind, entry_id)
    spec = ENTRIES[kind]
    initial = {name: getattr(entry, name) for name in spec.fields}
    # A text saved before the organiser lowered the limit may be saved again as it is.
    saved = len(getattr(entry, spec.form.long_text))
    form = spec.form(
        request.POST or None,
        initial=initial,
        auto_id=f"id_{entry.pk}_%s",
        text_max=max(access.question.text_max, saved),
    )
    if request.method == "POST" and form.is_valid():
        try:
            spec.update(
                **{spec.service_arg: entry},
                **{f: form.cleaned_data[f] for f in spec.fields},
                by_organiser=access.is_organiser,
            )
        except ActionRefused as refused:
            if not _name_taken(form, refused):
                return _refused(request, access, refused.message, status=409)
        else:
            return _after_entry_change(request, access, kind, entry, str(spec.saved))
    context = _context(request, access, form=form, entry=entry, kind=kind, partial="edit_form")
    template = "questions/form_page.html"
    if request.htmx:
        template = f"{DETAIL}#edit_form"
    response = render(request, template, context, status=422 if form.errors else 200)
    if request.htmx and form.errors:
        response = retarget(reswap(response, "outerHTML"), f"#edit-{kind}-{entry.pk}")
    return response


@require_http_methods(["GET", "POST"])
def entry_delete(request: HttpRequest, question_id: str, kind: str, entry_id: str) -> HttpResponse:
    access, entry = _entry(request, question_id, kind, entry_id)
    if request.method == "GET":
        context = _context(request, access, entry=entry, kind=kind)
        return render(request, "questions/delete.html", context)
    ENTRIES[kind].delete(**{ENTRIES[kind].service_arg: entry})
    return _after_entry_change(request, access, kind, entry, str(ENTRIES[kind].deleted))


# Operation ----------------------------------------------------------------------------------


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    # Asked on a thread of its own, for half a second at most: a load balancer learns of a hung
    # database at once, and its checks do not pile up waiting on it (docs/reliability.md #8).
    if database_answers():
        return JsonResponse({"status": "ok", "database": connection.vendor})
    response = JsonResponse({"status": "unavailable", "database": connection.vendor}, status=503)
    response["Retry-After"] = "5"
    return response


# What the accessibility statement reports as tested: keep it true when the checks change
# (test_accessibility_statement.py compares the version with package.json).
AXE_CORE_VERSION = "4.14.1"
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
STATEMENT_REVIEWED = date(2026, 11, 26)


@require_GET
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    context = {
        "axe_version": AXE_CORE_VERSION,
        "axe_tags": AXE_TAGS,
        "reviewed": STATEMENT_REVIEWED,
        "contact_email": settings.PONDER_CONTACT_EMAIL,
    }
    return render(request, "questions/accessibility.html", context)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if getattr(request, "htmx", False):
        # In place, a whole page must not land inside an idea row: say it in the status instead.
        message = _("Your page is out of date. Reload it and try again.")
        if is_embedded(request):
            # Most likely the browser keeps this site's cookies from frames on other sites; or
            # two embeds on one page each set a new CSRF cookie on a first visit, and one lost.
            message = _(
                "Taking part did not work inside this page. Reload it and try again; if that "
                "does not help, your browser blocks it here: open the question in a new tab with "
                "the link below."
            )
        return reswap(HttpResponse(_status(request, message, error=True), status=403), "none")
    return render(request, "errors/403_csrf.html", status=403)
