"""Blame: every line of the latest text, with the revision that last changed it."""

from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.texts.blame import BlameLine, blame, decode_keys, encode_keys, resume
from workspace.texts.lines import split_lines, strip_line_end


def test_lines_are_attributed_to_the_revision_that_last_changed_them():
    history = [
        (1, "# Orari\nSi arriva alle 9.\nSi esce alle 11.\n"),
        (2, "# Orari\nSi arriva alle 9:30.\nSi esce alle 11.\n"),
        (3, "# Orari\nSi arriva alle 9:30.\nSi esce alle 12.\nNote.\n"),
    ]
    assert blame(history) == [
        BlameLine(1, "# Orari", 1),
        BlameLine(2, "Si arriva alle 9:30.", 2),
        BlameLine(3, "Si esce alle 12.", 3),
        BlameLine(4, "Note.", 3),
    ]


def test_a_line_removed_and_written_again_belongs_to_its_new_author():
    history = [("a", "uno\ndue\n"), ("b", "uno\n"), ("c", "uno\ndue\n")]
    assert [line.key for line in blame(history)] == ["a", "c"]


def test_a_moved_line_belongs_to_the_revision_that_moved_it():
    history = [("a", "uno\ndue\ntre\n"), ("b", "due\ntre\nuno\n")]
    assert [(line.text, line.key) for line in blame(history)] == [
        ("due", "a"),
        ("tre", "a"),
        ("uno", "b"),
    ]


def test_adding_a_final_newline_changes_no_attribution():
    history = [("a", "uno\ndue"), ("b", "uno\ndue\ntre")]
    assert [line.key for line in blame(history)] == ["a", "a", "b"]


def test_edge_cases():
    assert blame([]) == []
    assert blame([("a", "")]) == []
    assert blame([("a", "x"), ("b", "")]) == []
    assert blame([("a", "uno\r\ndue\r")]) == [BlameLine(1, "uno", "a"), BlameLine(2, "due", "a")]


LINE = st.sampled_from(["a\n", "b\n", "c\n", "\n", "# T\n", "uno due\n", "tre\r\n"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(LINE, max_size=10).map("".join), min_size=1, max_size=8))
def test_blame_covers_every_line_of_the_latest_text(texts):
    history = list(enumerate(texts, start=1))
    result = blame(history)
    assert [line.text for line in result] == [strip_line_end(x) for x in split_lines(texts[-1])]
    assert [line.number for line in result] == list(range(1, len(result) + 1))
    for line in result:
        # The revision a line is attributed to had that line, and every later one kept it.
        assert line.text in [strip_line_end(x) for x in split_lines(texts[line.key - 1])]
    unchanged_since_first = texts.count(texts[0]) == len(texts)
    if unchanged_since_first:
        assert {line.key for line in result} <= {1}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(LINE, max_size=10).map("".join), min_size=2, max_size=8),
    st.data(),
)
def test_blame_resumed_from_a_kept_state_equals_blame_from_the_start(texts, data):
    history = list(enumerate(texts, start=1))
    cut = data.draw(st.integers(1, len(texts)))
    kept = blame(history[:cut])
    lines, keys = [line.text for line in kept], [line.key for line in kept]
    keys = decode_keys(encode_keys(keys))  # as a store keeps them
    assert resume(lines, keys, history[cut:]) == blame(history)


@given(st.lists(st.integers(0, 2**32 - 1), max_size=200))
def test_keys_encode_and_decode(keys):
    assert decode_keys(encode_keys(keys)) == keys


def test_keys_of_a_long_text_written_in_few_revisions_take_little_room():
    keys = [1] * 800 + [7] * 30 + [1] * 400 + [12] * 5
    assert len(encode_keys(keys)) < 40
