"""Comparing two revisions: which lines changed, and within changed lines which words.

``diff`` returns plain data (frozen dataclasses of strings, ints and tuples) that a template
can show either inline or side by side; escaping is the template's job. Each ``Row`` is a
pair of cells, old and new, so the side-by-side view reads the pair and the inline view shows
the old cell of a "delete" or "replace" row and the new cell of an "insert" or "replace" row.

Lines are compared exactly, line endings included (see :mod:`workspace.texts.matching` for how
the work stays bounded). Inside a replaced block, words are compared too: tokens are runs of
letters and digits, runs of whitespace, and single punctuation marks. That second pass is
skipped, and the block marked ``coarse``, when a side is longer than ``MAX_WORD_DIFF_CHARS`` or
``MAX_WORD_DIFF_LINES``, or once the whole diff has spent ``MAX_WORD_DIFF_TOTAL_CHARS`` on it:
a pasted megabyte then costs one line comparison, not a word-by-word one. No page can show
more than ``MAX_ROWS`` rows usefully either, so rows stop there and the diff says
``truncated``; its opcodes and stats still cover both texts whole.

When a replaced block and its replacement share too little (less than ``MIN_SIMILARITY`` of
their non-blank characters), word highlighting would be confetti, so they are shown as wholly
removed and wholly added instead. Whether a row only changed spaces (``whitespace_only``) and
whether a removed line was added elsewhere (``moved``) are flagged for the templates to say.
"""

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Literal

from workspace.texts.lines import split_lines, strip_line_end
from workspace.texts.matching import Opcode, matching_blocks, opcodes_from_blocks
from workspace.texts.sections import Section, section_of_line, split_sections

MAX_WORD_DIFF_CHARS = 20_000
MAX_WORD_DIFF_LINES = 400
MAX_WORD_DIFF_TOTAL_CHARS = 400_000
MIN_SIMILARITY = 0.3
MAX_ROWS = 20_000

RowKind = Literal["equal", "delete", "insert", "replace"]
SegmentKind = Literal["equal", "delete", "insert"]
Segment = tuple[SegmentKind, str]

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class Cell:
    """One side of a row: a line, split into segments that say what changed in it."""

    number: int  # 1-based line number in its text
    text: str  # the line without its line ending
    segments: tuple[Segment, ...]
    moved: bool = False  # a removed line added elsewhere (or the other way round)


@dataclass(frozen=True)
class Row:
    kind: RowKind
    old: Cell | None
    new: Cell | None
    whitespace_only: bool = False  # a "replace" whose words are the same


@dataclass(frozen=True)
class Hunk:
    """A run of changes with up to ``context`` unchanged lines around them."""

    anchor: str  # "change-1", "change-2"...: ids for previous/next links
    old_start: int  # 1-based, as in unified diffs
    old_count: int
    new_start: int
    new_count: int
    rows: tuple[Row, ...]
    coarse: bool  # some replaced block was too large to compare word by word


@dataclass(frozen=True)
class Diff:
    hunks: tuple[Hunk, ...]
    opcodes: tuple[Opcode, ...]  # line opcodes over the whole texts (0-based, end exclusive)
    stats: tuple[int, int]  # (lines added, lines removed)
    changed_sections: tuple[str, ...]  # titles, in text order; "" is the text before a heading
    truncated: bool = False  # rows stop after MAX_ROWS; opcodes and stats are still complete

    @property
    def identical(self) -> bool:
        return not self.hunks

    @property
    def coarse(self) -> bool:
        return any(hunk.coarse for hunk in self.hunks)


def diff(old: str, new: str, *, context: int = 3) -> Diff:
    if context < 0:
        raise ValueError("context cannot be negative")
    old_lines, new_lines = split_lines(old), split_lines(new)
    codes = opcodes_from_blocks(matching_blocks(old_lines, new_lines))
    added = removed = 0
    for tag, i1, i2, j1, j2 in codes:
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    if not added and not removed:
        return Diff((), tuple(codes), (0, 0), ())
    builder = _RowBuilder(old_lines, new_lines, codes)
    hunks = []
    for number, group in enumerate(_grouped(codes, context), start=1):
        hunks.append(builder.hunk(f"change-{number}", group))
        if builder.truncated:
            break
    return Diff(
        tuple(hunks),
        tuple(codes),
        (added, removed),
        _changed_sections(old, new, codes),
        truncated=builder.truncated,
    )


@dataclass(frozen=True)
class Summary:
    """What a change did, without the rows: cheap enough to compute at every save."""

    stats: tuple[int, int]  # (lines added, lines removed)
    changed_sections: tuple[str, ...]


def summarise(old: str, new: str) -> Summary:
    """Lines added and removed and the sections touched, with no word-level pass."""
    old_lines, new_lines = split_lines(old), split_lines(new)
    codes = opcodes_from_blocks(matching_blocks(old_lines, new_lines))
    added = removed = 0
    for tag, i1, i2, j1, j2 in codes:
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    if not added and not removed:
        return Summary((0, 0), ())
    return Summary((added, removed), _changed_sections(old, new, codes))


def _grouped(codes: Sequence[Opcode], context: int) -> Iterator[list[Opcode]]:
    """The opcodes in runs separated by more than 2 * ``context`` unchanged lines."""
    codes = list(codes)
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = tag, max(i1, i2 - context), i2, max(j1, j2 - context), j2
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > 2 * context:
            group.append((tag, i1, i1 + context, j1, j1 + context))
            yield group
            group = []
            i1, j1 = i2 - context, j2 - context
        group.append((tag, i1, i2, j1, j2))
    if any(code[0] != "equal" for code in group):
        yield group


class _RowBuilder:
    def __init__(self, old_lines: list[str], new_lines: list[str], codes: Sequence[Opcode]):
        self.old_lines = old_lines
        self.new_lines = new_lines
        self.word_budget = MAX_WORD_DIFF_TOTAL_CHARS
        self.rows_left = MAX_ROWS
        self.truncated = False
        removed, added = set(), set()
        for tag, i1, i2, j1, j2 in codes:
            if tag != "equal":
                removed.update(line.strip() for line in old_lines[i1:i2])
                added.update(line.strip() for line in new_lines[j1:j2])
        removed.discard("")
        added.discard("")
        self.moved_out = removed & added

    def hunk(self, anchor: str, group: list[Opcode]) -> Hunk:
        rows: list[Row] = []
        shown: list[Opcode] = []
        coarse = False
        for tag, i1, i2, j1, j2 in group:
            if max(i2 - i1, j2 - j1) > self.rows_left:
                self.truncated = True
                i2, j2 = min(i2, i1 + self.rows_left), min(j2, j1 + self.rows_left)
            if tag == "equal":
                rows.extend(self._equal_rows(i1, i2, j1))
            else:
                block_rows, block_coarse = self._changed_rows(i1, i2, j1, j2)
                rows.extend(block_rows)
                coarse = coarse or block_coarse
            shown.append((tag, i1, i2, j1, j2))
            self.rows_left -= max(i2 - i1, j2 - j1)
            if self.truncated:
                break
        _, i1, _, j1, _ = shown[0]
        _, _, i2, _, j2 = shown[-1]
        return Hunk(
            anchor,
            i1 + 1 if i2 > i1 else i1,
            i2 - i1,
            j1 + 1 if j2 > j1 else j1,
            j2 - j1,
            tuple(rows),
            coarse,
        )

    def _equal_rows(self, i1: int, i2: int, j1: int) -> Iterator[Row]:
        for offset, line in enumerate(self.old_lines[i1:i2]):
            text = strip_line_end(line)
            segments: tuple[Segment, ...] = (("equal", text),) if text else ()
            yield Row(
                "equal",
                Cell(i1 + offset + 1, text, segments),
                Cell(j1 + offset + 1, text, segments),
            )

    def _changed_rows(self, i1: int, i2: int, j1: int, j2: int) -> tuple[list[Row], bool]:
        old_block, new_block = self.old_lines[i1:i2], self.new_lines[j1:j2]
        old_segments, new_segments, coarse = self._word_segments(old_block, new_block)
        old_cells = [
            self._cell(i1 + offset + 1, line, segments)
            for offset, (line, segments) in enumerate(zip(old_block, old_segments, strict=True))
        ]
        new_cells = [
            self._cell(j1 + offset + 1, line, segments)
            for offset, (line, segments) in enumerate(zip(new_block, new_segments, strict=True))
        ]
        rows = []
        for old_cell, new_cell in zip_longest(old_cells, new_cells):
            if old_cell is None:
                rows.append(Row("insert", None, new_cell))
            elif new_cell is None:
                rows.append(Row("delete", old_cell, None))
            else:
                same_words = old_cell.text.split() == new_cell.text.split()
                rows.append(Row("replace", old_cell, new_cell, whitespace_only=same_words))
        return rows, coarse

    def _cell(self, number: int, line: str, segments: tuple[Segment, ...]) -> Cell:
        return Cell(number, strip_line_end(line), segments, line.strip() in self.moved_out)

    def _word_segments(
        self, old_block: list[str], new_block: list[str]
    ) -> tuple[list[tuple[Segment, ...]], list[tuple[Segment, ...]], bool]:
        """Per line of each block, its segments; and whether words were left uncompared."""
        old_text, new_text = "".join(old_block), "".join(new_block)
        size = len(old_text) + len(new_text)
        too_large = (
            len(old_text) > MAX_WORD_DIFF_CHARS
            or len(new_text) > MAX_WORD_DIFF_CHARS
            or len(old_block) > MAX_WORD_DIFF_LINES
            or len(new_block) > MAX_WORD_DIFF_LINES
            or size > self.word_budget
        )
        if not old_block or not new_block or too_large:
            return _whole(old_block, "delete"), _whole(new_block, "insert"), too_large
        self.word_budget -= size
        old_tokens, new_tokens = _TOKEN.findall(old_text), _TOKEN.findall(new_text)
        words = len("".join(old_text.split())) + len("".join(new_text.split()))
        if words and 2 * _shared_at_most(old_tokens, new_tokens) < MIN_SIMILARITY * words:
            # Too different even if every common word lined up: the same answer as below,
            # without the matching (most of a compare of two distant revisions).
            return _whole(old_block, "delete"), _whole(new_block, "insert"), False
        old_stream: list[Segment] = []
        new_stream: list[Segment] = []
        shared = 0
        i = j = 0
        for ti, tj, length in matching_blocks(old_tokens, new_tokens, _is_space):
            if i < ti:
                old_stream.append(("delete", "".join(old_tokens[i:ti])))
            if j < tj:
                new_stream.append(("insert", "".join(new_tokens[j:tj])))
            if length:
                common = "".join(old_tokens[ti : ti + length])
                old_stream.append(("equal", common))
                new_stream.append(("equal", common))
                shared += len(common) - sum(map(len, re.findall(r"\s+", common)))
            i, j = ti + length, tj + length
        if words and 2 * shared < MIN_SIMILARITY * words:
            return _whole(old_block, "delete"), _whole(new_block, "insert"), False
        return (
            _per_line(old_stream, len(old_block)),
            _per_line(new_stream, len(new_block)),
            False,
        )


def _shared_at_most(old_tokens: list[str], new_tokens: list[str]) -> int:
    """An upper bound of the characters the word matching can find in common: each word or
    sign at most as many times as the side with fewer of it has it (spaces do not count)."""
    old_counts, new_counts = Counter(old_tokens), Counter(new_tokens)
    return sum(
        min(count, new_counts[token]) * len(token)
        for token, count in old_counts.items()
        if token in new_counts and not token.isspace()
    )


def _is_space(token: object) -> bool:
    # Spaces are half of all tokens: letting them start matches makes word diffs slow and
    # pairs unrelated words; they still join any match that reaches them.
    return isinstance(token, str) and token.isspace()


def _whole(block: list[str], kind: SegmentKind) -> list[tuple[Segment, ...]]:
    return [((kind, text),) if (text := strip_line_end(line)) else () for line in block]


def _per_line(stream: list[Segment], line_count: int) -> list[tuple[Segment, ...]]:
    """Cut a block's segments at line endings, which are dropped (cells hold line texts)."""
    lines: list[tuple[Segment, ...]] = []
    current: list[Segment] = []
    for kind, text in stream:
        for piece in split_lines(text):
            content = strip_line_end(piece)
            if content:
                if current and current[-1][0] == kind:
                    current[-1] = (kind, current[-1][1] + content)
                else:
                    current.append((kind, content))
            if content != piece:
                lines.append(tuple(current))
                current = []
    if current or len(lines) < line_count:
        lines.append(tuple(current))
    assert len(lines) == line_count, "a block's segments must cut into its own lines"
    return lines


def _changed_sections(old: str, new: str, codes: Sequence[Opcode]) -> tuple[str, ...]:
    """Titles of the sections with changes, in order, each once.

    Changed and added lines count in the new text's sections. Removed lines count in the old
    text's: for a pure deletion, the section it was in; for a replacement, the sections whose
    heading it removed (deleted or renamed sections, which the new text no longer has).
    """
    new_sections = split_sections(new)
    old_sections: list[Section] | None = None
    titles: dict[str, None] = {}
    new_lines: list[str] | None = None
    old_lines: list[str] | None = None
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal":
            continue
        # Blank lines at the edges of a change belong to no one: a section added at the end
        # brings the blank line that ends the section before it, which did not change.
        if new_lines is None:
            new_lines, old_lines = split_lines(new), split_lines(old)
        j1, j2 = _trim_blank(new_lines, j1, j2)
        i1, i2 = _trim_blank(old_lines, i1, i2)
        if j1 == j2 and i1 == i2:
            continue
        if j2 > j1:
            for index in _touched(new_sections, j1, j2):
                titles.setdefault(new_sections[index].title)
        if i2 > i1:
            if old_sections is None:
                old_sections = split_sections(old)
            for index in _touched(old_sections, i1, i2):
                if j2 == j1 or i1 <= old_sections[index].start < i2:
                    titles.setdefault(old_sections[index].title)
    return tuple(titles)


def _trim_blank(lines: list[str], start: int, end: int) -> tuple[int, int]:
    """The range without its leading and trailing blank lines (empty if all are blank)."""
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return start, end


def _touched(sections: list[Section], start: int, end: int) -> range:
    return range(section_of_line(sections, start), section_of_line(sections, end - 1) + 1)
