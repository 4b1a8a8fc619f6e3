"""Rendering: CommonMark plus tables, heading ids, the table of contents and its sections."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.texts.markdown import (
    ANCHOR_PREFIX,
    FALLBACK_ANCHOR,
    MAX_DELIMITERS,
    MAX_ENTITIES,
    MAX_LINES,
    Heading,
    Rendered,
    render,
    slugify,
    too_costly,
)
from workspace.texts.sections import split_sections


@pytest.mark.parametrize(
    ("title", "anchor"),
    [
        ("Ambientamento del bambino", "ambientamento-del-bambino"),
        ("Perché così?", "perche-cosi"),
        ("L'équipe e l’attività", "l-equipe-e-l-attivita"),
        ("  Più   spazi  ", "piu-spazi"),
        ("Città: orari 9–12", "citta-orari-9-12"),
        ("snake_case", "snake-case"),
        ("Ελληνικά", "ελληνικα"),
        ("???", ""),
    ],
)
def test_slugify(title, anchor):
    assert slugify(title) == anchor


def test_headings_get_ids_and_come_back_as_a_table_of_contents():
    text = "Premessa.\n\n# Ambientamento del bambino\n\nTesto.\n\n## Orari *e* `turni`\n"
    rendered = render(text)
    assert isinstance(rendered, Rendered)
    # One level below the page's own h1, ids prefixed so as not to clash with the page's.
    assert '<h2 id="sez-ambientamento-del-bambino">Ambientamento del bambino</h2>' in rendered.html
    assert '<h3 id="sez-orari-e-turni">' in rendered.html
    assert rendered.headings == [
        Heading(1, "Ambientamento del bambino", "sez-ambientamento-del-bambino", 1),
        Heading(2, "Orari e turni", "sez-orari-e-turni", 2),
    ]


def test_duplicate_and_empty_titles_get_unique_ids():
    text = "# Note\n# Note\n# Note-2\n# Note\n#\n# ???\n"
    anchors = [heading.anchor for heading in render(text).headings]
    expected = ["note", "note-2", "note-2-2", "note-3", FALLBACK_ANCHOR, "sezione-2"]
    assert anchors == [ANCHOR_PREFIX + anchor for anchor in expected]


def test_heading_sections_match_the_sections_module():
    text = (
        "Intro\n\n# Uno\n\ntesto\n\nSetext\n======\n\n- voce\n\n  # dentro la voce\n\n"
        "```\n# codice\n```\n\n## Due\n"
    )
    sections = split_sections(text)
    headings = render(text).headings
    assert [(h.title, h.section) for h in headings] == [
        ("Uno", 1),
        ("Setext", 1),  # not a section of its own: it belongs to "Uno"
        ("dentro la voce", 1),
        ("Due", 2),
    ]
    assert [s.title for s in sections] == ["", "Uno", "Due"]


def test_tables_render_without_style():
    html = render("| Giorno | Ore |\n|:--|--:|\n| lunedì | 9 |\n").html
    assert "<table>" in html and "<th>Giorno</th>" in html and "<td>9</td>" in html
    assert "style" not in html and "align" not in html


def test_raw_html_is_text():
    html = render("Un <b>grassetto</b> finto e <div>blocco</div>").html
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_soft_line_breaks_and_lists():
    html = render("riga uno\nriga due\n\n1. a\n2. b\n").html
    assert "<p>riga uno\nriga due</p>" in html
    assert "<ol>\n<li>a</li>\n<li>b</li>\n</ol>" in html


def test_empty_text():
    assert render("") == Rendered("", [])


def test_strikethrough_is_rendered():
    assert "<s>vecchio</s>" in render("~~vecchio~~").html


MARKDOWNISH = st.lists(
    st.one_of(
        st.sampled_from(["# ", "## ", "### ", "\n", "\n\n", "*", "`", "Titolo", "è", "- ",
                         "```\n", "1. ", "> ", "| a |\n|---|\n", "=\n", "   "]),
        st.text(max_size=4),
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(MARKDOWNISH)
def test_heading_ids_are_unique_and_match_the_html(text):
    rendered = render(text)
    anchors = [heading.anchor for heading in rendered.headings]
    assert len(anchors) == len(set(anchors))
    assert re.findall(r'<h[1-6] id="([^"]+)">', rendered.html) == anchors
    sections = split_sections(text)
    for heading in rendered.headings:
        assert 0 <= heading.section < len(sections)
        assert 1 <= heading.level <= 6


def test_rendering_many_headings_takes_time_in_proportion_to_them():
    # Each heading used to copy the rest of the tokens to find its end, build the list of
    # section starts again and try every number for a repeated title: quadratic, a minute for
    # 200 KB of headings.
    import time

    def seconds(count: int) -> float:
        text = "".join(f"# Note\n\nTesto {n}.\n\n## Capitolo {n}\n\n" for n in range(count))
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            render(text)
            best = min(best, time.perf_counter() - start)
        return best

    ratio = seconds(8000) / seconds(500)  # about 16 when linear
    assert ratio < 30, ratio


def test_rendering_leaves_the_cycle_collector_as_it_found_it():
    import gc

    assert gc.isenabled()
    render("- uno\n- due\n")
    assert gc.isenabled()
    gc.disable()
    try:
        render("- uno\n- due\n")
        assert not gc.isenabled()
    finally:
        gc.enable()


# Texts built to be costly: quadratic in html5lib (entities in one text node), slow in the
# parser (unclosed links) or in both (a block per line). Shown plain, every character kept.
COSTLY = {
    "entities": "&" * (MAX_ENTITIES + 1),
    "angles": "a<b\n\n" * (MAX_ENTITIES + 1),
    "brackets": "[a](" * (MAX_DELIMITERS // 2 + 1),
    "lines": "a\n" * (MAX_LINES + 1),
}


@pytest.mark.parametrize("name", sorted(COSTLY))
def test_a_text_built_to_be_costly_is_shown_plain_and_whole(name):
    text = COSTLY[name]
    assert too_costly(text)
    rendered = render(text)
    assert rendered.headings == []
    shown = re.sub(r"<br>\n|</p>\n?|<p class=\"plain-text\">", "", rendered.html)
    assert "<" not in shown.replace("&lt;", "")
    import html

    assert html.unescape(shown).replace("\n", "") == text.replace("\n", "")


def test_real_texts_are_not_costly():
    guidelines = "".join(
        f"## Articolo {n}\n\nIl **genitore** e il _minore_ si incontrano [qui](/gruppi/x) "
        f"con l'operatore & l'educatore (età < 14 anni).\n\n- punto uno\n- punto due\n\n"
        for n in range(1500)
    )
    assert len(guidelines) > 200_000
    assert not too_costly(guidelines)
    assert render(guidelines).headings


@given(st.text(alphabet="&<>\"'[]!*_`~\\ab\n ", max_size=300))
@settings(max_examples=200, deadline=None)
def test_plain_rendering_is_safe_whatever_the_text(text):
    from workspace.texts.markdown import _plain_paragraphs

    html_text = _plain_paragraphs(text)
    tags = re.findall(r"<[^>]*>", html_text)
    assert set(tags) <= {'<p class="plain-text">', "</p>", "<br>"}
