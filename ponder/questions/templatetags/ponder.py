from django import template
from django.utils.safestring import SafeString

from ponder.lib import text
from ponder.questions.access import Access
from ponder.questions.forms import ArgumentForm
from ponder.questions.models import Idea

register = template.Library()


@register.filter
def markdown(value: str) -> SafeString:
    return text.render_markdown(value)


@register.filter
def shorten(value: str, limit: int) -> tuple[str, bool]:
    return text.shorten(value, int(limit))


@register.simple_tag
def argument_form_for(idea: Idea, access: Access) -> ArgumentForm:
    return ArgumentForm(auto_id=f"id_{idea.pk}_%s", needs_name=access.participant is None)
