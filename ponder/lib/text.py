"""Turning user text into safe HTML, and the rules for names and titles.

Names and titles are shown inline among other people's text: beside a date, in a list of voters,
in a page title. So they may not carry the characters that reorder their neighbours (the
bidirectional controls), they must show at least one visible character, and two names of one
question may not look alike (`skeleton`, after UTS #39). Every surface also isolates user text
(`<bdi>`, `dir="auto"`), for what was saved before these rules.
"""

import sys
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

import markdown
import nh3
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the marks LRM, RLM and ALM.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# Letters that show nothing: the Hangul fillers and the blank braille pattern.
_BLANK_LETTERS = frozenset("\u3164\u115f\u1160\uffa0\u2800")
# Spaces, controls, format characters (zero-width space, joiners, word joiner, the soft hyphen),
# unassigned code points, and marks with nothing to sit on.
_BLANK_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cn", "Cs", "Mn", "Me"})
_CONFUSABLES = Path(__file__).with_name("confusables.txt")

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


def is_blank(char: str) -> bool:
    """Whether a character shows nothing on its own."""
    return (
        char.isspace() or char in _BLANK_LETTERS or unicodedata.category(char) in _BLANK_CATEGORIES
    )


@lru_cache(maxsize=1)
def visible_character_class() -> str:
    """A regular-expression class of the characters `is_blank` calls visible, for the API's
    OpenAPI patterns: the same rule, spelled for a machine. Built when first asked for (it looks
    at every code point, about half a second), so only the OpenAPI document pays for it."""
    ranges: list[tuple[int, int]] = []
    start = None
    for code in range(sys.maxunicode + 2):
        blank = code > sys.maxunicode or 0xD800 <= code <= 0xDFFF or is_blank(chr(code))
        if blank and start is None:
            start = code
        elif not blank and start is not None:
            ranges.append((start, code - 1))
            start = None

    def spell(code: int) -> str:  # an escape in the BMP, the character itself beyond it
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    blanks = "".join(
        spell(a) if a == b else f"{spell(a)}-{spell(b)}" for a, b in ranges if a <= sys.maxunicode
    )
    return f"[^{blanks}]"


def has_bidi_controls(text: str) -> bool:
    return not BIDI_CONTROLS.isdisjoint(text)


def has_visible_character(text: str) -> bool:
    return not all(is_blank(char) for char in text)


def without_bidi_controls(text: str) -> str:
    """`text` for where no markup can isolate it (a page's <title>, an SVG label, an attribute):
    a name or title saved before the rule may still carry controls."""
    return "".join(c for c in text if c not in BIDI_CONTROLS) if has_bidi_controls(text) else text


def isolated(text: str) -> str:
    """`text` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE: isolated in plain text
    (a message that names someone), as <bdi> isolates it in HTML."""
    return f"\u2068{text}\u2069"


def validate_label(text: str) -> None:
    """The rule for a name or a title (a Django validator: the forms and, through them, the API
    use it)."""
    if has_bidi_controls(text):
        raise ValidationError(
            _("Remove the invisible characters that change the direction of the text."),
            code="bidi_controls",
        )
    if not has_visible_character(text):
        raise ValidationError(_("Use at least one visible character."), code="invisible")


@cache
def _prototypes() -> dict[str, str]:
    """UTS #39's confusables.txt: each character that looks like another, and the prototype
    (one or more characters) it is mapped to."""
    mapping: dict[str, str] = {}
    with _CONFUSABLES.open(encoding="utf-8") as lines:
        for line in lines:
            data = line.split("#", 1)[0].strip()
            if data:
                source, target = data.split(";")[:2]
                mapping[chr(int(source, 16))] = "".join(chr(int(c, 16)) for c in target.split())
    return mapping


def _ignorable(char: str) -> bool:
    """Spaces and Unicode's default-ignorable characters (format characters, fillers, variation
    selectors): nothing a reader sees."""
    code = ord(char)
    return (
        (is_blank(char) and unicodedata.category(char) != "Mn")
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
        or 0x180B <= code <= 0x180F
        or code in (0x034F, 0x17B4, 0x17B5)
    )


def _mapped(text: str) -> str:
    prototypes = _prototypes()
    text = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(prototypes.get(c, c) for c in text))


def skeleton(text: str) -> str:
    """UTS #39's skeleton: NFD, each character mapped to its prototype, NFD again. Two texts with
    the same skeleton can be taken for one another."""
    return _mapped(text)


@lru_cache(maxsize=4096)
def name_looks(name: str) -> tuple[str, str]:
    """What a name looks like, to compare it with others (`looks_alike`): without what shows
    nothing (spaces, format characters, fillers), its skeleton as typed and its skeleton with
    case folded (before and after mapping, as prototypes may be capitals: "I" is "l"). Kept on
    each participant, so that a new name is compared through an index."""
    visible = "".join(c for c in name if not _ignorable(c))
    folded = _mapped(_mapped(visible.casefold()).casefold())
    return skeleton(visible), folded


def name_keys(name: str) -> frozenset[str]:
    """A name's looks (`name_looks`) as a set: two names look alike when their sets meet."""
    return frozenset(name_looks(name))


def looks_alike(name: str, other: str) -> bool:
    """Whether two names can be taken for one another: "Anna", "\\u0410nna" (a Cyrillic A),
    "An\\u200bna", "ANNA"."""
    return not name_keys(name).isdisjoint(name_keys(other))
