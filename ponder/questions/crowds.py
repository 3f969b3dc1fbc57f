"""Many new names from one network: what the organiser sees of a crowd behind one address.

A class, an office or a conference Wi-Fi is one address to Ponder, so the rate limits let a whole
room join a question (`ponder.ratelimit`); a script on one address could then add as many names
as a room. Each participant keeps a keyed hash of the network they joined from (`network_of`:
an HMAC with SECRET_KEY, never the address), and the organiser sees every network from which
`CROWD` names or more joined in the last `WINDOW`, with the names, and removes a crowd in one
step (`services.crowd_remove`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from ponder.ratelimit import client_ip

from . import services
from .access import Access, admin_for
from .models import Participant, Question

CROWD = 10  # names from one network in `WINDOW` that the organiser is shown
WINDOW = timedelta(hours=1)
NETWORK_LENGTH = 32  # hex digits of the keyed hash kept: 128 bits
NETWORK_PATTERN = f"^[0-9a-f]{{{NETWORK_LENGTH}}}$"
CROWDS_PAGE = "questions/crowds.html"


def network_of(address: str) -> str:
    """A keyed hash of a client address (as the rate limits count it: an IPv6 client by its
    /64): the same network gives the same hash, and nobody without SECRET_KEY learns the
    address from it."""
    digest = salted_hmac("ponder.questions.crowds.network", address, algorithm="sha256")
    return digest.hexdigest()[:NETWORK_LENGTH]


def network_of_request(request: HttpRequest) -> str:
    return network_of(client_ip(request))


@dataclass(frozen=True, slots=True)
class Crowd:
    """The names that joined a question from one network within a window."""

    network: str
    names: tuple[Participant, ...]  # the first to join first
    since: datetime  # the window's start: the crowd is the names that joined after it ...
    until: datetime  # ... until the last of them (a name joining later is not in it)

    @property
    def count(self) -> int:
        return len(self.names)


def _to_the_millisecond(moment: datetime) -> datetime:
    """Up to a whole millisecond: the API's JSON carries no finer time, and the last name of a
    crowd must be in it when the organiser sends its `until` back."""
    extra = moment.microsecond % 1000
    return moment + timedelta(microseconds=1000 - extra) if extra else moment


def crowds_of(
    question: Question,
    *,
    at: datetime | None = None,
    besides: Participant | None = None,
    smallest: int = CROWD,
) -> list[Crowd]:
    """The networks from which `smallest` names or more joined `question` in the `WINDOW`
    before `at`, the largest crowd first; `besides` (the organiser's own name) is in none."""
    until = at or timezone.now()
    since = until - WINDOW
    recent = Participant.objects.filter(
        question=question, created_at__gt=since, created_at__lte=until
    ).exclude(network="")
    if besides is not None:
        recent = recent.exclude(pk=besides.pk)
    networks = (
        recent.values("network")
        .annotate(names=Count("*"))
        .filter(names__gte=smallest)
        .values_list("network", flat=True)
    )
    names: dict[str, list[Participant]] = {}
    for participant in recent.filter(network__in=list(networks)).order_by("created_at", "pk"):
        names.setdefault(participant.network, []).append(participant)
    crowds = [
        Crowd(network, tuple(members), since, _to_the_millisecond(members[-1].created_at))
        for network, members in names.items()
    ]
    return sorted(crowds, key=lambda crowd: -crowd.count)


# The organiser's page ------------------------------------------------------------------------


class CrowdRemoveForm(forms.Form):
    """One crowd as the organiser was shown it, and their confirmation."""

    network = forms.RegexField(regex=NETWORK_PATTERN, widget=forms.HiddenInput)
    since = forms.DateTimeField(widget=forms.HiddenInput)
    until = forms.DateTimeField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("Yes, remove these names and everything they wrote and voted"),
        error_messages={"required": _("Tick the box to confirm, or leave the names as they are.")},
    )

    @classmethod
    def for_crowd(cls, crowd: Crowd) -> "CrowdRemoveForm":
        initial = {"network": crowd.network, "since": crowd.since, "until": crowd.until}
        return cls(initial=initial, auto_id=f"id_{crowd.network}_%s")


def _crowds_page(
    request: HttpRequest, access: Access, *, failed: CrowdRemoveForm | None = None
) -> HttpResponse:
    found = crowds_of(access.question, besides=access.participant)
    forms_ = {crowd.network: CrowdRemoveForm.for_crowd(crowd) for crowd in found}
    if failed is not None and failed.cleaned_data.get("network") in forms_:
        # The same crowd, with the error next to its box.
        forms_[failed.cleaned_data["network"]] = failed
    context = {
        "question": access.question,
        "access": access,
        "crowds": [(crowd, forms_[crowd.network]) for crowd in found],
        "smallest": CROWD,
    }
    if request.htmx and request.GET.get("part") == "notice":
        return render(request, f"{CROWDS_PAGE}#notice", context)
    return render(request, CROWDS_PAGE, context, status=422 if failed is not None else 200)


@require_GET
def crowds(request: HttpRequest, question_id: str) -> HttpResponse:
    """The organiser's view of many new names from one network, with one step to remove them;
    `?part=notice` (htmx): the line in the organiser's panel on the question page."""
    return _crowds_page(request, admin_for(request, question_id))


@require_POST
def crowd_remove(request: HttpRequest, question_id: str) -> HttpResponse:
    access = admin_for(request, question_id)
    form = CrowdRemoveForm(request.POST, auto_id=f"id_{request.POST.get('network', '')}_%s")
    if not form.is_valid():
        return _crowds_page(request, access, failed=form)
    removed = services.crowd_remove(
        question=access.question,
        network=form.cleaned_data["network"],
        since=form.cleaned_data["since"],
        until=form.cleaned_data["until"],
    )
    messages.success(
        request,
        ngettext(
            "%(count)d name was removed, with everything it wrote and voted.",
            "%(count)d names were removed, with everything they wrote and voted.",
            removed,
        )
        % {"count": removed},
    )
    return redirect("crowds", question_id)
