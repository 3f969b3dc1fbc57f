"""An idea's picture: its page (add, replace, describe, remove) and its files.

The files are served by Ponder itself, never by the storage: each request is asked of the reader
rule (`Reader.sees_image`), the `Content-Type` is that of our own encoding, and a Content Security
Policy forbids anything a picture opened on its own could run.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ponder.ratelimit import limit

from . import images, services
from .access import Access, participant_token, question_for
from .forms import PictureForm
from .models import Idea
from .services import ActionRefused

# Nothing in a picture's answer may run or load anything, opened on its own or not.
IMAGE_CSP = "default-src 'none'; img-src 'self'; style-src 'none'; script-src 'none'; sandbox"
# Its name holds the start of its content's hash and is never reused (images.py): a year.
IMAGE_CACHE = "private, max-age=31536000, immutable"


def _changeable(request: HttpRequest, question_id: str, idea_id: str) -> tuple[Access, Idea]:
    """The idea, for whoever may change its picture (its author while open, the organiser);
    404 for everyone else."""
    access = question_for(request, question_id, idea_id=idea_id)
    idea = access.idea
    if idea is None or not access.reader.may_change_image(idea):
        raise Http404
    return access, idea


def _back(access: Access, idea: Idea) -> str:
    return reverse("question", args=[access.question.pk]) + f"#idea-{idea.pk}"


@require_http_methods(["GET", "POST"])
@limit("idea", person=participant_token)
def idea_picture(request: HttpRequest, question_id: str, idea_id: str) -> HttpResponse:
    """Add or replace an idea's picture, or say anew what it shows."""
    access, idea = _changeable(request, question_id, idea_id)
    form = PictureForm(
        request.POST or None,
        request.FILES or None,
        has_image=idea.has_image,
        initial={"alt": idea.image_alt},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.idea_image_set(
                idea=idea,
                image=form.cleaned_data["image"],
                alt=form.cleaned_data["alt"],
                by_organiser=access.is_organiser,
            )
        except ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Picture saved."))
            return redirect(_back(access, idea))
    context = {"access": access, "question": access.question, "idea": idea, "form": form}
    status = 422 if form.errors else 200
    return render(request, "questions/picture.html", context, status=status)


@require_POST
def idea_picture_remove(request: HttpRequest, question_id: str, idea_id: str) -> HttpResponse:
    access, idea = _changeable(request, question_id, idea_id)
    try:
        services.idea_image_remove(idea=idea, by_organiser=access.is_organiser)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Picture removed."))
    return redirect(_back(access, idea))


@require_safe
def picture_file(request: HttpRequest, question_id: str, idea_id: str, name: str) -> HttpResponse:
    """The full picture or the thumbnail of an idea, to those who may see it; 404 else (an
    unknown question, idea or name, a removed or replaced picture, a deleted idea)."""
    access = question_for(request, question_id, idea_id=idea_id)
    idea = access.idea
    if idea is None or not access.reader.sees_image(idea):
        raise Http404
    if name not in (idea.image_file, idea.thumb_file):
        raise Http404
    try:
        body = images.read(name)
    except FileNotFoundError:  # removed a moment ago, after the idea was read
        raise Http404 from None
    response = HttpResponse(body, content_type=images.CONTENT_TYPE)
    response["Content-Security-Policy"] = IMAGE_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = IMAGE_CACHE
    return response
