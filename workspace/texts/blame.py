"""Who wrote what: each line of the latest text with the revision that last changed it.

Granularity is the **line**. In Tavolo's Markdown a paragraph is usually one line (the editor
wraps softly), so a line is a paragraph, a list item, a table row or a heading; blaming whole
blank-line-separated paragraphs would hide which list item or row someone changed.

Lines are compared without their line endings, so adding text after a last line that had no
final newline does not re-attribute that line. Work is one line diff per pair of consecutive
revisions, each bounded as described in :mod:`workspace.texts.matching`.

Attribution can resume from a known state (the lines of one revision and their keys) instead of
replaying the whole history, so a store can keep that state every so often (``encode_keys``)
and attribute any revision by replaying only the revisions since.
"""

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from workspace.texts.lines import split_lines, strip_line_end
from workspace.texts.matching import matching_blocks

K = TypeVar("K")

_KEYS_FORMAT = 0x01
_RUN = struct.Struct(">II")  # a key, and how many consecutive lines have it


@dataclass(frozen=True)
class BlameLine(Generic[K]):
    number: int  # 1-based line number in the latest text
    text: str  # the line without its line ending
    key: K  # the revision that last changed it


def lines_of(text: str) -> list[str]:
    """The lines blame compares: ``text``'s lines without their line endings."""
    return [strip_line_end(line) for line in split_lines(text)]


def step(lines: list[str], keys: list[K], new_lines: list[str], key: K) -> list[K]:
    """The keys of ``new_lines``: those of the unchanged ``lines``, ``key`` for the others."""
    new_keys: list[K] = [key] * len(new_lines)
    for i, j, size in matching_blocks(lines, new_lines):
        new_keys[j : j + size] = keys[i : i + size]
    return new_keys


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
    lines = lines_of(first_text)
    return resume(lines, [first_key] * len(lines), revisions)


def resume(lines: list[str], keys: list[K], history: Iterable[tuple[K, str]]) -> list[BlameLine[K]]:
    """``blame`` carried on from ``lines`` and their ``keys`` through the later ``history``."""
    if len(lines) != len(keys):
        raise ValueError(f"{len(lines)} lines but {len(keys)} keys")
    for key, text in history:
        new_lines = lines_of(text)
        keys = step(lines, keys, new_lines, key)
        lines = new_lines
    return [
        BlameLine(number, text, key)
        for number, (text, key) in enumerate(zip(lines, keys, strict=True), start=1)
    ]


def encode_keys(keys: list[int]) -> bytes:
    """Integer keys (revision numbers), one a line, compactly: runs of equal keys, compressed.

    Neighbouring lines were mostly written together, so a 100 KB text with a few hundred
    revisions behind it takes a few hundred bytes.
    """
    runs: list[int] = []
    for key in keys:
        if not 0 <= key < 2**32:
            raise ValueError(f"key {key} out of range")
        if runs and runs[-2] == key:
            runs[-1] += 1
        else:
            runs += (key, 1)
    packed = struct.pack(f">{len(runs)}I", *runs)
    return bytes([_KEYS_FORMAT]) + zlib.compress(packed, 9)


def decode_keys(data: bytes) -> list[int]:
    if not data or data[0] != _KEYS_FORMAT:
        raise ValueError("not encoded keys")
    packed = zlib.decompress(memoryview(data)[1:])
    keys: list[int] = []
    for key, count in _RUN.iter_unpack(packed):
        keys += [key] * count
    return keys
