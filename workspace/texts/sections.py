"""Sections of a Markdown text: the parts that begin at top-level ATX headings (``#``..``######``).

A section is what "edit this section" opens and what a diff reports as changed. Section 0 is
the text before the first heading; it always exists, even empty, so the index of every other
section is the same whether or not the text has a preamble. The sections' texts concatenated
give the original text back exactly, which is what makes replacing one of them safe.

Which lines are headings is what the CommonMark parser that renders the text says: a ``#``
line inside a fenced or indented code block, or inside a list item or a quote, does not start
a section, exactly as it is not a top-level heading on the page. Parsing costs about 20 µs a
line, though, so most texts are read by a line scan instead, which gives the same answer when
no heading or fence line is indented: a ``#``, ``````` or ``~~~`` line at the margin can only
be a top-level heading or fence (it ends any list item or quote), and lines inside top-level
fences are skipped. Only a text with an indented heading or fence line is parsed.

Setext headings (underlined with ``===``) do not start sections: their title line becomes a
heading only once the underline is typed, so sections would shift while someone edits.
"""

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from workspace.texts.lines import split_lines


@dataclass(frozen=True)
class Section:
    index: int
    level: int  # 1-6; 0 for the text before the first heading
    title: str  # the heading's Markdown source, without the #s; "" for section 0
    start: int  # first line
    end: int  # line after the last
    text: str


def _block_parser() -> MarkdownIt:
    # The block structure must be the one workspace.texts.markdown renders: same preset, same
    # raw-HTML setting, same block extensions; inline parsing is not needed here.
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    parser.disable(["inline", "text_join"])
    return parser


_BLOCK_PARSER = _block_parser()


_ATX_HEADING = re.compile(r"(#{1,6})(?:[ \t]+(.*?))??(?:[ \t]+#+)?[ \t]*(?:\r\n|\r|\n)?\Z")
_FENCE_OPEN = re.compile(r"(`{3,}(?=[^`]*\Z)|~{3,})")
_FENCE_CLOSE = re.compile(r"(`{3,}|~{3,})[ \t]*(?:\r\n|\r|\n)?\Z")
_INDENTED_HEADING_OR_FENCE = re.compile(r" {1,3}(?:#{1,6}(?:[ \t\r\n]|\Z)|```|~~~)")

Start = tuple[int, int, str]  # line, level, title


def split_sections(text: str) -> list[Section]:
    lines = split_lines(text)
    starts = _scan(lines)
    if starts is None:
        starts = _starts_from_tokens(_BLOCK_PARSER.parse(text))
    return _sections(lines, starts)


def sections_from_tokens(text: str, tokens: Sequence[Token]) -> list[Section]:
    """Sections of ``text`` from the tokens markdown-it already parsed it into."""
    return _sections(split_lines(text), _starts_from_tokens(tokens))


def _scan(lines: list[str]) -> list[Start] | None:
    """Section starts found line by line, or None if the text needs the parser."""
    starts: list[Start] = [(0, 0, "")]
    fence: str | None = None
    for number, line in enumerate(lines):
        first = line[:1]
        if first == " ":
            if _INDENTED_HEADING_OR_FENCE.match(line):
                return None
        elif fence is not None:
            closing = _FENCE_CLOSE.match(line) if first == fence[0] else None
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
                fence = None
        elif first == "#":
            heading = _ATX_HEADING.match(line)
            if heading:
                # The parser reads NUL as U+FFFD; titles must not depend on which path ran.
                title = (heading.group(2) or "").strip().replace("\x00", "\ufffd")
                starts.append((number, len(heading.group(1)), title))
        elif first in ("`", "~"):
            opening = _FENCE_OPEN.match(line.rstrip("\r\n"))
            if opening:
                fence = opening.group(1)
    return starts


def _starts_from_tokens(tokens: Sequence[Token]) -> list[Start]:
    starts: list[Start] = [(0, 0, "")]
    for index, token in enumerate(tokens):
        if (
            token.type == "heading_open"
            and token.level == 0
            and token.markup.startswith("#")
            and token.map is not None
        ):
            starts.append((token.map[0], int(token.tag[1]), tokens[index + 1].content.strip()))
    return starts


def _sections(lines: list[str], starts: list[Start]) -> list[Section]:
    sections = []
    for index, (start, level, title) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        sections.append(Section(index, level, title, start, end, "".join(lines[start:end])))
    return sections


def replace_section(text: str, index: int, new_text: str) -> str:
    """``text`` with section ``index`` replaced by ``new_text`` (taken as it is)."""
    sections = split_sections(text)
    if not 0 <= index < len(sections):
        raise IndexError(f"no section {index}: the text has {len(sections)}")
    parts = [section.text for section in sections]
    parts[index] = new_text
    return "".join(parts)


def section_of_line(sections: Sequence[Section], line: int) -> int:
    """The index of the section that contains ``line`` (past the end: the last section)."""
    if line < 0:
        raise ValueError(f"negative line {line}")
    return bisect_right(sections, line, key=_start) - 1


def _start(section: Section) -> int:
    return section.start
