import hashlib
import json
from functools import lru_cache
from types import SimpleNamespace

from django import template
from django.template.base import FilterExpression
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext

from ponder.lib import text
from ponder.questions.access import Access, Reader, remembered_name
from ponder.questions.forms import ArgumentForm
from ponder.questions.models import Idea
from ponder.questions.rendering import NAME_MARK, Slot, shared_row, slot_marker, stack_mark

register = template.Library()


@register.filter
def markdown(value: str) -> SafeString:
    return text.render_markdown(value)


@register.filter
def bdi(value: object) -> SafeString:
    """User text set inline among other text (a name beside a date, in "by …"), isolated so that
    its direction cannot reorder its neighbours."""
    return format_html("<bdi>{}</bdi>", value)


@register.filter
def bdi_list(names: list[str]) -> SafeString:
    """Names separated by commas, each isolated (a list of voters)."""
    return format_html_join(", ", "<bdi>{}</bdi>", ((name,) for name in names))


@register.filter
def sees_image(access: Access, idea: Idea) -> bool:
    """Whether the idea's picture is shown to this reader: the reader rule's to say."""
    return access.reader.sees_image(idea)


@register.filter
def no_bidi(value: str) -> str:
    """User text where no markup can isolate it: a page's <title>, a meta tag."""
    return text.without_bidi_controls(str(value))


@register.filter
def shorten(value: str, limit: int) -> dict[str, object]:
    """`{% with short=text|shorten:240 %}{{ short.text }}{% if short.cut %}…`: a dict, because
    the template engine finds dict keys at its first try (tuple indexes cost two exceptions)."""
    shortened, cut = text.shorten(value, int(limit))
    return {"text": shortened, "cut": cut}


AVATAR_COLOURS = 8  # .avatar-0 … .avatar-7 in ponder.css, each 4.5:1 in light and dark


def initials(name: str) -> str:
    """ "Amara Okafor" → "AO", "Jonas" → "J": the first letter of the first and the last word."""
    words = [word for word in name.split() if word[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


@register.filter
def avatar(person: object) -> SafeString:
    """A person's initials in their own colour (from their id: the same on every page), to go
    beside their name. Decoration only: the name beside it says who it is."""
    pk = str(getattr(person, "pk", "") or "")
    colour = hashlib.blake2b(pk.encode(), digest_size=2).digest()[0] % AVATAR_COLOURS
    return format_html(
        '<span class="avatar avatar-{}" aria-hidden="true">{}</span>',
        colour,
        initials(str(getattr(person, "name", ""))),
    )


@lru_cache(maxsize=64)
def _argument_fields(language: str, needs_name: bool, name: str, text_max: int) -> str:
    form = ArgumentForm(auto_id="id_IDEA_%s", needs_name=needs_name, name=name, text_max=text_max)
    return render_to_string("questions/_fields.html", {"form": form})


@register.simple_tag(takes_context=True)
def argument_fields(context: template.Context, idea: Idea) -> SafeString:
    """The empty add-argument form of one idea, for one reader (the question page loads it when
    "Add a pro or con" is opened). The form is rendered once per language, name and text
    limit, and only its ids are made unique per idea."""
    access: Access = context["access"]
    needs_name = access.reader.is_newcomer
    name = ""
    if needs_name:
        # In a shared render, a stand-in for each reader's own (`rendering.shared_parts`).
        shared = context.get("shared_slots") is not None
        name = NAME_MARK if shared else remembered_name(context["request"])
    html = _argument_fields(get_language(), needs_name, name, access.question.text_max)
    # Safe: rendered from our own template; an idea id is 12 base62 characters.
    return mark_safe(html.replace("id_IDEA_", f"id_{idea.pk}_"))  # noqa: S308


# Stand-ins for the ids in `entry_actions`' cached HTML: 12 letters, as the URLs want.
_QUESTION, _ENTRY, _IDEA = "QuestionPk00", "EntryPk00000", "IdeaPk000000"


@lru_cache(maxsize=16)
def _entry_actions(language: str, kind: str) -> str:
    stand_in = SimpleNamespace(pk=_ENTRY, idea_id=_IDEA)
    context = {"question": SimpleNamespace(pk=_QUESTION), "kind": kind, "entry": stand_in}
    return render_to_string("questions/_entry_actions.html", context)


@register.simple_tag(takes_context=True)
def entry_actions(context: template.Context, kind: str, entry: object) -> SafeString:
    """Edit and Delete of one idea, argument or comment: `_entry_actions.html`, rendered once
    per language and kind (a page may show hundreds) with the ids put in."""
    html = _entry_actions(get_language(), kind)
    for stand_in, value in (
        (_QUESTION, context["question"].pk),
        (_ENTRY, entry.pk),  # type: ignore[attr-defined]
        (_IDEA, getattr(entry, "idea_id", "")),
    ):
        html = html.replace(stand_in, value)
    # Safe: our own template; ids are 12 base62 letters.
    return mark_safe(html)  # noqa: S308


KINDS = ("voted", "liked", "mine", "participant")  # of `{% personal %}`: see `Reader.slots`
# The attribute each kind's "either" body reads, set to each answer in turn in a shared render.
PERSONAL_ATTRIBUTE = {"voted": "voted", "liked": "liked", "mine": "changeable"}


def _slot_key(kind: str, subject: object) -> str:
    """What the reader rule is asked about: an entry's author ("mine"), else the object's id."""
    if kind == "mine":
        return subject.author_id  # type: ignore[attr-defined]
    return getattr(subject, "pk", "")


class PersonalNode(template.Node):
    def __init__(
        self,
        kind: str,
        target: FilterExpression,
        yes: template.NodeList,
        no: template.NodeList | None,
    ) -> None:
        self.kind, self.target, self.yes, self.no = kind, target, yes, no

    def render(self, context: template.Context) -> str:
        subject = self.target.resolve(context)
        slots = context.get("shared_slots")
        if slots is None:
            if self.no is None:  # "either": the body itself asks
                return self.yes.render(context)
            reader: Reader = context["access"].reader
            wanted = reader.wants(self.kind, _slot_key(self.kind, subject))
            return (self.yes if wanted else self.no).render(context)
        no_branch = self.yes if self.no is None else self.no
        attribute = PERSONAL_ATTRIBUTE.get(self.kind)
        if attribute is None:
            yes, no = self.yes.render(context), no_branch.render(context)
        else:
            setattr(subject, attribute, True)
            yes = self.yes.render(context)
            setattr(subject, attribute, False)
            no = no_branch.render(context)
        slot = Slot(kind=self.kind, key=_slot_key(self.kind, subject), yes=yes, no=no)
        return slot_marker(slots, slot)


@register.tag
def personal(parser: template.base.Parser, token: template.base.Token) -> PersonalNode:
    """`{% personal voted idea %}…{% otherwise %}…{% endpersonal %}`: a part of the page that
    depends on who reads it (kinds: voted, liked, mine, participant). Rendered for one reader it
    is an `{% if %}` on what the reader rule says (`Reader.wants`); in a shared render
    (`rendering.py`) both branches are kept as a slot, and each reader gets theirs when the page
    is put together. `{% personal voted idea either %}`
    has one body that asks itself (`{% if idea.voted %}`), rendered both ways when shared."""
    bits = token.split_contents()
    either = bits[3:] == ["either"]
    if len(bits) != 3 + either or bits[1] not in KINDS:
        raise template.TemplateSyntaxError(
            f"{{% personal KIND OBJECT [either] %}} with KIND one of {', '.join(KINDS)}"
        )
    yes = parser.parse(("otherwise", "endpersonal"))
    no: template.NodeList | None = None if either else template.NodeList()
    if parser.next_token().contents == "otherwise":
        no = parser.parse(("endpersonal",))
        parser.delete_first_token()
    return PersonalNode(bits[1], parser.compile_filter(bits[2]), yes, no)


@register.simple_tag(takes_context=True)
def my_votes(context: template.Context, idea: Idea) -> str:
    """How many of the reader's votes are on the idea: in a shared render, a mark that each
    reader's own number replaces (`rendering.STACK_MARK`)."""
    if context.get("shared_slots") is not None:
        return stack_mark(idea.pk)
    return str(context["access"].reader.votes_on(idea.pk))


class SharedRowNode(template.Node):
    def __init__(self, idea: FilterExpression, body: template.NodeList) -> None:
        self.idea, self.body = idea, body

    def render(self, context: template.Context) -> str:
        return shared_row(context, self.idea.resolve(context), self.body.render)


@register.tag(name="shared_row")
def shared_row_tag(parser: template.base.Parser, token: template.base.Token) -> SharedRowNode:
    """`{% shared_row idea %}…{% endshared_row %}`: an idea's row, which a shared render
    (`rendering.py`) keeps and reuses for as long as the idea shows the same."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% shared_row IDEA %}")
    body = parser.parse(("endshared_row",))
    parser.delete_first_token()
    return SharedRowNode(parser.compile_filter(bits[1]), body)


@register.simple_tag
def plural_forms(singular: str, plural: str) -> str:
    """The singular and plural of a text in the active language, as a JSON list, for the
    live updates to count with (ponder.js picks one by the language's plural rule and puts the
    number in for `%(n)s`). The text must be one a template translates with the same words."""
    return json.dumps([ngettext(singular, plural, 1), ngettext(singular, plural, 2)])
