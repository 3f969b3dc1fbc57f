"""The organiser's moderation pages and the participants' reports: hide and restore an entry,
remove one participant with everything they did, merge two ideas, report an entry, and the list
of open reports. Every action is a plain form post that redirects; with htmx, hide and restore
answer with the changed part of the question page, as editing does (`views._after_entry_change`).
Who may do what is `Reader.may_moderate` and `Reader.may_report` (access.py)."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from ponder.ratelimit import limit

from . import services
from .access import Access, idea_for, moderator_for, participant_token, question_for
from .forms import ConfirmForm, HideForm, MergeForm, ReportForm
from .models import Argument, Comment, Idea, IdeaMerge, Participant, Report
from .services import ActionRefused
from .views import ENTRIES, _after_entry_change, _context, _page_url, _refused, _status

MODERATE_PAGE = "questions/moderate.html"


def _posted(request: HttpRequest) -> Any:
    """The form's data when posted (even empty: a form sent blank is a form with errors)."""
    return request.POST if request.method == "POST" else None


def _moderated_entry(request: HttpRequest, question_id: str, kind: str, entry_id: str) -> Any:
    access = moderator_for(request, question_id)
    return access, ENTRIES[kind].find(access, entry_id)


def _entry_page(
    request: HttpRequest, access: Access, *, partial: str, status: int = 200, **extra: Any
) -> HttpResponse:
    """The form `partial` of the moderation page, as a page or (htmx) in place."""
    context = _context(request, access, partial=partial, **extra)
    template = f"{MODERATE_PAGE}#{partial}" if request.htmx else MODERATE_PAGE
    response = render(request, template, context, status=status)
    if request.htmx and status == 422:
        message = _("Nothing was saved. Please check the form.")
        response.content += _status(request, message, error=True).encode()
        entry = extra["entry"]
        response = retarget(reswap(response, "outerHTML"), f"#{partial}-{extra['kind']}-{entry.pk}")
    return response


# Hide and restore ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def entry_hide(request: HttpRequest, question_id: str, kind: str, entry_id: str) -> HttpResponse:
    access, entry = _moderated_entry(request, question_id, kind, entry_id)
    form = HideForm(_posted(request), auto_id=f"id_hide_{entry.pk}_%s")
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_hide(entry=entry, **form.cleaned_data)
        except ActionRefused as refused:
            return _refused(request, access, refused.message, status=409)
        return _after_entry_change(request, access, kind, entry, _("Hidden from everyone else."))
    status = 422 if form.errors else 200
    return _entry_page(
        request, access, partial="hide_form", status=status, form=form, entry=entry, kind=kind
    )


@require_POST
def entry_restore(request: HttpRequest, question_id: str, kind: str, entry_id: str) -> HttpResponse:
    access, entry = _moderated_entry(request, question_id, kind, entry_id)
    try:
        services.entry_restore(entry=entry)
    except ActionRefused as refused:
        return _refused(request, access, refused.message, status=409)
    return _after_entry_change(request, access, kind, entry, _("Shown to everyone again."))


# Reports ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@limit("report", person=participant_token)
def entry_report(request: HttpRequest, question_id: str, kind: str, entry_id: str) -> HttpResponse:
    """A participant reports someone else's entry. The answer says only that their report was
    received: nothing of anyone else's."""
    access = question_for(request, question_id)
    entry = ENTRIES[kind].find(access, entry_id)
    if not access.can_report(entry):
        raise Http404
    form = ReportForm(_posted(request), auto_id=f"id_report_{entry.pk}_%s")
    if request.method == "POST" and form.is_valid():
        try:
            services.report_add(entry=entry, reporter=access.participant, **form.cleaned_data)
        except ActionRefused as refused:
            return _refused(request, access, refused.message, status=409)
        message = _("Thank you. The organiser will look at it.")
        if request.htmx:
            return reswap(HttpResponse(_status(request, message)), "none")
        messages.success(request, message)
        return redirect(_page_url(access, _anchor(kind, entry), request=request))
    status = 422 if form.errors else 200
    return _entry_page(
        request, access, partial="report_form", status=status, form=form, entry=entry, kind=kind
    )


def _anchor(kind: str, entry: Any) -> str:
    return f"{kind}-{entry.pk}"


@dataclass
class Reported:
    """One reported entry on the organiser's list, with its open reports."""

    kind: str
    entry: Idea | Argument | Comment
    reports: list[Report] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.reports)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """Each reason given, with how many gave it (the most first)."""
        counted = Counter(str(report.get_reason_display()) for report in self.reports)
        return counted.most_common()

    @property
    def text(self) -> str:
        return self.entry.title if isinstance(self.entry, Idea) else self.entry.text

    @property
    def idea_id(self) -> str:
        return self.entry.pk if isinstance(self.entry, Idea) else getattr(self.entry, "idea_id", "")


def open_reports(access: Access) -> list[Reported]:
    """The question's open reports, by entry (the most reported first); in three queries."""
    reports = list(
        Report.objects.open()
        .filter(question=access.question)
        .select_related("idea__author", "argument__author", "comment__author")
        .order_by("created_at", "pk")
    )
    by_entry: dict[tuple[str, str], Reported] = {}
    for report in reports:
        entry = report.idea or report.argument or report.comment
        key = (report.entry_kind, report.entry_id)
        by_entry.setdefault(key, Reported(kind=report.entry_kind, entry=entry)).reports.append(
            report
        )
    return sorted(by_entry.values(), key=lambda reported: -reported.count)


def open_report_count(access: Access) -> int:
    return Report.objects.open().filter(question=access.question).count()


@require_GET
def reports(request: HttpRequest, question_id: str) -> HttpResponse:
    """The organiser's list of open reports, each entry with its reasons and count, to hide or
    dismiss; `?part=notice` (htmx): the count on the organiser's panel."""
    access = moderator_for(request, question_id)
    if request.htmx and request.GET.get("part") == "notice":
        context = {"question": access.question, "count": open_report_count(access)}
        return render(request, f"{MODERATE_PAGE}#report_notice", context)
    context = _context(
        request, access, partial="reports", reported=open_reports(access), hide_form=HideForm()
    )
    return render(request, MODERATE_PAGE, context)


@require_POST
def reports_dismiss(
    request: HttpRequest, question_id: str, kind: str, entry_id: str
) -> HttpResponse:
    _access, entry = _moderated_entry(request, question_id, kind, entry_id)
    services.reports_dismiss(entry=entry)
    messages.success(request, _("The reports were dismissed; the entry stays as it is."))
    return redirect("reports", question_id)


@require_POST
def reported_hide(request: HttpRequest, question_id: str, kind: str, entry_id: str) -> HttpResponse:
    """Hide a reported entry from the list of reports, and come back to the list."""
    _access, entry = _moderated_entry(request, question_id, kind, entry_id)
    form = HideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the reasons."))
        return redirect("reports", question_id)
    services.entry_hide(entry=entry, **form.cleaned_data)
    messages.success(request, _("Hidden from everyone else."))
    return redirect("reports", question_id)


# Merging ideas ------------------------------------------------------------------------------


def _idea_choices(access: Access) -> list[tuple[str, str]]:
    ideas = Idea.objects.filter(question=access.question).order_by("title", "pk")
    return [(pk, title) for pk, title in ideas.values_list("pk", "title")]


@require_http_methods(["GET", "POST"])
def idea_merge(request: HttpRequest, question_id: str) -> HttpResponse:
    """Merge a duplicate idea into the one that stays (`services.idea_merge`)."""
    access = moderator_for(request, question_id)
    initial = {"merged": request.GET.get("merged", "")}
    form = MergeForm(_posted(request), initial=initial, ideas=_idea_choices(access))
    if request.method == "POST" and form.is_valid():
        keep = idea_for(access, form.cleaned_data["keep"])
        merged = idea_for(access, form.cleaned_data["merged"])
        try:
            services.idea_merge(keep=keep, merged=merged)
        except ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request,
                _("“%(merged)s” was merged into “%(keep)s”.")
                % {"merged": merged.title, "keep": keep.title},
            )
            return redirect(_page_url(access, f"idea-{keep.pk}", request=request))
    context = _context(request, access, partial="merge_form", form=form)
    return render(request, MODERATE_PAGE, context, status=422 if form.errors else 200)


# Removing a participant ---------------------------------------------------------------------


@require_GET
def participants(request: HttpRequest, question_id: str) -> HttpResponse:
    """Everyone who took part, with what they wrote and voted, and one step to remove them."""
    access = moderator_for(request, question_id)
    people = (
        Participant.objects.filter(question=access.question)
        .annotate(
            idea_n=Count("ideas", distinct=True),
            argument_n=Count("arguments", distinct=True),
            comment_n=Count("comments", distinct=True),
            vote_n=Count("votes", distinct=True),
        )
        .order_by("created_at", "pk")
    )
    context = _context(request, access, partial="participants", people=people)
    return render(request, MODERATE_PAGE, context)


@require_http_methods(["GET", "POST"])
def participant_remove(request: HttpRequest, question_id: str, participant_id: str) -> HttpResponse:
    access = moderator_for(request, question_id)
    person = Participant.objects.filter(question=access.question, pk=participant_id).first()
    if person is None or person.organiser:
        raise Http404
    form = ConfirmForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_remove(question=access.question, participant_id=person.pk)
        except ActionRefused as refused:
            return _refused(request, access, refused.message, status=409)
        messages.success(
            request,
            _("%(name)s was removed, with everything they wrote and voted.")
            % {"name": person.name},
        )
        return redirect("participants", question_id)
    counts = {
        "ideas": person.ideas.count(),
        "arguments": person.arguments.count(),
        "comments": person.comments.count(),
        "votes": person.votes.count(),
    }
    context = _context(
        request, access, partial="remove_form", form=form, person=person, counts=counts
    )
    return render(request, MODERATE_PAGE, context, status=422 if form.errors else 200)


def merged_idea_url(question_id: str, idea_id: str) -> str | None:
    """Where the link of an idea merged into another leads: the one that stays."""
    into = (
        IdeaMerge.objects.filter(question_id=question_id, pk=idea_id)
        .values_list("into_id", flat=True)
        .first()
    )
    return reverse("idea", args=[question_id, into]) if into else None
