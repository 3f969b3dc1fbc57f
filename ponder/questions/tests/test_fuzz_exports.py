"""Hypothesis on the export functions (docs/reliability.md #17, ASVS 1.2.10): whatever people typed,
no cell of a CSV file or a workbook starts with a character a spreadsheet reads as the start of a
formula (`=`, `+`, `-`, `@`, tab, carriage return, NUL) unless it is prefixed with `'`, nor
does it once control, format and space characters are passed over, nor does any part of it that a
split at `;`, `,`, a tab or a line break would make a cell of its own; the CSV file reads back
(RFC 4180, as Python's csv module and spreadsheets read it) as exactly the neutralised text;
and every download is an attachment with a file name nothing can misuse.
"""

import csv
import io
import os
import re
import unicodedata
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ponder.questions.exports import FORMULA_STARTS, Table, filename, neutralise, to_csv, to_xlsx

EXAMPLES = int(os.environ.get("PONDER_FUZZ_EXAMPLES", "200"))
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")
SIGNS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
SPLITS = re.compile("[;,\t\r\n]")

# Text as the exports meet it: anything (stored text has no lone surrogates), often starting with
# a trigger, a quote, white space, or a trigger hidden behind a control character.
STARTS = [*TRIGGERS, "'", " ", "\n", "\x01", "\ufeff", "\u202e", "\uff1d", '"', ","]
HIDDEN = st.text(st.sampled_from(" \x01\x1f\u200b\u200e\u202e\ufeff\u00a0\u3000"), max_size=3)
# A part after a separator that starts a formula, perhaps behind characters a spreadsheet skips.
PART = st.builds(
    lambda separator, hidden, sign, rest: separator + hidden + sign + rest,
    st.sampled_from(";,\t\r\n"),
    HIDDEN,
    st.sampled_from(SIGNS),
    st.text(max_size=8),
)
CELL_TEXT = st.one_of(
    st.text(max_size=30),
    st.builds(lambda start, rest: start + rest, st.sampled_from(STARTS), st.text(max_size=30)),
    st.builds(
        lambda hidden, sign, rest: hidden + sign + rest,
        HIDDEN,
        st.sampled_from(SIGNS),
        st.text(max_size=10),
    ),
    st.builds(
        lambda head, parts: head + "".join(parts), st.text(max_size=10), st.lists(PART, max_size=3)
    ),
    st.sampled_from(
        ["=1+1", '=HYPERLINK("http://x","y")', "@SUM(A1)", "-2", "+49 30", "\r\n=", "x;=1+1;y"]
    ),
)
CELL = st.one_of(
    CELL_TEXT,
    st.integers(min_value=0, max_value=10**6),  # ranks, votes and likes
    st.none(),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda moment: moment.replace(tzinfo=UTC)
    ),
)


@st.composite
def tables(draw: st.DrawFn) -> Table:
    width = draw(st.integers(min_value=1, max_value=5))
    headers = draw(st.lists(CELL_TEXT, min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=6))
    return Table("ideas", "Ideas", headers, rows)


def _as_csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def _skipped(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "CZ"


def _formula_parts(text: str) -> list[str]:
    """The parts of a cell's text that a spreadsheet may take for a formula: the cell itself if
    it starts with a trigger, and every part (after a split at `;`, `,`, tab or line break) whose
    first character that counts (not a control, format or space character) is a formula sign."""
    found = [text] if text.startswith(TRIGGERS) else []
    for part in SPLITS.split(text):
        counting = [char for char in part if not _skipped(char)]
        if counting and counting[0] in SIGNS:
            found.append(part)
    return found


def test_a_formula_behind_a_control_character_or_after_a_separator_is_neutralised() -> None:
    assert neutralise('\x01=HYPERLINK("http://x","y")') == '\'\x01=HYPERLINK("http://x","y")'
    assert neutralise("\u200b@SUM(A1)") == "'\u200b@SUM(A1)"
    assert neutralise("x;=1+1;y") == "x;'=1+1;y"
    assert neutralise("Yes, +1") == "Yes, '+1"
    assert neutralise("a\t \ufeff-2") == "a\t \ufeff'-2"
    assert neutralise("Sea, sun; trams - 2") == "Sea, sun; trams - 2"  # nothing to do


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(CELL_TEXT)
def test_no_part_of_any_text_reads_as_a_formula_once_neutralised(text: str) -> None:
    assert _formula_parts(neutralise(text)) == []
    # Nothing else changes: only quotes are put in.
    assert neutralise(text).replace("'", "") == text.replace("'", "")


def test_the_triggers_are_the_documented_ones() -> None:
    assert set(FORMULA_STARTS) == set(TRIGGERS)


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(tables())
def test_every_csv_cell_reads_back_as_the_neutralised_text(table: Table) -> None:
    body = to_csv(table)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    expected = [[_as_csv_text(value) for value in row] for row in [table.headers, *table.rows]]
    assert rows == expected
    for row in rows:
        for cell in row:
            assert _formula_parts(cell) == [], cell


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(tables(), CELL_TEXT)
def test_no_cell_of_a_workbook_is_a_formula_or_starts_like_one(table: Table, title: str) -> None:
    results = SimpleNamespace(question=SimpleNamespace(title=title))
    book = load_workbook(io.BytesIO(to_xlsx(results, [table])))  # type: ignore[arg-type]
    (sheet,) = book.worksheets
    read = [list(row) for row in sheet.iter_rows(values_only=True)]
    for row, typed in zip(read, [table.headers, *table.rows], strict=False):
        for cell, value in zip(row, typed, strict=True):
            if isinstance(value, str):
                # Kept as typed, but for what XML cannot hold: control characters are dropped,
                # and a carriage return reads back as a line feed.
                kept = neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
                assert cell == (kept.replace("\r\n", "\n").replace("\r", "\n") or None)
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value
            assert not (isinstance(cell.value, str) and _formula_parts(cell.value)), cell.value


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(st.text(max_size=200), st.sampled_from(["ideas.csv", "results.xlsx", "results.json"]))
def test_a_file_name_is_plain_ascii_whatever_the_title(title: str, suffix: str) -> None:
    name = filename(SimpleNamespace(title=title, pk="AbCdEfGhIjKl"), suffix)  # type: ignore[arg-type]
    assert name.isascii()
    assert name.startswith("ponder-") and name.endswith(suffix)
    assert not set(name) & set("/\\\"';:\r\n\x00 ")
    assert len(name) <= len("ponder-") + 60 + 1 + len(suffix)
