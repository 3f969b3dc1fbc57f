"""Template tags for results and sharing: the vote chart, the share panel, link-preview text."""

import html
from functools import lru_cache

from django import template
from django.utils.html import strip_tags

from ponder.lib import text
from ponder.questions import sharing
from ponder.questions.chart import vote_chart
from ponder.questions.models import Idea

register = template.Library()

SUMMARY_LENGTH = 200  # link previews show about two lines


@register.inclusion_tag("questions/_chart.html")
def chart(
    ideas: list[Idea], limit: int | None = None, total: int | None = None
) -> dict[str, object]:
    shown = [idea for idea in ideas if not idea.is_hidden]  # out of the result (`_rank`)
    return {"chart": vote_chart(shown, limit=limit, total=total)}


@register.filter
@lru_cache(maxsize=512)  # every read of a question page shows it three times
def plain_summary(description: str) -> str:
    """A question's description as one line of plain text (for meta tags), escaped on output."""
    plain = html.unescape(strip_tags(text.render_markdown(description)))
    short, cut = text.shorten(" ".join(plain.split()), SUMMARY_LENGTH)
    return short + ("…" if cut else "")


@register.inclusion_tag("questions/_share.html", takes_context=True)
def share_panel(context: template.Context) -> dict[str, object]:
    request, question = context["request"], context["question"]
    access = context["access"]
    share_url = sharing.share_url(request, question)
    return {
        "request": request,
        "question": question,
        "access": access,
        "share_url": share_url,
        "links": sharing.share_links(share_url, text.without_bidi_controls(question.title)),
    }


@register.simple_tag(takes_context=True)
def share_url(context: template.Context) -> str:
    return sharing.share_url(context["request"], context["question"])


@register.simple_tag(takes_context=True)
def embed_snippet(context: template.Context) -> str:
    return sharing.embed_snippet(context["request"], context["question"])
