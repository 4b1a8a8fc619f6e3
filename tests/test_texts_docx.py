"""Markdown to DOCX: styles, runs, links, lists, tables, odd characters and speed."""

import io
import time
import zipfile

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Twips
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from workspace.texts.docx import markdown_to_docx


def open_docx(text: str, *, title: str = "Documento", subtitle: str = ""):
    return docx.Document(io.BytesIO(markdown_to_docx(text, title=title, subtitle=subtitle)))


def body(document):
    """The paragraphs after the title (of a document without subtitle)."""
    assert document.paragraphs[0].style.name == "Title"
    return document.paragraphs[1:]


def styled(document):
    return [(paragraph.style.name, paragraph.text) for paragraph in document.paragraphs]


def runs(paragraph):
    return [
        (run.text, bool(run.bold), bool(run.italic), bool(run.font.strike))
        for run in paragraph.runs
    ]


def num_id(paragraph) -> int | None:
    found = paragraph._p.xpath("./w:pPr/w:numPr/w:numId/@w:val")
    return int(found[0]) if found else None


def start_of(document, numbering: int) -> int:
    part = document.part.numbering_part.element
    (start,) = part.xpath(f'./w:num[@w:numId="{numbering}"]/w:lvlOverride/w:startOverride/@w:val')
    return int(start)


def test_title_subtitle_and_properties():
    document = open_docx(
        "Testo.", title="Linee guida", subtitle="Versione 12 · 3 novembre 2026 · Maria Rossi"
    )
    assert styled(document) == [
        ("Title", "Linee guida"),
        ("Normal", "Versione 12 · 3 novembre 2026 · Maria Rossi"),
        ("Normal", "Testo."),
    ]
    assert document.paragraphs[1].runs[0].font.color.rgb is not None  # muted
    assert document.core_properties.title == "Linee guida"
    assert document.core_properties.language == "it-IT"
    assert document.core_properties.author == ""
    languages = document.styles.element.xpath("./w:docDefaults/w:rPrDefault/w:rPr/w:lang/@w:val")
    assert languages == ["it-IT"]
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_without_subtitle_the_text_follows_the_title():
    document = open_docx("", title="Solo titolo")
    assert styled(document) == [("Title", "Solo titolo")]


def test_a_long_title_fits_the_properties():
    title = "Lungo " * 100
    document = open_docx("x", title=title)
    assert document.paragraphs[0].text == title
    assert len(document.core_properties.title) == 255


def test_headings_get_heading_styles():
    text = (
        "# Uno\n\n## Due\n\n### Tre\n\n#### Quattro\n\n##### Cinque\n\n###### Sei\n\nSetext\n---\n"
    )
    document = open_docx(text, title="Titolo")
    assert styled(document) == [
        ("Title", "Titolo"),
        ("Heading 1", "Uno"),
        ("Heading 2", "Due"),
        ("Heading 3", "Tre"),
        ("Heading 4", "Quattro"),
        ("Heading 5", "Cinque"),
        ("Heading 6", "Sei"),
        ("Heading 2", "Setext"),
    ]


def test_inline_formatting_becomes_runs():
    (paragraph,) = body(open_docx("Un **forte *e corsivo*** poi _solo_ e ~~tolto~~."))
    assert runs(paragraph) == [
        ("Un ", False, False, False),
        ("forte ", True, False, False),
        ("e corsivo", True, True, False),
        (" poi ", False, False, False),
        ("solo", False, True, False),
        (" e ", False, False, False),
        ("tolto", False, False, True),
        (".", False, False, False),
    ]


def test_inline_code_is_monospace():
    (paragraph,) = body(open_docx("Usare `git status` ora"))
    code = [run for run in paragraph.runs if run.text == "git status"]
    assert code and code[0].font.name == "Courier New"
    assert paragraph.runs[0].font.name is None


def test_soft_breaks_are_spaces_and_hard_breaks_are_line_breaks():
    (paragraph,) = body(open_docx("riga uno\nriga due  \nriga tre\\\nriga quattro"))
    assert paragraph.text == "riga uno riga due\nriga tre\nriga quattro"
    assert len(paragraph._p.xpath(".//w:br")) == 2


@pytest.mark.parametrize(
    "url", ["https://www.comune.it/servizi?a=1&b=2", "http://example.org", "mailto:a@b.it"]
)
def test_safe_links_are_hyperlinks(url):
    (paragraph,) = body(open_docx(f"Vedi [il **sito**]({url}) e basta"))
    (hyperlink,) = paragraph.hyperlinks
    assert hyperlink.url == url
    assert hyperlink.text == "il sito"
    assert [run.bold for run in hyperlink.runs] == [None, True]
    assert all(run.style.name == "Hyperlink" for run in hyperlink.runs)
    assert paragraph.text == "Vedi il sito e basta"


@pytest.mark.parametrize(
    "text",
    [
        "[clic](javascript:alert(1))",
        "[clic](JavaScript:alert(1))",
        "[clic](<javascript:alert(1)>)",
        "[clic](data:text/html;base64,PHNjcmlwdD4=)",
        "[clic](vbscript:msgbox)",
        "[clic](/documenti/3)",
        "[clic](#sezione)",
        "[clic](ftp://example.org)",
        "<javascript:alert(1)>",
    ],
)
def test_other_links_are_just_text(text):
    data = markdown_to_docx(text, title="Link")
    (paragraph,) = body(docx.Document(io.BytesIO(data)))
    assert paragraph.hyperlinks == []
    assert "clic" in paragraph.text or "javascript" in paragraph.text
    rels = zipfile.ZipFile(io.BytesIO(data)).read("word/_rels/document.xml.rels").decode()
    for scheme in ("javascript", "data:", "vbscript", "ftp", "documenti"):
        assert scheme not in rels.lower()


def test_raw_html_is_text():
    text = (
        'Un <b>grassetto</b> finto\n\n<div onclick="x()">blocco</div>\n\n<script>alert(1)</script>'
    )
    document = open_docx(text)
    assert [paragraph.text for paragraph in body(document)] == [
        "Un <b>grassetto</b> finto",
        '<div onclick="x()">blocco</div>',
        "<script>alert(1)</script>",
    ]
    assert not any(run.bold for paragraph in body(document) for run in paragraph.runs)


def test_images_are_their_description():
    (paragraph,) = body(open_docx("Logo: ![Il *logo* del comune](https://x.it/logo.png)"))
    assert paragraph.text == "Logo: Il logo del comune"
    assert paragraph._p.xpath(".//w:drawing") == []


def test_nested_lists_use_the_list_styles():
    text = (
        "- uno\n"
        "  - uno.a\n"
        "    1. primo\n"
        "    2. secondo\n"
        "       - profondo\n"
        "- due\n"
        "\n"
        "Dopo.\n"
        "\n"
        "1. alfa\n"
        "   1. alfa.1\n"
        "2. beta\n"
    )
    document = open_docx(text)
    assert styled(document)[1:] == [
        ("List Bullet", "uno"),
        ("List Bullet 2", "uno.a"),
        ("List Number 3", "primo"),
        ("List Number 3", "secondo"),
        ("List Bullet 3", "profondo"),  # a fourth level has the third's style...
        ("List Bullet", "due"),
        ("Normal", "Dopo."),
        ("List Number", "alfa"),
        ("List Number 2", "alfa.1"),
        ("List Number", "beta"),
    ]
    # ...one step (360 twips) further in than the third level's 1080.
    assert document.paragraphs[5].paragraph_format.left_indent == Twips(1440)
    assert document.paragraphs[3].paragraph_format.left_indent is None


def test_ordered_lists_keep_their_start_and_restart():
    document = open_docx("3. tre\n4. quattro\n\nIntermezzo.\n\n1. uno\n2. due\n\n7) sette\n")
    paragraphs = [p for p in body(document) if p.style.name == "List Number"]
    numbers = [num_id(paragraph) for paragraph in paragraphs]
    assert numbers[0] == numbers[1] != numbers[2] == numbers[3] != numbers[4]
    assert [start_of(document, number) for number in (numbers[0], numbers[2], numbers[4])] == [
        3,
        1,
        7,
    ]


def test_list_items_with_several_blocks():
    text = "- primo paragrafo\n\n  secondo paragrafo\n- \n- ```\n  codice\n  ```\n- > citata\n"
    assert styled(open_docx(text))[1:] == [
        ("List Bullet", "primo paragrafo"),
        ("List Continue", "secondo paragrafo"),
        ("List Bullet", ""),  # an empty item keeps its bullet
        ("List Bullet", ""),  # the bullet of an item starting with code
        ("Normal", "codice"),
        ("List Bullet", ""),
        ("Quote", "citata"),
    ]


def test_quotes_code_and_breaks():
    text = (
        "> Citazione **forte**\n> > annidata\n\n"
        "```python\ndef f():\n    return '<b>'\n\n```\n\n"
        "    indentato\n\n"
        "---\n\n"
        "Fine."
    )
    paragraphs = body(open_docx(text))
    quote, nested, fence, indented, rule, end = paragraphs
    assert (quote.style.name, quote.text) == ("Quote", "Citazione forte")
    assert nested.style.name == "Quote"
    assert nested.paragraph_format.left_indent > quote.paragraph_format.left_indent
    assert fence.text == "def f():\n    return '<b>'\n"
    assert {run.font.name for run in fence.runs} == {"Courier New"}
    assert indented.text == "indentato"
    assert rule.text == "" and rule._p.xpath("./w:pPr/w:pBdr/w:bottom")
    assert end.text == "Fine."


def test_tables():
    text = (
        "| Servizio | Orario | Posti |\n"
        "|:--|:-:|--:|\n"
        "| **Asilo** nido | 8–16 | 40 |\n"
        "| Centro `diurno` | 9–17 |\n"
    )
    document = open_docx(text)
    (table,) = document.tables
    assert table.style.name == "Table Grid"
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["Servizio", "Orario", "Posti"],
        ["Asilo nido", "8–16", "40"],
        ["Centro diurno", "9–17", ""],
    ]
    header = table.rows[0].cells
    assert all(run.bold for cell in header for run in cell.paragraphs[0].runs)
    assert [cell.paragraphs[0].alignment for cell in header] == [
        WD_ALIGN_PARAGRAPH.LEFT,
        WD_ALIGN_PARAGRAPH.CENTER,
        WD_ALIGN_PARAGRAPH.RIGHT,
    ]
    assert runs(table.rows[1].cells[0].paragraphs[0]) == [
        ("Asilo", True, False, False),
        (" nido", False, False, False),
    ]
    code = table.rows[2].cells[0].paragraphs[0].runs[1]
    assert (code.text, code.font.name) == ("diurno", "Courier New")
    assert table.rows[0]._tr.xpath("./w:trPr/w:tblHeader")


def test_tables_without_alignment_or_body():
    (table,) = open_docx("| a | b |\n|---|---|\n").tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == [["a", "b"]]
    assert table.rows[0].cells[0].paragraphs[0].alignment is None


def test_characters_xml_cannot_hold_are_dropped():
    bad = "\x00\x01\x08\x0b\x0c\x0e\x1f\ud800\udfff\ufffe\uffff"
    text = f"# Ti{bad}tolo\n\nTe{bad}sto &#12; fine\n\n```\nco{bad}dice\n```\n\n| a{bad} |\n|--|\n"
    document = open_docx(text, title=f"Do{bad}c", subtitle=f"Sotto{bad}titolo")
    assert styled(document)[:5] == [
        ("Title", "Doc"),
        ("Normal", "Sottotitolo"),
        ("Heading 1", "Titolo"),
        ("Normal", "Testo  fine"),
        ("Normal", "codice"),
    ]
    assert document.tables[0].rows[0].cells[0].text == "a"
    assert document.core_properties.title == "Doc"


def test_the_result_is_a_valid_zip_whose_xml_parses():
    data = markdown_to_docx("# Uno\n\n- a\n\n| x |\n|--|\n| [y](https://y.it) |\n", title="Zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert "[Content_Types].xml" in names and "word/document.xml" in names
        document = etree.fromstring(archive.read("word/document.xml"))
        for name in names:
            if name.endswith((".xml", ".rels")):
                etree.fromstring(archive.read(name))
    assert document.tag == qn("w:document")
    assert document.findall(f".//{qn('w:hyperlink')}")


MARKDOWNISH = st.lists(
    st.one_of(
        st.sampled_from(["# ", "## ", "\n", "\n\n", "*", "**", "_", "~~", "`", "```\n", "- ",
                         "1. ", "3) ", "    ", "> ", "| a | b |\n|:-|-:|\n", "|", "---\n", "[",
                         "](", ")", "![", "https://x.it", "javascript:x", "<b>", "&#12;",
                         "\x00", "\x0b", "\ud800", "è", "\\"]),
        st.text(max_size=5),
    ),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(), MARKDOWNISH), st.text(), st.text())
def test_never_raises_and_always_opens(text, title, subtitle):
    data = markdown_to_docx(text, title=title, subtitle=subtitle)
    document = docx.Document(io.BytesIO(data))
    assert document.paragraphs[0].style.name == "Title"


GUIDELINES = """\
Queste linee guida descrivono l'**accoglienza** dei minori nei servizi educativi del
Comune. Valgono dal *1° settembre* e sostituiscono la versione precedente.

# Ambientamento del bambino

L'ambientamento dura di norma **due settimane**. Durante questo periodo:

1. il primo giorno il genitore resta in sezione per tutta la mattina;
2. dal secondo giorno la permanenza del genitore si riduce:
   - *giorni 2–3*: un'ora in sezione, poi in sala d'attesa;
   - *giorni 4–5*: saluto all'ingresso e rientro per il pranzo;
     - se il bambino piange a lungo, l'educatrice chiama il genitore;
     - se il bambino è sereno, si prosegue;
3. dalla seconda settimana l'orario si allunga gradualmente.

> Ogni bambino ha i suoi tempi: le indicazioni sono orientative e l'équipe può adattarle,
> annotando le scelte nel diario di sezione.

## Orari e turni

| Servizio | Ingresso | Uscita | Posti |
|:--|:-:|:-:|--:|
| Nido *piccoli* | 7:30–9:00 | 13:00 | 24 |
| Nido grandi | 7:30–9:00 | 16:00 | 36 |
| Scuola dell'infanzia | 8:00–9:15 | 16:00 | 75 |
| Centro estivo | 8:30 | 12:30 | ~~40~~ 50 |

Le uscite anticipate vanno segnalate entro le 9:00 al numero `0123 456789` oppure
scrivendo a [segreteria](mailto:segreteria@comune.example.it).

## Documenti richiesti

- certificato vaccinale (o autocertificazione);
- modulo deleghe per il ritiro, firmato da **entrambi** i genitori;
- eventuale certificazione per diete speciali:
  1. allergie e intolleranze, con certificato del pediatra;
  2. motivi religiosi o etici, con richiesta scritta.

Il modulo si trova sul [sito del Comune](https://www.comune.example.it/modulistica).

# Sicurezza

## Farmaci

I farmaci si somministrano **solo** con prescrizione medica e autorizzazione scritta.
Il protocollo completo è nell'allegato B.

## Emergenze

In caso di emergenza:

1. mettere in sicurezza i bambini;
2. chiamare il **112**;
3. avvisare la coordinatrice e i genitori.

---

### Contatti

| Ruolo | Nome | Telefono |
|---|---|---|
| Coordinatrice | Maria Rossi | 0123 111111 |
| Pedagogista | Luca Bianchi | 0123 222222 |

```
Ultimo aggiornamento: 3 novembre 2026
Redazione: ufficio servizi educativi
```
"""


def test_a_realistic_document_is_quick_and_complete():
    started = time.perf_counter()
    data = markdown_to_docx(
        GUIDELINES,
        title="Linee guida per l'accoglienza",
        subtitle="Versione 12 · 3 novembre 2026 · Maria Rossi",
    )
    assert time.perf_counter() - started < 1
    document = docx.Document(io.BytesIO(data))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("H")]
    assert headings == [
        ("Heading 1", "Ambientamento del bambino"),
        ("Heading 2", "Orari e turni"),
        ("Heading 2", "Documenti richiesti"),
        ("Heading 1", "Sicurezza"),
        ("Heading 2", "Farmaci"),
        ("Heading 2", "Emergenze"),
        ("Heading 3", "Contatti"),
    ]
    styles = {p.style.name for p in document.paragraphs}
    assert {"List Number", "List Bullet 2", "List Bullet 3", "List Number 2", "Quote"} <= styles
    assert len(document.tables) == 2
    assert document.tables[0].rows[4].cells[3].text == "40 50"
    assert [h.url for p in document.paragraphs for h in p.hyperlinks] == [
        "mailto:segreteria@comune.example.it",
        "https://www.comune.example.it/modulistica",
    ]


def test_a_text_built_to_be_costly_is_written_plain_and_whole():
    # As the page shows it: plain paragraphs (workspace.texts.markdown.too_costly), so that a
    # hostile text cannot hold a worker (500,000 "&" took seconds to parse, 166,000 blocks ten).
    from workspace.texts.markdown import MAX_ENTITIES

    text = "Premessa *non* formattata\n\n" + "&<" * MAX_ENTITIES + "\n\n" + "a\n\n" * 3000
    document = docx.Document(io.BytesIO(markdown_to_docx(text, title="Linee guida")))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[1] == "Premessa *non* formattata"  # after the title, as typed
    assert paragraphs[2] == "&<" * MAX_ENTITIES
    assert paragraphs[3:-1] == ["a"] * (len(paragraphs) - 4)
    assert paragraphs[-1].split() == ["a"] * (3000 - len(paragraphs) + 4)
