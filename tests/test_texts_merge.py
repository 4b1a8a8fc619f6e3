"""Three-way merge: separate edits combine, overlapping ones conflict, nothing typed is lost."""

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workspace.texts.lines import split_lines, strip_line_end
from workspace.texts.merge import merge3


@st.composite
def disjoint_edits(draw):
    """A base of unique lines and edits of disjoint (possibly adjacent) ranges of it.

    Each edit belongs to "mine" or "theirs" and replaces its range (possibly empty: an
    insertion) with new lines (possibly none: a deletion). Two insertions at the same place by
    different sides are ambiguous, so they are not generated here.
    """
    size = draw(st.integers(0, 30))
    base = [f"base {n}\n" for n in range(size)]
    cuts = sorted(draw(st.lists(st.integers(0, size), max_size=12)))
    edits = []
    counter = 0
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        side = draw(st.sampled_from(["mine", "theirs"]))
        if start == end and edits and edits[-1][1] == edits[-1][2] == start:
            side = edits[-1][0]
        lines = []
        for _ in range(draw(st.integers(0 if start < end else 1, 3))):
            counter += 1
            lines.append(f"{side} {counter}\n")
        edits.append((side, start, end, lines))
    assume(not _overlapping(edits))
    return base, edits


def _overlapping(edits) -> bool:
    """Whether an edit falls inside what the other side changed as one block.

    A side's touching edits are one block to a diff: deleting lines 1 and 2 removes [1, 3),
    and an insertion by the other side between them is a real conflict.
    """
    blocks = {"mine": [], "theirs": []}
    for side, start, end, _lines in edits:
        if blocks[side] and blocks[side][-1][1] == start:
            blocks[side][-1][1] = end
        else:
            blocks[side].append([start, end])
    for side, start, end, _lines in edits:
        other = "theirs" if side == "mine" else "mine"
        for block_start, block_end in blocks[other]:
            if start == end:
                inside = block_start < start < block_end
            else:
                inside = start < block_end and block_start < end
            if inside:
                return True
    return False


def apply(base: list[str], edits) -> str:
    result, at = [], 0
    for _side, start, end, lines in edits:
        result.extend(base[at:start])
        result.extend(lines)
        at = end
    result.extend(base[at:])
    return "".join(result)


@settings(max_examples=300, deadline=None)
@given(disjoint_edits())
def test_disjoint_edits_merge_to_both_applied(case):
    base, edits = case
    mine = apply(base, [edit for edit in edits if edit[0] == "mine"])
    theirs = apply(base, [edit for edit in edits if edit[0] == "theirs"])
    result = merge3("".join(base), mine, theirs)
    assert result.clean, result.conflicts
    assert result.text == apply(base, edits)
    assert result.took_from_theirs == (result.text != mine)


LINE = st.sampled_from(["a\n", "b\n", "c\n", "d\n", "\n", "# T\n", "x\n", "y\n"])


@st.composite
def three_texts(draw) -> tuple[str, str, str]:
    base = draw(st.lists(LINE, max_size=12))

    def edit(lines):
        lines = list(lines)
        for _ in range(draw(st.integers(0, 3))):
            start = draw(st.integers(0, len(lines)))
            end = draw(st.integers(start, min(len(lines), start + 2)))
            lines[start:end] = draw(st.lists(LINE, max_size=2))
        return "".join(lines)

    return "".join(base), edit(base), edit(base)


@settings(max_examples=300, deadline=None)
@given(three_texts())
def test_a_merge_never_drops_what_one_side_wrote(texts):
    base, mine, theirs = texts
    result = merge3(base, mine, theirs)
    merged = split_lines(result.text)
    # Mine is always kept whole wherever it conflicts, so each of my lines is still there.
    assert sorted(set(split_lines(mine)) - set(split_lines(base))) == sorted(
        set(split_lines(mine)) - set(split_lines(base)) & set(merged)
    )
    # Theirs is either merged in or shown in a conflict.
    in_conflicts = {line for c in result.conflicts for line in c.theirs}
    for line in set(split_lines(theirs)) - set(split_lines(base)) - set(split_lines(mine)):
        assert line in merged or strip_line_end(line) in in_conflicts
    for conflict in result.conflicts:
        assert [strip_line_end(x) for x in merged[conflict.start : conflict.end]] == conflict.mine


@settings(max_examples=200, deadline=None)
@given(three_texts())
def test_one_sided_changes_are_taken_as_they_are(texts):
    base, edited, _ = texts
    kept = merge3(base, edited, base)
    assert kept.text == edited and kept.clean and not kept.took_from_theirs
    taken = merge3(base, base, edited)
    assert taken.text == edited and taken.clean
    assert taken.took_from_theirs == (edited != base)


@settings(max_examples=200, deadline=None)
@given(three_texts())
def test_identical_edits_are_not_conflicts(texts):
    base, edited, _ = texts
    result = merge3(base, edited, edited)
    assert result.clean and result.text == edited and not result.took_from_theirs


def test_edits_to_adjacent_lines_merge():
    base = "- uno\n- due\n- tre\n"
    result = merge3(base, "- UNO\n- due\n- tre\n", "- uno\n- DUE\n- tre\n")
    assert result.clean and result.text == "- UNO\n- DUE\n- tre\n"
    assert result.took_from_theirs


def test_edits_to_different_paragraphs_merge():
    base = "# Orari\n\nSi arriva alle 9.\n\nSi esce alle 11.\n"
    mine = base.replace("alle 9", "alle 9:30")
    theirs = base.replace("# Orari", "# Orari e turni").replace("alle 11", "alle 12")
    result = merge3(base, mine, theirs)
    assert result.clean
    assert result.text == "# Orari e turni\n\nSi arriva alle 9:30.\n\nSi esce alle 12.\n"


def test_the_same_line_changed_differently_is_a_conflict_and_mine_is_kept():
    base = "Intro\nSi arriva alle 9.\nFine\n"
    result = merge3(base, "Intro\nSi arriva alle 10.\nFine\n", "Intro\nSi arriva alle 8.\nFine\n")
    assert not result.clean and not result.took_from_theirs
    assert result.text == "Intro\nSi arriva alle 10.\nFine\n"
    [conflict] = result.conflicts
    assert conflict.base == ["Si arriva alle 9."]
    assert conflict.mine == ["Si arriva alle 10."]
    assert conflict.theirs == ["Si arriva alle 8."]
    assert (conflict.start, conflict.end) == (1, 2)


def test_conflicts_and_clean_merges_in_one_text():
    base = "a\nb\nc\nd\ne\nf\ng\n"
    mine = "a\nB1\nc\nd\ne\nf\ng\nmine\n"
    theirs = "A\nB2\nc\nd\ne\nF\ng\n"
    result = merge3(base, mine, theirs)
    # Theirs changed "a" and "b" as one block, which overlaps my "b": the block conflicts.
    assert result.text == "a\nB1\nc\nd\ne\nF\ng\nmine\n"
    [conflict] = result.conflicts
    assert (conflict.base, conflict.mine, conflict.theirs) == (["a", "b"], ["a", "B1"], ["A", "B2"])
    assert result.took_from_theirs


def test_insertions_at_the_same_place_conflict():
    base = "a\nb\n"
    result = merge3(base, "a\nmine\nb\n", "a\ntheirs\nb\n")
    assert not result.clean
    assert result.text == "a\nmine\nb\n"
    assert result.conflicts[0].base == []


def test_deleting_what_the_other_side_changed_is_a_conflict():
    base = "a\nb\nc\n"
    result = merge3(base, "a\nc\n", "a\nB\nc\n")
    assert not result.clean and result.text == "a\nc\n"
    [conflict] = result.conflicts
    assert conflict.mine == [] and conflict.start == conflict.end == 1


def test_line_endings_and_missing_final_newline():
    base = "uno\r\ndue\r\ntre"
    result = merge3(base, "UNO\r\ndue\r\ntre", "uno\r\ndue\r\ntre\r\nquattro")
    assert result.clean and result.text == "UNO\r\ndue\r\ntre\r\nquattro"
    assert merge3("", "", "").text == ""
    assert merge3("", "mio\n", "").text == "mio\n"
