"""Parts of the page rendered once with stand-ins in place of their values, then filled in.

A vote answers with its idea's vote box. Rendered through the template engine it was a quarter
of a vote's CPU (the box has two URLs, two plural phrases, a form and a CSRF token, for a
kilobyte of HTML). The box's markup depends on few things: the language, whether the question
is open, whether the reader votes for the idea, which plural form its two numbers take, and
whether there are voters to name. So the partial `detail.html#vote_box` itself is rendered once
for each such variant, with stand-ins for the ids, numbers, title, names and token, and each
answer fills them in. The template stays the only copy of the markup; `test_stencils` checks
every variant against the template's own render.

Kept because it pays: rendered through the (cached) template, the box took 0.3 ms of a page
vote's 1.6 to 1.8 ms of CPU in-process (SQLite, 3 rounds of 100 votes, twice), more than a tenth
of a vote. The out-of-band status answer, a few microseconds either way, is rendered.
"""

import html
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import SimpleNamespace

from django.template import Context
from django.template.base import render_value_in_context
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext

from .pages import named_voters

# Each shaped as what it stands in for: the URLs accept only 12 or 22 base62 letters.
_QUESTION = "StQuestion00000000000Z"
_IDEA = "StIdea00000Z"
_TITLE = "StTitleZ"
_COUNT = "StCountZ"
_MORE = "StMoreZ"
_VOTERS = "StVotersZ"
_CSRF = "StCsrfTokenZ"


class Stencil:
    """HTML with stand-ins, cut at each of them once, so that filling it in is one join, and a
    value that happens to contain a stand-in's letters is never replaced again."""

    def __init__(self, html: str, stand_ins: Iterable[str]) -> None:
        pattern = re.compile("|".join(re.escape(stand_in) for stand_in in stand_ins))
        self.slots: list[str] = pattern.findall(html)
        self.parts: list[str] = pattern.split(html)

    def fill(self, values: Mapping[str, str]) -> SafeString:
        """`values` by stand-in, each already escaped for where it goes."""
        out = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:], strict=True):
            out.append(values[slot])
            out.append(part)
        # Safe: our own template, and values escaped by the caller.
        return mark_safe("".join(out))  # noqa: S308


class _Number(int):
    """A number that chooses its plural form as itself but is shown as its stand-in."""

    stand_in: str

    def __new__(cls, value: int, stand_in: str) -> "_Number":
        number = super().__new__(cls, value)
        number.stand_in = stand_in
        return number

    def __str__(self) -> str:
        return self.stand_in


# Variants rendered so far (a few per language): see `_vote_box`.
_vote_boxes: dict[tuple[str, bool, bool, str, bool, str], Stencil] = {}
_VARIANTS_KEPT = 256  # far more than there are; a bound all the same


def _vote_box(key: tuple[str, bool, bool, str, bool, str], vote_count: int, more: int) -> Stencil:
    """The vote box of one variant, `key` = (language, is_open, voted, the count's plural text,
    whether voters are named, the "n more" plural text), rendered on first use with numbers that
    take those plural forms."""
    stencil = _vote_boxes.get(key)
    if stencil is not None:
        return stencil
    _language, is_open, voted, _count_form, has_voters, _more_form = key
    idea = SimpleNamespace(
        pk=_IDEA,
        title=_TITLE,
        vote_count=_Number(vote_count, _COUNT),
        first_voters=[_VOTERS] if has_voters else [],
        more_voters=_Number(more, _MORE),
        voted=voted,
    )
    context = {
        "question": SimpleNamespace(pk=_QUESTION),
        "idea": idea,
        "is_open": is_open,
        "csrf_token": _CSRF,
    }
    html = render_to_string("questions/detail.html#vote_box", context)
    stencil = Stencil(html, (_QUESTION, _IDEA, _TITLE, _COUNT, _MORE, _VOTERS, _CSRF))
    if len(_vote_boxes) >= _VARIANTS_KEPT:
        _vote_boxes.clear()
    # Two threads may render the same variant at once: both get the same HTML, one is kept.
    _vote_boxes[key] = stencil
    return stencil


@lru_cache(maxsize=4096)
def _plural(language: str, singular: str, plural: str, number: int) -> str:
    """`ngettext` in `language` (the active one): for a text no catalog of English has, Django
    tries the plural rule of each of its catalogs in turn (22 µs)."""
    return ngettext(singular, plural, number)


def _escape(text: object) -> str:
    # What Django's `escape` returns (it calls `html.escape`), without its check for lazy text.
    return html.escape(str(text))


@lru_cache(maxsize=4096)
def _number(language: str, value: int) -> str:
    """`value` as `{{ value }}` shows it in `language` (the active one): localized, escaped."""
    return str(render_value_in_context(value, Context()))


def vote_box(
    *,
    question_id: str,
    idea_id: str,
    title: str,
    vote_count: int,
    first_voters: list[str],
    voted: bool,
    is_open: bool,
    csrf_token: str,
) -> SafeString:
    """`detail.html#vote_box` for one idea and reader, in the active language: the same HTML
    as the template renders with these values."""
    first_voters = named_voters(first_voters, vote_count)
    more = vote_count - len(first_voters)
    # The plural phrases exactly as the partial's {% blocktranslate count %} looks them up: the
    # text each picks decides the variant (two counts with the same text render alike).
    language = get_language()
    count_form = _plural(language, "vote", "votes", vote_count)
    more_form = _plural(language, "%(n)s more", "%(n)s more", more) if more else ""
    key = (language, is_open, voted, count_form, bool(first_voters), more_form)
    stencil = _vote_box(key, vote_count, more)
    return stencil.fill(
        {
            _QUESTION: _escape(question_id),
            _IDEA: _escape(idea_id),
            _TITLE: _escape(title),
            _COUNT: _number(language, vote_count),
            _MORE: _number(language, more),
            # The template isolates each name (`bdi_list`); the stencil's one stand-in sits in
            # the first name's <bdi>, so the names are joined by closing and opening one.
            _VOTERS: "</bdi>, <bdi>".join(_escape(name) for name in first_voters),
            _CSRF: _escape(csrf_token),
        }
    )
