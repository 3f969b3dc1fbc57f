from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from ponder.lib import text
from ponder.questions.access import Access, remembered_name
from ponder.questions.forms import ArgumentForm
from ponder.questions.models import Idea

register = template.Library()


@register.filter
def markdown(value: str) -> SafeString:
    return text.render_markdown(value)


@register.filter
def shorten(value: str, limit: int) -> dict[str, object]:
    """`{% with short=text|shorten:240 %}{{ short.text }}{% if short.cut %}…`: a dict, because
    the template engine finds dict keys at its first try (tuple indexes cost two exceptions)."""
    shortened, cut = text.shorten(value, int(limit))
    return {"text": shortened, "cut": cut}


@register.simple_tag(takes_context=True)
def argument_fields(context: template.Context, idea: Idea) -> SafeString:
    """The empty add-argument form of one idea. A page shows one per idea, so the form is
    rendered once per request and only its ids are made unique per idea."""
    request = context["request"]
    access: Access = context["access"]
    html = getattr(request, "_ponder_argument_fields", None)
    if html is None:
        form = ArgumentForm(
            auto_id="id_IDEA_%s",
            needs_name=access.participant is None,
            name=remembered_name(request),
        )
        html = render_to_string("questions/_fields.html", {"form": form})
        request._ponder_argument_fields = html
    # Safe: rendered from our own template; an idea id is 12 base62 characters.
    return mark_safe(html.replace("id_IDEA_", f"id_{idea.pk}_"))  # noqa: S308
