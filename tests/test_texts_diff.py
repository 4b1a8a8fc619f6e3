"""Diffs: line opcodes that rebuild the new text, rows for both views, words, caps on work."""

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.texts import diff as diff_module
from workspace.texts.diff import MAX_WORD_DIFF_CHARS, diff
from workspace.texts.lines import split_lines, strip_line_end

# Safety caps, not benchmarks: the engine's own target is about 2 s on the slowest case.
TIME_CAP = 3.0

LINES = st.sampled_from(
    ["", "# Titolo", "## Orari", "Il bambino arriva.", "La madre saluta.", "- voce", "a", "b",
     "Il bambino arriva alle nove.", "  ", "| a | b |", "```"]
)  # fmt: skip
ENDINGS = st.sampled_from(["\n", "\n", "\n", "\r\n"])


@st.composite
def texts(draw) -> str:
    lines = draw(st.lists(st.tuples(LINES, ENDINGS), max_size=20))
    text = "".join(line + ending for line, ending in lines)
    if text and draw(st.booleans()):
        text = text.rstrip("\r\n")
    return text


@st.composite
def edited(draw) -> tuple[str, str]:
    old = draw(texts())
    lines = split_lines(old)
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(lines)))
        end = draw(st.integers(start, min(len(lines), start + 3)))
        lines[start:end] = [line + "\n" for line in draw(st.lists(LINES, max_size=3))]
    return old, "".join(lines)


def apply_opcodes(old: str, new: str, opcodes) -> str:
    old_lines, new_lines = split_lines(old), split_lines(new)
    rebuilt = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            assert old_lines[i1:i2] == new_lines[j1:j2]
            rebuilt.extend(old_lines[i1:i2])
        else:
            rebuilt.extend(new_lines[j1:j2])
    return "".join(rebuilt)


@settings(max_examples=200, deadline=None)
@given(edited())
def test_opcodes_turn_old_into_new(pair):
    old, new = pair
    result = diff(old, new)
    assert apply_opcodes(old, new, result.opcodes) == new
    i = j = 0
    for _tag, i1, i2, j1, j2 in result.opcodes:
        assert (i1, j1) == (i, j)
        i, j = i2, j2
    assert (i, j) == (len(split_lines(old)), len(split_lines(new)))


@settings(max_examples=200, deadline=None)
@given(edited())
def test_rows_show_every_line_of_both_texts(pair):
    old, new = pair
    result = diff(old, new, context=10**6)
    old_cells = [row.old for hunk in result.hunks for row in hunk.rows if row.old]
    new_cells = [row.new for hunk in result.hunks for row in hunk.rows if row.new]
    if result.hunks:
        assert [cell.text for cell in old_cells] == [strip_line_end(x) for x in split_lines(old)]
        assert [cell.text for cell in new_cells] == [strip_line_end(x) for x in split_lines(new)]
        assert [cell.number for cell in new_cells] == list(range(1, len(new_cells) + 1))
    for cell in old_cells:
        assert "".join(text for _, text in cell.segments) == cell.text
        assert {kind for kind, _ in cell.segments} <= {"equal", "delete"}
    for cell in new_cells:
        assert "".join(text for _, text in cell.segments) == cell.text
        assert {kind for kind, _ in cell.segments} <= {"equal", "insert"}
    added, removed = result.stats
    assert added == sum(1 for h in result.hunks for r in h.rows if r.kind != "equal" and r.new)
    assert removed == sum(1 for h in result.hunks for r in h.rows if r.kind != "equal" and r.old)


@settings(max_examples=100, deadline=None)
@given(texts())
def test_identical_texts_have_no_hunks(text):
    result = diff(text, text)
    assert result.hunks == () and result.identical
    assert result.stats == (0, 0) and result.changed_sections == ()


def test_a_changed_line_is_compared_word_by_word():
    result = diff("# T\n\nIl bambino arriva alle nove.\n", "# T\n\nIl bambino arriva alle dieci.\n")
    [hunk] = result.hunks
    [row] = [row for row in hunk.rows if row.kind != "equal"]
    assert row.kind == "replace"
    assert row.old.segments == (
        ("equal", "Il bambino arriva alle "),
        ("delete", "nove"),
        ("equal", "."),
    )
    assert row.new.segments == (
        ("equal", "Il bambino arriva alle "),
        ("insert", "dieci"),
        ("equal", "."),
    )
    assert (row.old.number, row.new.number) == (3, 3)
    assert result.stats == (1, 1)
    assert result.changed_sections == ("T",)


def test_unrelated_lines_are_shown_whole_rather_than_as_confetti():
    result = diff("Il bambino arriva alle nove.\n", "Verbale approvato all'unanimità.\n")
    [row] = result.hunks[0].rows
    assert row.old.segments == (("delete", "Il bambino arriva alle nove."),)
    assert row.new.segments == (("insert", "Verbale approvato all'unanimità."),)


def test_hunks_group_nearby_changes_and_are_numbered_for_navigation():
    old = "".join(f"riga {n}\n" for n in range(1, 41))
    new = old.replace("riga 2\n", "riga due\n").replace("riga 5\n", "riga cinque\n")
    new = new.replace("riga 30\n", "riga trenta\n")
    result = diff(old, new, context=2)
    assert [hunk.anchor for hunk in result.hunks] == ["change-1", "change-2"]
    first, second = result.hunks
    assert (first.old_start, first.old_count, first.new_start, first.new_count) == (1, 7, 1, 7)
    kinds = " ".join(row.kind for row in first.rows)
    assert kinds == "equal replace equal equal replace equal equal"
    assert (second.old_start, second.old_count) == (28, 5)
    assert len(diff(old, new, context=0).hunks) == 3


def test_insertions_and_deletions_are_rows_with_one_side():
    result = diff("a\nb\nc\n", "a\nc\nd\n", context=0)
    rows = [row for hunk in result.hunks for row in hunk.rows]
    assert [(row.kind, row.old and row.old.text, row.new and row.new.text) for row in rows] == [
        ("delete", "b", None),
        ("insert", None, "d"),
    ]
    assert result.stats == (1, 1)


def test_changed_sections_use_the_new_text_and_the_old_one_for_deletions():
    old = "Intro\n# Uno\nuno\n# Due\ndue\n# Tre\ntre\n"
    new = "Intro\n# Uno\nuno cambiato\n# Tre\ntre\n"
    assert diff(old, new).changed_sections == ("Uno", "Due")
    assert diff("x\n", "y\n").changed_sections == ("",)


def test_whitespace_only_changes_show_and_say_so():
    result = diff("Il bambino  arriva.\n", "Il bambino arriva. \n")
    [row] = result.hunks[0].rows
    assert row.kind == "replace" and row.whitespace_only
    assert ("delete", " ") in row.old.segments or ("delete", "  ") in row.old.segments


def test_moved_lines_are_marked():
    old = "# A\nuno\ndue\n# B\ntre\n"
    new = "# A\ndue\n# B\ntre\nuno\n"
    moved = {
        (row.kind, (row.old or row.new).text)
        for hunk in diff(old, new).hunks
        for row in hunk.rows
        if (row.old and row.old.moved) or (row.new and row.new.moved)
    }
    assert moved == {("delete", "uno"), ("insert", "uno")}


def test_a_huge_replaced_block_is_compared_by_lines_only():
    old = "breve\n"
    new = "x" * (MAX_WORD_DIFF_CHARS + 1) + "\n"
    result = diff(old, new)
    assert result.coarse
    [row] = result.hunks[0].rows
    assert row.new.segments == (("insert", new[:-1]),)


def test_rows_stop_at_the_cap_but_stats_do_not(monkeypatch):
    monkeypatch.setattr(diff_module, "MAX_ROWS", 5)
    old = "".join(f"{n}\n" for n in range(20))
    new = "".join(f"{n}!\n" for n in range(20))
    result = diff(old, new)
    assert result.truncated
    assert sum(len(hunk.rows) for hunk in result.hunks) == 5
    assert result.stats == (20, 20)


def test_negative_context_is_refused():
    with pytest.raises(ValueError):
        diff("a", "b", context=-1)


# -- Performance caps ---------------------------------------------------------------------------

VOCABULARY = (
    "il la di che e un una per con del della sono bambino madre padre incontro servizio "
    "operatore educatrice spazio neutro relazione famiglia tribunale visita protetta"
)
WORDS = VOCABULARY.split()


def megabyte_of_paragraphs(rng: random.Random) -> list[str]:
    paragraphs, size = [], 0
    while size < 1_000_000:
        words = [rng.choice(WORDS) for _ in range(rng.randint(20, 150))]
        paragraph = " ".join(words) + f" ({len(paragraphs)})."
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return paragraphs


def timed_diff(old: str, new: str):
    started = time.perf_counter()
    result = diff(old, new)
    return result, time.perf_counter() - started


def test_reordered_paragraphs_of_a_megabyte():
    rng = random.Random(7)
    paragraphs = megabyte_of_paragraphs(rng)
    shuffled = paragraphs[:]
    rng.shuffle(shuffled)
    old, new = "\n\n".join(paragraphs) + "\n", "\n\n".join(shuffled) + "\n"
    result, seconds = timed_diff(old, new)
    assert seconds < TIME_CAP
    assert apply_opcodes(old, new, result.opcodes) == new
    # A few moved paragraphs: only they show as changes.
    moved = paragraphs[:]
    for _ in range(20):
        moved.insert(rng.randrange(len(moved)), moved.pop(rng.randrange(len(moved))))
    result, seconds = timed_diff(old, "\n\n".join(moved) + "\n")
    assert seconds < TIME_CAP
    assert result.stats[0] <= 40


def test_a_megabyte_pasted_on_one_line():
    rng = random.Random(8)
    pasted = " ".join(rng.choice(WORDS) for _ in range(200_000))[:1_000_000]
    base = "# Verbale\n\nPresenti: tutti.\n"
    for old, new in [
        (base, base + pasted),
        (base, base.replace("Presenti: tutti.", pasted)),
        (base + pasted + "\n", base + pasted.replace("madre", "mamma") + "\n"),
    ]:
        result, seconds = timed_diff(old, new)
        assert seconds < TIME_CAP
        assert apply_opcodes(old, new, result.opcodes) == new


def test_whitespace_only_changes_to_a_megabyte_stay_cheap():
    rng = random.Random(9)
    old = "\n\n".join(megabyte_of_paragraphs(rng)) + "\n"
    for new in (old.replace(" ", "  "), old.replace("\n\n", "\n \n"), old.replace(" il ", " il  ")):
        result, seconds = timed_diff(old, new)
        assert seconds < TIME_CAP
        assert result.stats[0] > 0
        assert apply_opcodes(old, new, result.opcodes) == new


def test_repetitive_lines_stay_cheap():
    rng = random.Random(10)
    old = "".join(rng.choice("ab") + "\n" for _ in range(200_000))
    new = "".join(rng.choice("ab") + "\n" for _ in range(200_000))
    result, seconds = timed_diff(old, new)
    assert seconds < TIME_CAP
    assert apply_opcodes(old, new, result.opcodes) == new


@given(edited())
def test_summary_agrees_with_the_full_diff(pair):
    old, new = pair
    full = diff(old, new)
    summary = diff_module.summarise(old, new)
    assert summary.stats == full.stats
    assert summary.changed_sections == full.changed_sections


@settings(max_examples=200, deadline=None)
@given(edited())
def test_the_similarity_bound_only_skips_work(pair):
    """Blocks too different even if every common word lined up skip the word matching: the
    diff is the same as when every block is matched."""
    old, new = pair
    quick = diff(old, new)
    original = diff_module._shared_at_most
    try:
        diff_module._shared_at_most = lambda old_tokens, new_tokens: 10**12
        thorough = diff(old, new)
    finally:
        diff_module._shared_at_most = original
    assert quick == thorough


def test_the_bound_counts_each_common_word_as_often_as_the_poorer_side():
    old = ["la", " ", "casa", " ", "la", ",", " ", "via"]
    new = ["la", " ", "la", " ", "la", " ", "casa", "."]
    assert diff_module._shared_at_most(old, new) == 2 * 2 + 4  # "la" twice, "casa" once
