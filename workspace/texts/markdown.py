"""Markdown (CommonMark with tables and strikethrough) to safe HTML, with a table of contents.

Raw HTML in the text is shown as text, never interpreted; the rendered HTML still goes through
``sanitize_html`` so that the allow-list, not the parser's configuration, is what guarantees
safety. Headings get ids made from their titles, so that the table of contents and links from
elsewhere can point at them, and each heading knows its section (see
:mod:`workspace.texts.sections`) so that an "edit this section" link can be built.

Images are not rendered: their description is shown as text instead (see ``sanitize``).
"""

import gc
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

from workspace.texts.sanitize import LINK_REL, sanitize_html
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
    mentioned: tuple[str, ...] = ()  # handles of the ``mentions`` given that the text uses


# "@giulia.ferri": letters, digits, dots, hyphens and underscores, not ending in punctuation,
# and not inside a word (an e-mail address is not a mention).
MENTION = re.compile(r"(?<![\w.@])@([^\W_](?:[\w.-]*[^\W_])?)")


def _mark_mentions(tokens: Sequence[Token], mentions: Mapping[str, str]) -> list[str]:
    """Turn known ``@handle``s in text (never in code) into the person's name in bold."""
    found: list[str] = []
    quoted = 0  # inside a quotation, a mention is someone else's: shown, not counted
    for token in tokens:
        if token.type == "blockquote_open":
            quoted += 1
        elif token.type == "blockquote_close":
            quoted -= 1
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        for child in token.children:
            if child.type != "text" or "@" not in child.content:
                children.append(child)
                continue
            position = 0
            for match in MENTION.finditer(child.content):
                handle = match.group(1).casefold()
                if handle not in mentions:
                    continue
                if match.start() > position:
                    children.append(_text(child.content[position : match.start()]))
                children.append(Token("strong_open", "strong", 1))
                children.append(_text("@" + mentions[handle]))
                children.append(Token("strong_close", "strong", -1))
                position = match.end()
                if handle not in found and not quoted:
                    found.append(handle)
            if position < len(child.content):
                children.append(_text(child.content[position:]))
        token.children = children
    return found


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _image_as_text(self, tokens: Sequence[Token], index: int, options, env) -> str:
    return escapeHtml(self.renderInlineAsText(tokens[index].children or [], options, env))


def _link_open(self, tokens: Sequence[Token], index: int, options, env) -> str:
    tokens[index].attrSet("rel", LINK_REL)
    return self.renderToken(tokens, index, options, env)


def _cell_open(self, tokens: Sequence[Token], index: int, options, env) -> str:
    tokens[index].attrs.pop("style", None)  # column alignment: no styles in Tavolo's HTML
    return self.renderToken(tokens, index, options, env)


def _fence(self, tokens: Sequence[Token], index: int, options, env) -> str:
    tokens[index].info = ""  # no class="language-..." on the code
    return RendererHTML.fence(self, tokens, index, options, env)


def make_parser() -> MarkdownIt:
    """The Markdown parser of Tavolo: CommonMark, tables and strikethrough, raw HTML as text.

    Its renderer shows images as their description; other outputs (see
    :mod:`workspace.texts.docx`) walk the tokens of ``parser.parse(text)`` instead.

    The renderer writes HTML the way ``sanitize_html`` writes it back (``<hr>`` rather than
    ``<hr />``, links with their ``rel``, no alignment styles, no language classes), so that
    cleaning a rendering usually changes nothing and one pass of the cleaner is enough.
    """
    parser = MarkdownIt(
        "commonmark",
        {"html": False, "linkify": False, "typographer": False, "xhtmlOut": False},
    )
    parser.enable(["table", "strikethrough"])
    parser.add_render_rule("image", _image_as_text)
    parser.add_render_rule("link_open", _link_open)
    parser.add_render_rule("th_open", _cell_open)
    parser.add_render_rule("td_open", _cell_open)
    parser.add_render_rule("fence", _fence)
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


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Rendering makes a token or a tree node for every element, all alive until the end, and
    none of them in a reference cycle: the cycle collector would walk them again and again
    for nothing, which is a third of the time of a long list or table. It runs again after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def render(
    text: str, *, anchors: bool = True, mentions: Mapping[str, str] | None = None
) -> Rendered:
    """``text`` as safe HTML. ``anchors=False`` leaves headings without ids (a message on a page
    with many others); ``mentions`` maps known handles (lowercase) to the names to show.

    The time it takes is linear in the size of the text (and of its HTML), with a constant that
    is small for any text a person writes. A text built to be costly (see ``too_costly``) is
    shown as plain paragraphs instead: every character kept, no formatting."""
    if too_costly(text):
        return Rendered(_plain_paragraphs(text), [])
    with _cycle_collector_paused():
        return _render(text, anchors=anchors, mentions=mentions)


# What a hostile text can pile up, and what makes the parser and the sanitiser slow: each line
# is a block, each ``&<>"`` an entity that html5lib appends to its text node one at a time
# (quadratic in a node: 500,000 "&" took 113 s), each ``[`` or ``!`` a link the parser tries to
# close (35 µs each). Real texts stay far below: the 100 KB guidelines have ~2,000 lines, a
# few hundred entities and brackets. Past any limit the text is shown plain, which is linear.
MAX_LINES = 30_000
MAX_ENTITIES = 20_000
MAX_DELIMITERS = 40_000
_ENTITY_CHARS = re.compile(r'[&<>"]')
_DELIMITERS = re.compile(r"[\[\]!*_`~\\]")


def too_costly(text: str) -> bool:
    """Whether ``text`` has more lines, entities or inline delimiters than any real text."""
    return (
        text.count("\n") > MAX_LINES
        or len(_ENTITY_CHARS.findall(text)) > MAX_ENTITIES
        or len(_DELIMITERS.findall(text)) > MAX_DELIMITERS
    )


def _plain_paragraphs(text: str) -> str:
    """Paragraphs at blank lines, line breaks kept, everything else as typed. Safe without the
    sanitiser: ``escapeHtml`` leaves no markup and the tags are ours."""
    paragraphs = (part.strip("\n") for part in re.split(r"\n\s*\n", text))
    return "\n".join(
        '<p class="plain-text">' + escapeHtml(part).replace("\n", "<br>\n") + "</p>"
        for part in paragraphs
        if part.strip()
    )


def _render(text: str, *, anchors: bool, mentions: Mapping[str, str] | None) -> Rendered:
    tokens = _PARSER.parse(text)
    mentioned = tuple(_mark_mentions(tokens, mentions)) if mentions else ()
    sections = sections_from_tokens(text, tokens)
    headings: list[Heading] = []
    used: set[str] = set()
    # The last number tried for each title: "Note", "Note-2", "Note-3"... are found without
    # trying every number again for each new "Note".
    counters: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        title = _plain_text(tokens[index + 1])
        base = ANCHOR_PREFIX + (slugify(title) or FALLBACK_ANCHOR)
        anchor, counter = base, counters.get(base, 1)
        if counter > 1 or anchor in used:
            counter = max(counter, 2)
            anchor = f"{base}-{counter}"
            while anchor in used:
                counter += 1
                anchor = f"{base}-{counter}"
        counters[base] = counter
        used.add(anchor)
        if anchors:
            token.attrSet("id", anchor)
        level = int(token.tag[1])
        # The page's title is the h1: a text's "#" is a section of it, so one level down.
        html_tag = f"h{min(level + 1, 6)}"
        token.tag = html_tag
        closing = index + 2  # heading_open, inline, heading_close
        while tokens[closing].type != "heading_close":
            closing += 1
        tokens[closing].tag = html_tag
        line = token.map[0] if token.map else 0
        headings.append(Heading(level, title, anchor, section_of_line(sections, line)))
    html = _PARSER.renderer.render(tokens, _PARSER.options, {})
    return Rendered(sanitize_html(html), headings, mentioned)
