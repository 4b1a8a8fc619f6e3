"""Markdown (CommonMark with tables and strikethrough) to safe HTML, with a table of contents.

Raw HTML in the text is shown as text, never interpreted; the rendered HTML still goes through
``sanitize_html`` so that the allow-list, not the parser's configuration, is what guarantees
safety. Headings get ids made from their titles, so that the table of contents and links from
elsewhere can point at them, and each heading knows its section (see
:mod:`workspace.texts.sections`) so that an "edit this section" link can be built.

Images are not rendered: their description is shown as text instead (see ``sanitize``).
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from workspace.texts.sanitize import sanitize_html
from workspace.texts.sections import section_of_line, sections_from_tokens

FALLBACK_ANCHOR = "sezione"
# Heading ids share the page with the application's own ids ("main", "preview"...): the
# prefix keeps a heading called "Main" from taking the skip link's target.
ANCHOR_PREFIX = "sez-"
_NOT_IN_ANCHOR = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Heading:
    level: int
    title: str  # plain text, without Markdown
    anchor: str  # the heading's id in the HTML
    section: int  # index of the section (workspace.texts.sections) the heading is in


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: list[Heading]


def _image_as_text(self, tokens: Sequence[Token], index: int, options, env) -> str:
    return escapeHtml(self.renderInlineAsText(tokens[index].children or [], options, env))


def make_parser() -> MarkdownIt:
    """The Markdown parser of Tavolo: CommonMark, tables and strikethrough, raw HTML as text.

    Its renderer shows images as their description; other outputs (see
    :mod:`workspace.texts.docx`) walk the tokens of ``parser.parse(text)`` instead.
    """
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["table", "strikethrough"])
    parser.add_render_rule("image", _image_as_text)
    return parser


_PARSER = make_parser()


def slugify(title: str) -> str:
    """A lowercase id from ``title``, accents folded: "Perché così?" gives "perche-cosi"."""
    decomposed = unicodedata.normalize("NFKD", title)
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_IN_ANCHOR.sub("-", folded.casefold()).strip("-")


def _plain_text(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_plain_text(child))
    return " ".join("".join(parts).split())


def render(text: str) -> Rendered:
    tokens = _PARSER.parse(text)
    sections = sections_from_tokens(text, tokens)
    headings: list[Heading] = []
    used: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        title = _plain_text(tokens[index + 1])
        base = ANCHOR_PREFIX + (slugify(title) or FALLBACK_ANCHOR)
        anchor, counter = base, 1
        while anchor in used:
            counter += 1
            anchor = f"{base}-{counter}"
        used.add(anchor)
        token.attrSet("id", anchor)
        level = int(token.tag[1])
        # The page's title is the h1: a text's "#" is a section of it, so one level down.
        html_tag = f"h{min(level + 1, 6)}"
        token.tag = html_tag
        closing = next(t for t in tokens[index + 1 :] if t.type == "heading_close")
        closing.tag = html_tag
        line = token.map[0] if token.map else 0
        headings.append(Heading(level, title, anchor, section_of_line(sections, line)))
    html = _PARSER.renderer.render(tokens, _PARSER.options, {})
    return Rendered(sanitize_html(html), headings)
