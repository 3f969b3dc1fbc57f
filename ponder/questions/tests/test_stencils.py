"""The vote box a vote answers with, filled in from a stencil (`ponder/questions/stencils.py`):
the very HTML the template renders, for every variant, in both languages, whatever the texts."""

import itertools
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from ponder.questions import stencils

QUESTION_ID = "Qu3stion0000000000000a"
IDEA_ID = "Id3a00000001"
TOKEN = "Tok3n" * 12 + "abcd"
# Texts that try every way out: markup, quotes, ampersands, and the stand-ins' own letters.
TITLES = ["Benches in the park", "A <b>\"bold\"</b> & 'quoted' idea", "StCountZ StIdea00000Z"]
VOTERS = [
    [],
    ["Ada"],
    ["Ada <script>", "Bo & Co", "StVotersZ"],
    ["Ünal", "Zoë", "Øyvind", "Another"],
]
COUNTS = [0, 1, 2, 3, 4, 21, 1000, 1234567]


def _template(**values: object) -> str:
    """The vote box as the template renders it (the page's own partial)."""
    first_voters = values["first_voters"]
    idea = SimpleNamespace(
        pk=values["idea_id"],
        title=values["title"],
        vote_count=values["vote_count"],
        first_voters=first_voters,
        more_voters=values["vote_count"] - len(first_voters),
        voted=values["voted"],
    )
    context = {
        "question": SimpleNamespace(pk=values["question_id"]),
        "idea": idea,
        "is_open": values["is_open"],
        "csrf_token": values["csrf_token"],
    }
    return render_to_string("questions/detail.html#vote_box", context)


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_variant_is_the_templates_own_html(language: str) -> None:
    with translation.override(language):
        for title, voters, count, voted, is_open in itertools.product(
            TITLES, VOTERS, COUNTS, (True, False), (True, False)
        ):
            count = max(count, len(voters))
            values = {
                "question_id": QUESTION_ID,
                "idea_id": IDEA_ID,
                "title": title,
                "vote_count": count,
                "first_voters": voters[:3],
                "voted": voted,
                "is_open": is_open,
                "csrf_token": TOKEN,
            }
            assert stencils.vote_box(**values) == _template(**values), values


def test_the_numbers_take_their_own_plural_and_texts_are_escaped() -> None:
    values = {
        "question_id": QUESTION_ID,
        "idea_id": IDEA_ID,
        "title": "<i>Benches</i>",
        "first_voters": ["Ada <script>", "Bo"],
        "voted": False,
        "is_open": True,
        "csrf_token": TOKEN,
    }
    with translation.override("de"):
        one = stencils.vote_box(**values, vote_count=2)
        many = stencils.vote_box(**values, vote_count=9)
    assert (
        '<span class="count" data-tally="count">2</span> '
        '<span class="unit" data-tally="unit">Stimmen</span>' in one
    )
    assert '<span class="count" data-tally="count">9</span>' in many and "7 weitere" in many
    with translation.override("en"):
        single = stencils.vote_box(**{**values, "first_voters": ["Ada"]}, vote_count=1)
    assert (
        '<span class="count" data-tally="count">1</span> '
        '<span class="unit" data-tally="unit">vote</span>' in single
    )
    assert "more" not in single.split('class="voters"')[1]
    assert (
        "<bdi>Ada &lt;script&gt;</bdi>, <bdi>Bo</bdi>" in one
        and "&lt;i&gt;Benches&lt;/i&gt;" in one
    )
    assert "<script>" not in one + many and "<i>" not in one + many


def test_a_stencil_is_kept_per_variant_not_per_idea() -> None:
    stencils._vote_boxes.clear()
    with translation.override("en"):
        for number in range(40):
            stencils.vote_box(
                question_id=QUESTION_ID,
                idea_id=f"Idea{number:08d}",
                title=f"Idea {number}",
                vote_count=5 + number,
                first_voters=["Ada", "Bo", "Cy"],
                voted=number % 2 == 0,
                is_open=True,
                csrf_token=TOKEN,
            )
    # Plural "votes" and "n more", voters named: only voted or not differs.
    assert len(stencils._vote_boxes) == 2
