"""Sharing a question: its link, a QR code of it, share links for e-mail and social networks,
and the embed page that other sites show in an iframe (docs/product-rules.md P7).

No third-party script is loaded: social networks get plain share URLs, and the QR code is drawn
on the server. The embed page is the only page that may be framed, and only when the organiser
turned embedding on (`Reader.may_embed`), by the sites they named (`Reader.embed_ancestors`).
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from ponder.lib.text import without_bidi_controls

from .access import Access, question_for
from .models import Question
from .views import detail_context, in_own_order

QR_SCALE = 8  # pixels per module in the downloaded file; the page scales it down
QR_BORDER = 2  # modules of quiet zone; readers need some


@dataclass(frozen=True)
class ShareLink:
    name: str
    url: str


def share_url(request: HttpRequest, question: Question) -> str:
    return request.build_absolute_uri(reverse("question", args=[question.pk]))


def share_links(url: str, title: str) -> list[ShareLink]:
    """Plain share URLs: each opens the service with the link filled in, and loads nothing here."""
    invitation = _("Take part in “%(title)s”: %(url)s") % {"title": title, "url": url}

    def query(**params: str) -> str:
        return urlencode(params, quote_via=quote)

    return [
        ShareLink(_("E-mail"), "mailto:?" + query(subject=title, body=invitation)),
        ShareLink("WhatsApp", "https://wa.me/?" + query(text=invitation)),
        ShareLink("Telegram", "https://t.me/share/url?" + query(url=url, text=title)),
        ShareLink("Bluesky", "https://bsky.app/intent/compose?" + query(text=invitation)),
        ShareLink("X", "https://x.com/intent/tweet?" + query(text=title, url=url)),
        ShareLink("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + query(url=url)),
        ShareLink("Facebook", "https://www.facebook.com/sharer/sharer.php?" + query(u=url)),
    ]


def qr_svg(url: str, *, title: str = "") -> bytes:
    """The QR code of `url` as an SVG document, black on white whatever the page's colours."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        buffer,
        kind="svg",
        scale=QR_SCALE,
        border=QR_BORDER,
        dark="#000",
        light="#fff",
        title=title or None,
        omitsize=True,  # a viewBox only: the page shows it at any size
        svgclass=None,
        lineclass=None,
    )
    return buffer.getvalue()


@require_GET
def qr_code(request: HttpRequest, question_id: str) -> HttpResponse:
    """The QR code of the share link: shown on the page, and a file to put on a slide or poster."""
    access = question_for(request, question_id)
    url = share_url(request, access.question)
    response = HttpResponse(qr_svg(url, title=url), content_type="image/svg+xml")
    response["Cache-Control"] = "max-age=86400"
    return response


def embed_url(request: HttpRequest, question: Question) -> str:
    return request.build_absolute_uri(reverse("embed", args=[question.pk]))


def embed_snippet(request: HttpRequest, question: Question) -> str:
    """The HTML an organiser pastes into their site. Plain text: the template escapes it once
    more, so the page shows (and copies) the snippet exactly."""
    # An attribute cannot isolate: a title saved before the rule loses its controls here.
    title = _("Ponder: %(title)s") % {"title": without_bidi_controls(question.title)}
    return (
        f'<iframe src="{escape(embed_url(request, question))}" title="{escape(title)}" '
        'width="100%" height="720" style="border: 0;" loading="lazy"></iframe>'
    )


def framed_by(
    ancestors: list[str], view: Callable[..., HttpResponse]
) -> Callable[..., HttpResponse]:
    """`view`, whose pages the sites `ancestors` may frame (CSP frame-ancestors, and no
    X-Frame-Options, which cannot name sites); every other page keeps refusing framing
    (frame-ancestors 'none' and X-Frame-Options: DENY)."""
    policy = {**settings.SECURE_CSP, "frame-ancestors": ancestors}
    return csp_override(policy)(xframe_options_exempt(view))


@require_GET
def embed(request: HttpRequest, question_id: str) -> HttpResponse:
    """The question for an iframe: everything a participant does, without the site around it.

    Its forms post to the same URLs as the question page; their answers come back here (see
    `access.is_embedded`), and under HTTPS their cookies work on other sites too. While its
    organiser has not turned embedding on, a page saying so, which no site may frame.
    """
    access = question_for(request, question_id)
    ancestors = access.reader.embed_ancestors()
    if ancestors is None:
        context = {"question": access.question, "share_url": share_url(request, access.question)}
        return render(request, "questions/embed_off.html", context, status=403)
    return framed_by(ancestors, in_own_order(access, _embed_page))(request, access)


def _embed_page(request: HttpRequest, access: Access) -> HttpResponse:
    context = detail_context(request, access)
    context["share_url"] = share_url(request, access.question)
    return render(request, "questions/embed.html", context)
