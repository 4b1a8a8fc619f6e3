"""Who wrote what: each line of the latest text with the revision that last changed it.

Granularity is the **line**. In Tavolo's Markdown a paragraph is usually one line (the editor
wraps softly), so a line is a paragraph, a list item, a table row or a heading; blaming whole
blank-line-separated paragraphs would hide which list item or row someone changed.

Lines are compared without their line endings, so adding text after a last line that had no
final newline does not re-attribute that line. Work is one line diff per pair of consecutive
revisions, each bounded as described in :mod:`workspace.texts.matching`.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from workspace.texts.lines import split_lines, strip_line_end
from workspace.texts.matching import matching_blocks

K = TypeVar("K")


@dataclass(frozen=True)
class BlameLine(Generic[K]):
    number: int  # 1-based line number in the latest text
    text: str  # the line without its line ending
    key: K  # the revision that last changed it


def blame(history: Iterable[tuple[K, str]]) -> list[BlameLine[K]]:
    """``history`` is (revision key, full text), oldest first; one result per latest line.

    It is consumed once, so a generator that rebuilds each revision from the previous one
    keeps only two texts in memory, whatever the length of the history.
    """
    revisions = iter(history)
    first = next(revisions, None)
    if first is None:
        return []
    first_key, first_text = first
    lines = [strip_line_end(line) for line in split_lines(first_text)]
    keys: list[K] = [first_key] * len(lines)
    for key, text in revisions:
        new_lines = [strip_line_end(line) for line in split_lines(text)]
        new_keys: list[K] = [key] * len(new_lines)
        for i, j, size in matching_blocks(lines, new_lines):
            new_keys[j : j + size] = keys[i : i + size]
        lines, keys = new_lines, new_keys
    return [
        BlameLine(number, text, key)
        for number, (text, key) in enumerate(zip(lines, keys, strict=True), start=1)
    ]
