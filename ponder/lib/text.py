"""Turning user text into safe HTML."""

from functools import lru_cache

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "pre", "blockquote"}
_ATTRIBUTES = {"a": {"href", "title"}}


@lru_cache(maxsize=512)  # a page shows its question's description twice, and on every read
def render_markdown(text: str) -> SafeString:
    """Render basic Markdown (links, line breaks, emphasis, lists) through an allowlist.

    HTML the author typed is shown as text, as typed: "<" is escaped before Markdown sees it.
    nh3 then keeps only the allowlist (no javascript: links), and links get
    rel="nofollow ugc noopener" (docs/product-rules.md P10).
    """
    html = markdown.markdown(
        text.replace("<", "&lt;"), extensions=["nl2br", "sane_lists"], output_format="html"
    )
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
    return mark_safe(clean)  # noqa: S308 - nh3 output is sanitised by an allowlist.


def shorten(text: str, limit: int) -> tuple[str, bool]:
    """Cut text at a word boundary near `limit`; say whether anything was cut."""
    if len(text) <= limit:
        return text, False
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(), True
