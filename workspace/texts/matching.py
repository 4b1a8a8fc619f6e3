"""Finding what two sequences (of lines, or of words) have in common, within a bounded time.

Diff, merge, blame and storage all start from the same question: which elements of ``a`` match
which elements of ``b``, in order. This module answers it in the shape ``difflib`` uses
(matching blocks ``(i, j, size)`` ending with the sentinel ``(len(a), len(b), 0)``, and opcodes
``(tag, i1, i2, j1, j2)``), so the rest of the engine reads like ordinary ``difflib`` code.

How, and why not ``SequenceMatcher`` alone:

1. The common prefix and suffix are matched first: most edits touch one place of a long text.
2. What remains is anchored on elements that occur exactly once on each side, kept in the
   longest run that is in the same order on both sides ("patience diff"). Paragraphs are
   nearly always unique, so reordered paragraphs and long texts split into small gaps.
3. Only those gaps go to ``SequenceMatcher`` with ``autojunk=False``, which gives the best
   answer but can be quadratic or worse on repetitive input (blank lines, list markers, table
   rules). A gap larger than ``EXACT_CELLS`` (len(a) * len(b)) uses ``autojunk=True`` instead,
   and one larger than ``HEURISTIC_CELLS`` is not searched at all: it is reported as replaced.
   Every answer is still a correct edit script; only its minimality is given up, and only on
   input that would otherwise make a request run away.
"""

from bisect import bisect_left
from collections.abc import Callable, Hashable, Sequence
from difflib import SequenceMatcher
from typing import Literal

Block = tuple[int, int, int]
Tag = Literal["equal", "replace", "delete", "insert"]
Opcode = tuple[Tag, int, int, int, int]

EXACT_CELLS = 250_000
HEURISTIC_CELLS = 16_000_000
# Anchoring work allowed per element of the input before the remaining gaps are handed over
# whole; it only matters for adversarial input where every round peels off a single anchor.
_ANCHOR_WORK_PER_ELEMENT = 64


def matching_blocks(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    isjunk: Callable[[Hashable], bool] | None = None,
) -> list[Block]:
    """Increasing, non-adjacent blocks ``(i, j, size)`` with ``a[i:i+size] == b[j:j+size]``.

    ``isjunk`` is handed to ``SequenceMatcher`` for the gaps between anchors: junk elements
    never start a match but are taken into one that reaches them.
    """
    blocks: list[Block] = []
    budget = _ANCHOR_WORK_PER_ELEMENT * (len(a) + len(b) + 1)
    stack = [(0, len(a), 0, len(b))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        start_a, start_b = alo, blo
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            alo += 1
            blo += 1
        if alo > start_a:
            blocks.append((start_a, start_b, alo - start_a))
        end_a = ahi
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi -= 1
            bhi -= 1
        if ahi < end_a:
            blocks.append((ahi, bhi, end_a - ahi))
        if alo == ahi or blo == bhi:
            continue
        budget -= (ahi - alo) + (bhi - blo)
        anchors = _unique_anchors(a, alo, ahi, b, blo, bhi) if budget > 0 else []
        if not anchors:
            blocks.extend(_gap_blocks(a, alo, ahi, b, blo, bhi, isjunk))
            continue
        next_i, next_j = alo, blo
        for i, j in anchors:
            blocks.append((i, j, 1))
            stack.append((next_i, i, next_j, j))
            next_i, next_j = i + 1, j + 1
        stack.append((next_i, ahi, next_j, bhi))
    return _coalesce(blocks, len(a), len(b))


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode]:
    """Like ``SequenceMatcher.get_opcodes``: how to turn ``a`` into ``b``, range by range."""
    return opcodes_from_blocks(matching_blocks(a, b))


def opcodes_from_blocks(blocks: Sequence[Block]) -> list[Opcode]:
    result: list[Opcode] = []
    i = j = 0
    for ai, bj, size in blocks:
        if i < ai and j < bj:
            result.append(("replace", i, ai, j, bj))
        elif i < ai:
            result.append(("delete", i, ai, j, bj))
        elif j < bj:
            result.append(("insert", i, ai, j, bj))
        if size:
            result.append(("equal", ai, ai + size, bj, bj + size))
        i, j = ai + size, bj + size
    return result


def _unique_anchors(
    a: Sequence[Hashable], alo: int, ahi: int, b: Sequence[Hashable], blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Pairs of elements unique on both sides, the longest chain increasing on both sides."""
    in_a: dict[Hashable, int] = {}
    for i in range(alo, ahi):
        element = a[i]
        in_a[element] = -1 if element in in_a else i
    in_b: dict[Hashable, int] = {}
    for j in range(blo, bhi):
        element = b[j]
        if in_a.get(element, -1) >= 0:
            in_b[element] = -1 if element in in_b else j
    pairs = [(i, in_b[a[i]]) for i in range(alo, ahi) if in_b.get(a[i], -1) >= 0]
    return _longest_increasing(pairs)


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of ``pairs`` (sorted by i) whose j increase: patience sorting."""
    tails: list[int] = []  # tails[k]: smallest j ending an increasing run of length k + 1
    tail_index: list[int] = []
    previous: list[int] = []
    for index, (_i, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_index.append(index)
        else:
            tails[k] = j
            tail_index[k] = index
        previous.append(tail_index[k - 1] if k else -1)
    chain: list[tuple[int, int]] = []
    index = tail_index[-1] if tail_index else -1
    while index >= 0:
        chain.append(pairs[index])
        index = previous[index]
    chain.reverse()
    return chain


def _gap_blocks(
    a: Sequence[Hashable],
    alo: int,
    ahi: int,
    b: Sequence[Hashable],
    blo: int,
    bhi: int,
    isjunk: Callable[[Hashable], bool] | None,
) -> list[Block]:
    cells = (ahi - alo) * (bhi - blo)
    if cells > HEURISTIC_CELLS:
        return []
    matcher = SequenceMatcher(isjunk, a[alo:ahi], b[blo:bhi], autojunk=cells > EXACT_CELLS)
    return [(alo + i, blo + j, size) for i, j, size in matcher.get_matching_blocks() if size]


def _coalesce(blocks: list[Block], len_a: int, len_b: int) -> list[Block]:
    blocks.sort()
    merged: list[Block] = []
    for i, j, size in blocks:
        if merged:
            last_i, last_j, last_size = merged[-1]
            if last_i + last_size == i and last_j + last_size == j:
                merged[-1] = (last_i, last_j, last_size + size)
                continue
        merged.append((i, j, size))
    merged.append((len_a, len_b, 0))
    return merged
