"""The chart of votes per idea: geometry for a server-rendered SVG (`questions/_chart.html`).

It is drawn from ideas already read with their counts (`pages.question_page`), so it costs no
query. Every bar carries its label and its number as text, and the winners' bars are striped as
well as coloured, so the chart reads without colour; the SVG's title and description say it all
again for screen readers.
"""

import textwrap
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ponder.lib.text import shorten, without_bidi_controls

from .models import Idea

LINE_HEIGHT = 18  # of a label line
ROW_GAP = 31  # below the last label line: the bar, the number beside it and some space
LONGEST_BAR = 82  # percent of the width: the number beside the longest bar must still fit
LABEL_WIDTH = 36  # characters per label line: what a 360 px wide phone shows
LABEL_LINES = 2  # a longer title is cut; the description and the tooltip have it whole


@dataclass(frozen=True)
class Bar:
    idea_id: str
    title: str  # in full, for the description and the tooltip
    lines: list[tuple[str, int]]  # the label (with the rank when there is one) and baselines
    votes: int
    winner: bool
    width: str  # percent of the chart's width, as SVG wants it ("41.0")
    bar_y: int
    count_y: int


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    height: int
    more: int  # ideas left out of a shortened chart
    description: str


def vote_chart(
    ideas: list[Idea], *, limit: int | None = None, total: int | None = None
) -> Chart | None:
    """Bars for `ideas` (ordered by votes, as read); None when there is no idea to show.
    `total`: how many ideas there are, when `ideas` are the leading ones only.

    Ranks and winners are shown when the ideas were ranked (a closed question, or an export).
    """
    if not ideas or any(idea.vote_count is None for idea in ideas):
        return None  # none, or the counts are hidden from this reader (`Reader.sees_counts`)
    shown = ideas[:limit] if limit else ideas
    top = max(idea.vote_count for idea in ideas)
    bars = []
    y = 0
    for idea in shown:
        rank = getattr(idea, "rank", None)
        # SVG text has no <bdi>: a title saved before bidirectional controls were refused
        # loses them here.
        title = without_bidi_controls(idea.title)
        label = f"{rank}. {title}" if rank else title
        lines = _wrap(label)
        baselines = [y + 15 + LINE_HEIGHT * n for n in range(len(lines))]
        bar_y = baselines[-1] + 7
        bars.append(
            Bar(
                idea_id=idea.pk,
                title=title,
                lines=list(zip(lines, baselines, strict=True)),
                votes=idea.vote_count,
                winner=rank == 1,
                width=f"{LONGEST_BAR * idea.vote_count / top:.1f}" if top else "0",
                bar_y=bar_y,
                count_y=bar_y + 13,
            )
        )
        y = baselines[-1] + ROW_GAP
    return Chart(
        bars=bars,
        height=y,
        more=max(total or 0, len(ideas)) - len(shown),
        description=_describe(bars),
    )


def _wrap(label: str) -> list[str]:
    """At most LABEL_LINES lines of LABEL_WIDTH characters; the last one ends in … if cut."""
    lines = textwrap.wrap(label, LABEL_WIDTH, break_on_hyphens=False) or [""]
    if len(lines) > LABEL_LINES:
        rest = " ".join(lines[LABEL_LINES - 1 :])
        short, _cut = shorten(rest, LABEL_WIDTH - 1)
        lines = [*lines[: LABEL_LINES - 1], short + "…"]
    return lines


def _describe(bars: list[Bar]) -> str:
    parts = []
    for bar in bars:
        votes = ngettext("%(n)d vote", "%(n)d votes", bar.votes) % {"n": bar.votes}
        if bar.winner:
            parts.append(_("%(idea)s: %(votes)s (winner)") % {"idea": bar.title, "votes": votes})
        else:
            parts.append(_("%(idea)s: %(votes)s") % {"idea": bar.title, "votes": votes})
    return "; ".join(parts) + "."
