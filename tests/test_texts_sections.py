"""Sections: split at ATX headings outside code fences; the parts always add up to the text."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from workspace.texts.sections import (
    replace_section,
    section_of_line,
    sections_from_tokens,
    split_sections,
)

LINES = st.sampled_from(
    [
        "# Titolo", "## Sezione", "### Sotto ###", "####### troppi", "#hashtag", "    # codice",
        "   # rientrato", "#", "## ", "Testo del paragrafo.", "", "- voce", "> citazione",
        "```", "```python", "~~~", "````", "  ```", "``` con `backtick`", "Setext", "===",
        "| a | b |", "|---|---|", "\t# tab", "# Perché così?", "- ```", "1. ~~~", "  # x",
        "> ```", "  ```", "# Chiuso #", "# a \\#", "\t```", "*", "  - voce",
    ]
)  # fmt: skip
ENDINGS = st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"])


@st.composite
def markdown_texts(draw) -> str:
    lines = draw(st.lists(st.tuples(LINES, ENDINGS), max_size=25))
    text = "".join(line + ending for line, ending in lines)
    if text and draw(st.booleans()):
        text = text.rstrip("\r\n")  # no final newline
    return text


@settings(max_examples=200, deadline=None)
@given(markdown_texts())
def test_sections_add_up_to_the_text(text):
    sections = split_sections(text)
    assert "".join(section.text for section in sections) == text
    assert sections[0].index == 0 and sections[0].level == 0 and sections[0].start == 0
    for index, section in enumerate(sections):
        assert section.index == index
        if index:
            assert section.start == sections[index - 1].end
            assert section.end > section.start


@settings(max_examples=200, deadline=None)
@given(markdown_texts(), st.data())
def test_replacing_a_section_then_splitting_gives_the_new_section(text, data):
    sections = split_sections(text)
    index = data.draw(st.integers(0, len(sections) - 1))
    if index == 0:
        new_text = data.draw(st.sampled_from(["", "Premessa nuova.\n", "Uno\n\nDue\n"]))
    else:
        new_text = data.draw(st.sampled_from(["## Nuovo titolo\n", "# Altro\nCorpo\n\n"]))
    replaced = replace_section(text, index, new_text)
    after = split_sections(replaced)
    assert after[index].text == new_text
    assert [s.text for s in after[:index]] == [s.text for s in sections[:index]]
    assert [s.text for s in after[index + 1 :]] == [s.text for s in sections[index + 1 :]]


@settings(max_examples=300, deadline=None)
@given(markdown_texts())
def test_sections_are_where_commonmark_sees_top_level_atx_headings(text):
    """The fast line scan and the parser agree (the parser decides when they could not)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    parsed = sections_from_tokens(text, tokens)
    assert [(s.start, s.level, s.title) for s in split_sections(text)] == [
        (s.start, s.level, s.title) for s in parsed
    ]


def test_example_document():
    text = "Premessa\n\n# Uno\nTesto\n## Due ##\n```\n# non un titolo\n```\n# Tre"
    sections = split_sections(text)
    assert [(s.index, s.level, s.title, s.start, s.end) for s in sections] == [
        (0, 0, "", 0, 2),
        (1, 1, "Uno", 2, 4),
        (2, 2, "Due", 4, 8),
        (3, 1, "Tre", 8, 9),
    ]
    assert sections[2].text == "## Due ##\n```\n# non un titolo\n```\n"
    assert sections[3].text == "# Tre"


def test_section_zero_is_there_even_when_empty():
    assert [(s.index, s.text) for s in split_sections("")] == [(0, "")]
    sections = split_sections("# Subito\n")
    assert [(s.index, s.start, s.end, s.text) for s in sections] == [
        (0, 0, 0, ""),
        (1, 0, 1, "# Subito\n"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("# Titolo", (1, "Titolo")),
        ("###### Sei", (6, "Sei")),
        ("   ## Rientrato  ##  ", (2, "Rientrato")),
        ("## Finisce con# ", (2, "Finisce con#")),
        ("#", (1, "")),
        ("### ###", (3, "")),
        ("#\tTab\n", (1, "Tab")),
        ("####### Sette", None),
        ("#hashtag", None),
        ("    # codice", None),
        ("\\# no", None),
    ],
)
def test_what_starts_a_section(line, expected):
    sections = split_sections(f"Prima\n\n{line}")
    if expected is None:
        assert len(sections) == 1
    else:
        assert (sections[1].level, sections[1].title) == expected


def test_headings_inside_lists_quotes_and_code_do_not_start_sections():
    text = (
        "# Uno\n"
        "1. Avvia il servizio:\n"
        "   ```\n"
        "   # un commento della shell\n"
        "   ```\n"
        "- voce\n"
        "   # titolo dentro la voce\n"
        "\n"
        "> # titolo citato\n"
        "\n"
        "    # codice rientrato\n"
        "# Due\n"
    )
    assert [s.title for s in split_sections(text)] == ["", "Uno", "Due"]


def test_fences_hide_headings_until_properly_closed():
    text = "~~~~\n# a\n~~~\n# b\n~~~~\n# c\n````\n# d\n```\n"
    assert [s.title for s in split_sections(text)] == ["", "c"]
    # A backtick fence whose info string has a backtick is not a fence.
    assert [s.title for s in split_sections("``` a`b\n# e\n")] == ["", "e"]


def test_replace_section_rejects_bad_indexes():
    text = "Intro\n# Uno\n"
    with pytest.raises(IndexError):
        replace_section(text, 2, "x")
    with pytest.raises(IndexError):
        replace_section(text, -1, "x")
    assert replace_section(text, 1, "# Uno bis\n") == "Intro\n# Uno bis\n"
    assert replace_section(text, 0, "") == "# Uno\n"


def test_section_of_line():
    sections = split_sections("# Uno\na\nb\n# Due\nc\n")
    assert [section_of_line(sections, line) for line in range(6)] == [1, 1, 1, 2, 2, 2]
    preamble = split_sections("x\n# Uno\n")
    assert section_of_line(preamble, 0) == 0
    assert section_of_line(preamble, 1) == 1
    with pytest.raises(ValueError):
        section_of_line(preamble, -1)


def test_line_endings_are_kept_exactly():
    text = "a\r\n# Uno\r\nb\r# Due\rc"
    sections = split_sections(text)
    assert [s.text for s in sections] == ["a\r\n", "# Uno\r\nb\r", "# Due\rc"]
    # A form feed or a line separator is text, not a line break, as in CommonMark.
    assert len(split_sections("a\x0c# no\u2028# no\n")) == 1
