"""Markdown to a Word document (DOCX): the title, an optional subtitle, then the text.

The text is parsed with the parser of :mod:`workspace.texts.markdown` and its tokens are turned
into Word paragraphs, runs and tables using the built-in styles of the default template
("Title", "Heading 1".."Heading 6", "List Bullet"/"List Number" and their levels 2 and 3,
"List Continue", "Quote", "Table Grid"), so that the document stays editable in Word or
LibreOffice and takes the reader's own styles. As on a page, raw HTML is text, images are shown
as their description and only ``http``, ``https`` and ``mailto`` links become hyperlinks.
Characters that XML cannot hold (most control characters, lone surrogates) are dropped.

Lists deeper than three levels keep the third level's style and are indented further. Each
ordered list is numbered on its own, from its first number. Paragraphs, code and headings in a
list item or a quote are indented with it; tables are not, and always span the page's width.
"""

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor, Twips
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from markdown_it.token import Token

from workspace.texts.markdown import make_parser, too_costly

LANGUAGE = "it-IT"
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
CODE_FONT = "Courier New"

_PARSER = make_parser()
# Everything XML 1.0 cannot contain: lxml refuses to store it.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
_ALIGNMENTS = {
    "text-align:left": WD_ALIGN_PARAGRAPH.LEFT,
    "text-align:center": WD_ALIGN_PARAGRAPH.CENTER,
    "text-align:right": WD_ALIGN_PARAGRAPH.RIGHT,
}
_LIST_INDENT = Twips(360)  # what each level of the template's list styles adds
_QUOTE_INDENT = Twips(720)
_MAX_LIST_LEVEL = 3  # the template has "List Bullet", "List Bullet 2" and "List Bullet 3"
_MUTED = RGBColor(0x59, 0x59, 0x59)
_LINK_COLOR = RGBColor(0x05, 0x63, 0xC1)
_CODE_SHADING = "F2F2F2"
_LINK_STYLE = "Hyperlink"
_A4 = (Mm(210), Mm(297))
_MARGIN = Cm(2)
_CORE_PROPERTY_LIMIT = 255  # characters, enforced by python-docx
# Children of w:pPr that python-docx may have added after where w:pBdr and w:shd go.
_AFTER_SHADING = ("w:tabs", "w:spacing", "w:ind", "w:contextualSpacing", "w:jc", "w:rPr")
_AFTER_BORDER = ("w:shd", *_AFTER_SHADING)


MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def markdown_to_docx(
    text: str, *, title: str, subtitle: str = "", language: str = LANGUAGE
) -> bytes:
    """The bytes of a DOCX file with ``title``, ``subtitle`` (if any) and ``text`` rendered.

    ``language`` (a BCP 47 tag such as "it-IT") is that of the default style, so that Word
    checks the spelling in it, and of the document's properties.
    """
    document = docx.Document()
    _set_properties(document, title, language)
    for section in document.sections:  # the template's is US Letter
        section.page_width, section.page_height = _A4
        section.left_margin = section.right_margin = _MARGIN
        section.top_margin = section.bottom_margin = _MARGIN
    document.add_paragraph(style="Title").add_run(_clean(title))
    if subtitle:
        run = document.add_paragraph().add_run(_clean(subtitle))
        run.font.color.rgb = _MUTED
        run.font.size = Pt(10)
    if too_costly(text):
        # As the page shows it (workspace.texts.markdown.render): plain paragraphs, linear.
        _write_plain(document, _clean(text))
    else:
        # Cleaned before parsing too, or CommonMark would turn U+0000 into U+FFFD; what the
        # parser makes of entities such as &#12; is cleaned as it is written.
        _Writer(document).write(_PARSER.parse(_clean(text)))
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


# Past this many blocks the rest goes into one last paragraph, its line breaks as spaces: each
# paragraph or line break of Word's is an XML element python-docx builds slowly (166,000 of them
# took 10 s).
_PLAIN_PARAGRAPHS = 2_000


def _write_plain(document: Document, text: str) -> None:
    blocks = [block.strip("\n") for block in re.split(r"\n\s*\n", text) if block.strip()]
    head, rest = blocks[:_PLAIN_PARAGRAPHS], blocks[_PLAIN_PARAGRAPHS:]
    for block in head:
        document.add_paragraph(block)
    if rest:
        document.add_paragraph(" ".join(" ".join(block.split("\n")) for block in rest))


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _set_properties(document: Document, title: str, language: str) -> None:
    properties = document.core_properties
    properties.title = " ".join(_clean(title).split())[:_CORE_PROPERTY_LIMIT]
    properties.language = _clean(language)[:_CORE_PROPERTY_LIMIT]
    # The template's own values ("python-docx", 2013) describe the template, not this file.
    properties.author = ""
    properties.comments = ""
    properties.last_modified_by = ""
    properties.revision = 1
    properties.created = properties.modified = datetime.now(UTC).replace(microsecond=0)
    for lang in document.styles.element.xpath("./w:docDefaults/w:rPrDefault/w:rPr/w:lang"):
        lang.set(qn("w:val"), _clean(language))


def _is_link_allowed(url: str) -> bool:
    # markdown-it has already percent-encoded spaces and control characters in the URL.
    scheme = _SCHEME.match(url.strip().lower())
    return scheme is not None and scheme.group(1) in LINK_SCHEMES


def _plain_text(tokens: list[Token]) -> str:
    """The text of inline tokens without markup: an image's description, as on a page."""
    parts = []
    for token in tokens:
        if token.type in ("text", "code_inline", "html_inline"):
            parts.append(token.content)
        elif token.type == "image":
            parts.append(_plain_text(token.children or []))
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _add_paragraph_property(paragraph: Paragraph, element, successors: tuple[str, ...]) -> None:
    paragraph._p.get_or_add_pPr().insert_element_before(element, *successors)


def _shade(paragraph: Paragraph, fill: str) -> None:
    shading = OxmlElement(
        "w:shd", {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): fill}
    )
    _add_paragraph_property(paragraph, shading, _AFTER_SHADING)


def _add_bottom_border(paragraph: Paragraph) -> None:
    borders = OxmlElement("w:pBdr")
    attributes = {qn("w:val"): "single", qn("w:sz"): "6", qn("w:space"): "1"}
    borders.append(OxmlElement("w:bottom", {**attributes, qn("w:color"): "auto"}))
    _add_paragraph_property(paragraph, borders, _AFTER_BORDER)


def _set_code_font(run: Run) -> None:
    run.font.name = CODE_FONT  # sets w:ascii and w:hAnsi
    run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:cs"), CODE_FONT)


@dataclass
class _List:
    ordered: bool
    level: int  # 1 for a list at the top, 2 for a list in one of its items...
    num_id: int | None = None  # its own numbering instance, for an ordered list
    item_started: bool = False  # whether the current item has its numbered paragraph yet


@dataclass
class _Cell:
    alignment: WD_ALIGN_PARAGRAPH | None
    inline: Token | None = None


@dataclass
class _Row:
    header: bool
    cells: list[_Cell] = field(default_factory=list)


_QUOTE = "blockquote"  # stands for a block quote among _Writer.containers


class _Writer:
    """Adds the blocks of a token stream to a document, in order."""

    def __init__(self, document: Document):
        self.document = document
        self.containers: list[_List | str] = []  # lists and quotes we are in, innermost last
        self.paragraph: Paragraph | None = None  # where the next inline token goes
        self.table: list[_Row] | None = None  # rows of the table being read
        self.in_header = False
        self.style_ids: dict[str, str] = {}  # by style name
        self.numberings: dict[str, int | None] = {}  # abstractNumId by list style name

    def write(self, tokens: list[Token]) -> None:
        for token in tokens:
            handler = getattr(self, "_on_" + token.type, None)
            if handler is not None:
                handler(token)

    # Containers

    def _on_bullet_list_open(self, token: Token) -> None:
        self._open_list(token, ordered=False)

    def _on_ordered_list_open(self, token: Token) -> None:
        self._open_list(token, ordered=True)

    def _open_list(self, token: Token, *, ordered: bool) -> None:
        self._start_block()
        level = self._list_level() + 1
        lst = _List(ordered, level)
        if ordered:
            start = token.attrGet("start")
            lst.num_id = self._new_numbering(self._list_style(lst), int(start or 1))
        self.containers.append(lst)

    def _on_bullet_list_close(self, token: Token) -> None:
        self.containers.pop()

    _on_ordered_list_close = _on_bullet_list_close

    def _on_list_item_open(self, token: Token) -> None:
        self._current_list().item_started = False

    def _on_list_item_close(self, token: Token) -> None:
        lst = self._current_list()
        if not lst.item_started:  # an empty item still shows its bullet or number
            self._list_paragraph(lst)

    def _on_blockquote_open(self, token: Token) -> None:
        self._start_block()
        self.containers.append(_QUOTE)

    def _on_blockquote_close(self, token: Token) -> None:
        self.containers.pop()

    # Blocks

    def _on_heading_open(self, token: Token) -> None:
        self._start_block()
        self.paragraph = self._add_paragraph(f"Heading {token.tag[1:]}")
        self._indent(self.paragraph)

    def _on_paragraph_open(self, token: Token) -> None:
        innermost = self.containers[-1] if self.containers else None
        if isinstance(innermost, _List):
            if innermost.item_started:  # a further paragraph of the same item
                level = min(innermost.level, _MAX_LIST_LEVEL)
                style = "List Continue" if level == 1 else f"List Continue {level}"
                self.paragraph = self._add_paragraph(style)
                if innermost.level > _MAX_LIST_LEVEL:
                    self._indent(self.paragraph)
            else:
                self.paragraph = self._list_paragraph(innermost)
        elif innermost == _QUOTE:
            self.paragraph = self._add_paragraph("Quote")
            self._indent(self.paragraph)
        else:
            self.paragraph = self.document.add_paragraph()

    def _on_inline(self, token: Token) -> None:
        if self.table is not None:
            if self.table and self.table[-1].cells:
                self.table[-1].cells[-1].inline = token
        elif self.paragraph is not None:
            self._add_inline(self.paragraph, token)

    def _on_code_block(self, token: Token) -> None:
        self._start_block()
        paragraph = self.document.add_paragraph()
        _shade(paragraph, _CODE_SHADING)
        self._indent(paragraph)
        paragraph.paragraph_format.space_after = Pt(6)
        paragraph.paragraph_format.line_spacing = 1.0
        code = token.content.removesuffix("\n")
        if code:
            # python-docx writes each "\n" as a line break and each tab as a tab.
            run = paragraph.add_run(_clean(code))
            _set_code_font(run)
            run.font.size = Pt(10)

    _on_fence = _on_code_block

    def _on_html_block(self, token: Token) -> None:  # only if raw HTML is ever enabled
        self._on_paragraph_open(token)
        if self.paragraph is not None:
            self.paragraph.add_run(_clean(token.content.removesuffix("\n")))

    def _on_hr(self, token: Token) -> None:
        self._start_block()
        paragraph = self.document.add_paragraph()
        _add_bottom_border(paragraph)
        self._indent(paragraph)

    # Tables

    def _on_table_open(self, token: Token) -> None:
        self._start_block()
        self.table = []

    def _on_thead_open(self, token: Token) -> None:
        self.in_header = True

    def _on_thead_close(self, token: Token) -> None:
        self.in_header = False

    def _on_tr_open(self, token: Token) -> None:
        if self.table is not None:
            self.table.append(_Row(self.in_header))

    def _on_th_open(self, token: Token) -> None:
        if self.table:
            alignment = _ALIGNMENTS.get(str(token.attrGet("style") or "").replace(" ", ""))
            self.table[-1].cells.append(_Cell(alignment))

    _on_td_open = _on_th_open

    def _on_table_close(self, token: Token) -> None:
        rows, self.table = self.table or [], None
        columns = max((len(row.cells) for row in rows), default=0)
        if not columns:
            return
        table = self.document.add_table(rows=len(rows), cols=columns)
        table._tbl.tblPr.style = self._style_id("Table Grid")
        for row, word_row in zip(rows, table.rows, strict=True):
            if row.header:  # repeated at the top of each page the table spans
                word_row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
            for cell, word_cell in zip(row.cells, word_row.cells, strict=False):
                paragraph = word_cell.paragraphs[0]
                if cell.alignment is not None:
                    paragraph.alignment = cell.alignment
                if cell.inline is not None:
                    self._add_inline(paragraph, cell.inline, bold=row.header)
        # Two tables in a row would merge into one; text right under a table would touch it.
        self.document.add_paragraph()

    # Inline content

    def _add_inline(self, paragraph: Paragraph, inline: Token, *, bold: bool = False) -> None:
        strong, emphasis, strikethrough = int(bold), 0, 0
        links: list = []  # the w:hyperlink elements we are in (None for a refused link)

        def add_run(text: str, *, code: bool = False) -> Run:
            run = paragraph.add_run(text)
            if strong:
                run.bold = True
            if emphasis:
                run.italic = True
            if strikethrough:
                run.font.strike = True
            if code:
                _set_code_font(run)
            if links and links[-1] is not None:
                links[-1].append(run._r)
                run._r.get_or_add_rPr().style = self._link_style()
            return run

        for child in inline.children or []:
            kind = child.type
            if kind in ("text", "html_inline", "code_inline"):
                text = _clean(child.content)
                if text:
                    add_run(text, code=kind == "code_inline")
            elif kind == "softbreak":
                add_run(" ")
            elif kind == "hardbreak":
                add_run("").add_break()
            elif kind == "image":
                text = _clean(_plain_text(child.children or []))
                if text:
                    add_run(text)
            elif kind in ("strong_open", "strong_close"):
                strong += 1 if kind == "strong_open" else -1
            elif kind in ("em_open", "em_close"):
                emphasis += 1 if kind == "em_open" else -1
            elif kind in ("s_open", "s_close"):
                strikethrough += 1 if kind == "s_open" else -1
            elif kind == "link_open":
                links.append(self._hyperlink(paragraph, str(child.attrGet("href") or "")))
            elif kind == "link_close" and links:
                links.pop()
            elif child.content:  # a token type this module does not know: its text
                add_run(_clean(child.content))

    def _hyperlink(self, paragraph: Paragraph, url: str):
        url = _clean(url)
        if not _is_link_allowed(url):
            return None
        relationship = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        hyperlink = OxmlElement("w:hyperlink", {qn("r:id"): relationship})
        paragraph._p.append(hyperlink)
        return hyperlink

    def _link_style(self) -> str:
        """The id of the "Hyperlink" character style, added the first time a link needs it."""
        if _LINK_STYLE not in self.style_ids:
            styles = self.document.styles
            try:
                style = styles[_LINK_STYLE]
            except KeyError:
                # Word's own "Hyperlink" style (so builtin), missing from python-docx's template.
                style = styles.add_style(_LINK_STYLE, WD_STYLE_TYPE.CHARACTER, builtin=True)
                style.base_style = styles["Default Paragraph Font"]
                style.font.color.rgb = _LINK_COLOR
                style.font.underline = True
            self.style_ids[_LINK_STYLE] = style.style_id
        return self.style_ids[_LINK_STYLE]

    def _style_id(self, name: str) -> str:
        # python-docx looks styles up by name slowly (for each paragraph); once is enough.
        if name not in self.style_ids:
            self.style_ids[name] = self.document.styles[name].style_id
        return self.style_ids[name]

    def _add_paragraph(self, style: str | None = None) -> Paragraph:
        paragraph = self.document.add_paragraph()
        if style is not None:
            paragraph._p.get_or_add_pPr().style = self._style_id(style)
        return paragraph

    # Helpers

    def _list_level(self) -> int:
        return sum(isinstance(container, _List) for container in self.containers)

    def _quote_level(self) -> int:
        return sum(container == _QUOTE for container in self.containers)

    def _current_list(self) -> _List:
        lst = self.containers[-1]
        assert isinstance(lst, _List), "a list item outside a list"
        return lst

    def _start_block(self) -> None:
        """Before any block but an item's first paragraph: the item's bullet comes first."""
        self.paragraph = None
        innermost = self.containers[-1] if self.containers else None
        if isinstance(innermost, _List) and not innermost.item_started:
            self._list_paragraph(innermost)

    @staticmethod
    def _list_style(lst: _List) -> str:
        base = "List Number" if lst.ordered else "List Bullet"
        level = min(lst.level, _MAX_LIST_LEVEL)
        return base if level == 1 else f"{base} {level}"

    def _list_paragraph(self, lst: _List) -> Paragraph:
        """The paragraph carrying the bullet or number of the current item of ``lst``."""
        lst.item_started = True
        paragraph = self._add_paragraph(self._list_style(lst))
        if lst.num_id is not None:
            numbering = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            numbering.get_or_add_ilvl().val = 0
            numbering.get_or_add_numId().val = lst.num_id
        if lst.level > _MAX_LIST_LEVEL:
            paragraph.paragraph_format.left_indent = _LIST_INDENT * lst.level
            paragraph.paragraph_format.first_line_indent = -_LIST_INDENT
        return paragraph

    def _new_numbering(self, style_name: str, start: int) -> int | None:
        """A numbering instance of ``style_name``'s list, from ``start``: its numId.

        Paragraphs of a numbered style all share one numbering, so that a second list would go
        on from where the first stopped; each ordered list gets its own instance instead.
        """
        numbering = self.document.part.numbering_part.element
        if style_name not in self.numberings:
            style = self.document.styles[style_name].element
            instances = [
                instance
                for num_id in style.xpath("./w:pPr/w:numPr/w:numId/@w:val")
                for instance in numbering.xpath(f'./w:num[@w:numId="{int(num_id)}"]')
            ]
            self.numberings[style_name] = instances[0].abstractNumId.val if instances else None
        abstract = self.numberings[style_name]
        if abstract is None:  # a template whose list style is not numbered
            return None
        instance = numbering.add_num(abstract)
        instance.add_lvlOverride(ilvl=0).add_startOverride(start)
        return instance.numId

    def _indent(self, paragraph: Paragraph) -> None:
        """Indents a paragraph that is not a list item's own as deep as its containers."""
        indent = _LIST_INDENT * self._list_level() + _QUOTE_INDENT * self._quote_level()
        if indent:
            paragraph.paragraph_format.left_indent = indent
