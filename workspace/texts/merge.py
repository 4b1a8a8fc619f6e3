"""Three-way merge of line-based texts: combining my edit with one saved meanwhile by others.

``merge3(base, mine, theirs)`` follows diff3: the lines of ``base`` that both sides kept in
place are fixed points ("sync regions"); between two of them, a chunk changed by only one side
takes that side's version, a chunk changed identically by both is taken once, and a chunk that
both changed differently is looked at line by line before being called a conflict.

The line-by-line rule, decided for Tavolo: edits to **different lines merge, even adjacent
ones**. Two people fixing two consecutive list items, table rows or paragraphs of the same
guideline are not in conflict, so only these are conflicts:

* both sides changed (or deleted) the same line of ``base`` differently;
* both sides inserted different lines at the same place (their order would be a guess);
* one side inserted lines strictly inside a range of lines the other side replaced.

An insertion right before or right after a line the other side changed is not a conflict: it
goes where its author put it. Where there is a conflict the merged text keeps *mine* (so what
the person saving typed is never lost) and the conflict is reported with the three versions
and its position in the merged text, for the editor to show.
"""

from dataclasses import dataclass, field

from workspace.texts.lines import split_lines, strip_line_end
from workspace.texts.matching import matching_blocks, opcodes

Edit = tuple[int, int, tuple[str, ...]]  # base lines [start, end) become these lines


@dataclass(frozen=True)
class Conflict:
    """Lines (without line endings) that both sides changed differently."""

    base: list[str]
    mine: list[str]
    theirs: list[str]
    start: int  # first line of mine's version in the merged text (0-based)
    end: int  # line after it; start == end when mine deleted the lines


@dataclass(frozen=True)
class MergeResult:
    text: str
    conflicts: list[Conflict] = field(default_factory=list)
    took_from_theirs: bool = False  # something of theirs, absent from mine, is in the text

    @property
    def clean(self) -> bool:
        return not self.conflicts


def merge3(base: str, mine: str, theirs: str) -> MergeResult:
    base_lines, my_lines, their_lines = split_lines(base), split_lines(mine), split_lines(theirs)
    merged: list[str] = []
    conflicts: list[Conflict] = []
    took_from_theirs = False
    base_at = mine_at = theirs_at = 0
    for sync in _sync_regions(base_lines, my_lines, their_lines):
        base_chunk = base_lines[base_at : sync.base]
        my_chunk = my_lines[mine_at : sync.mine]
        their_chunk = their_lines[theirs_at : sync.theirs]
        if my_chunk == their_chunk or their_chunk == base_chunk:
            merged.extend(my_chunk)
        elif my_chunk == base_chunk:
            merged.extend(their_chunk)
            took_from_theirs = True
        else:
            combined = _merge_disjoint_edits(base_chunk, my_chunk, their_chunk)
            if combined is not None:
                merged.extend(combined)
                took_from_theirs = took_from_theirs or combined != my_chunk
            else:
                conflicts.append(
                    Conflict(
                        [strip_line_end(line) for line in base_chunk],
                        [strip_line_end(line) for line in my_chunk],
                        [strip_line_end(line) for line in their_chunk],
                        len(merged),
                        len(merged) + len(my_chunk),
                    )
                )
                merged.extend(my_chunk)
        merged.extend(base_lines[sync.base : sync.base + sync.size])
        base_at = sync.base + sync.size
        mine_at = sync.mine + sync.size
        theirs_at = sync.theirs + sync.size
    return MergeResult("".join(merged), conflicts, took_from_theirs)


@dataclass(frozen=True)
class _Sync:
    """``size`` lines of base at ``base`` found unchanged at ``mine`` and at ``theirs``."""

    base: int
    mine: int
    theirs: int
    size: int


def _sync_regions(base: list[str], mine: list[str], theirs: list[str]) -> list[_Sync]:
    """Where both sides kept base lines in place, ending with an empty region at the ends."""
    mine_blocks = matching_blocks(base, mine)
    their_blocks = matching_blocks(base, theirs)
    regions: list[_Sync] = []
    m = t = 0
    while m < len(mine_blocks) - 1 and t < len(their_blocks) - 1:
        m_base, m_at, m_size = mine_blocks[m]
        t_base, t_at, t_size = their_blocks[t]
        start, end = max(m_base, t_base), min(m_base + m_size, t_base + t_size)
        if start < end:
            regions.append(_Sync(start, m_at + start - m_base, t_at + start - t_base, end - start))
        if m_base + m_size < t_base + t_size:
            m += 1
        else:
            t += 1
    regions.append(_Sync(len(base), len(mine), len(theirs), 0))
    return regions


def _edits(base: list[str], other: list[str]) -> list[Edit]:
    return [
        (i1, i2, tuple(other[j1:j2]))
        for tag, i1, i2, j1, j2 in opcodes(base, other)
        if tag != "equal"
    ]


def _merge_disjoint_edits(base: list[str], mine: list[str], theirs: list[str]) -> list[str] | None:
    """Both sides' edits applied to ``base`` if no two of them overlap, else None."""
    # The same edit made by both sides counts once; edits of one side never touch each other.
    edits = sorted(set(_edits(base, mine)) | set(_edits(base, theirs)))
    furthest_end = 0
    previous: Edit | None = None
    for edit in edits:
        start, end, _ = edit
        if start < furthest_end:
            return None  # starts inside a range an earlier edit replaced
        if previous is not None and previous[0] == previous[1] == start == end:
            return None  # two different insertions at the same place
        furthest_end = max(furthest_end, end)
        previous = edit
    result: list[str] = []
    at = 0
    for start, end, lines in edits:
        result.extend(base[at:start])
        result.extend(lines)
        at = end
    result.extend(base[at:])
    return result
