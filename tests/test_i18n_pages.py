"""No user-visible string escapes translation (issue 9): every page, in both languages.

``test_i18n`` proves that every *marked* string has its English translation. This test finds
the strings that were never marked: every page of tests/page_catalogue.py is written twice,
once by people who chose Italian and once by people who chose English, and a word shown on the
same page in both languages is either the data (names, titles, what people wrote: every word
of every text column in the database), a word both languages use (those of the Italian
catalogue that its English side uses too: "Tavolo", "password", "link"...), or a string that
bypassed gettext. The last kind fails the test, with the page and the text around it.

Text is what a person sees or hears: text nodes outside scripts and styles, and the attributes
read aloud or shown (title, aria-label, placeholder, alt, the value of buttons).
"""

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po
from jinja2 import Environment
from sqlalchemy import String, Text, select

from tests.page_catalogue import write_pages
from tests.test_access import world  # noqa: F401  (world is a fixture)
from workspace.extensions import db

ROOT = Path(__file__).resolve().parents[1]
SPOKEN_ATTRIBUTES = {
    "title",
    "aria-label",
    "placeholder",
    "alt",
    "aria-description",
    # Shown or written by tavolo.js: confirmations, the network error, the toolbar's words.
    "data-confirm",
    "data-hx-confirm",
    "data-network-error",
    "data-text",
    "data-link-text",
    "data-column",
}
BUTTONS = {"submit", "button", "reset"}
WORD = re.compile(r"[^\W\d_]{2,}")


class VisibleText(HTMLParser):
    """The pieces of text of a page a person sees or hears, in order.

    Left out: scripts, styles, and what the page itself says is not in its language or not to
    be translated (``lang`` other than the page's, ``translate="no"``: codes, language names).
    """

    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._language: str | None = None
        self._skipping: str | None = None  # the tag whose content is left out
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "html":
            self._language = values.get("lang")
        if self._skipping:
            if tag == self._skipping:
                self._depth += 1
            return
        other_language = values.get("lang") not in (None, self._language)
        if (
            tag in ("script", "style", "template")
            or other_language
            or (values.get("translate") == "no")
        ):
            if tag not in self.VOID:
                self._skipping, self._depth = tag, 1
            return
        for name, value in attrs:
            if value and (
                name in SPOKEN_ATTRIBUTES
                or (tag == "input" and name == "value" and values.get("type") in BUTTONS)
            ):
                self.pieces.append(value)

    def handle_endtag(self, tag):
        if self._skipping == tag:
            self._depth -= 1
            if not self._depth:
                self._skipping = None

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.pieces.append(data)


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.pieces


def words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(text)}


def data_words() -> set[str]:
    """Every word stored in any text column: the people's data, shown as it is."""
    found: set[str] = set()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for value in row:
                if isinstance(value, str):
                    found |= words(value)
    return found


def shared_words() -> set[str]:
    """Words the Italian interface and its English translation both use."""
    po = ROOT / "workspace/translations/en/LC_MESSAGES/messages.po"
    with po.open("rb") as handle:
        catalogue = read_po(handle)
    italian: set[str] = set()
    english: set[str] = set()
    for message in catalogue:
        if not message.id:
            continue
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            italian |= words(re.sub(r"%\(\w+\)\w", " ", text))
        for text in message.string if isinstance(message.string, tuple) else (message.string,):
            english |= words(re.sub(r"%\(\w+\)\w", " ", text))
    return italian & english


def date_words() -> set[str]:
    """Names of months and days spelt alike in both languages ("nov", "feb")."""
    found: dict[str, set[str]] = {}
    for code in ("it", "en"):
        locale = Locale.parse(code)
        names = found.setdefault(code, set())
        for table in (locale.months, locale.days):
            for context in table.values():
                for width in context.values():
                    for name in width.values():
                        names |= words(name)
    return found["it"] & found["en"]


def test_every_visible_string_is_translated(make_app, world, tmp_path):  # noqa: F811
    app = make_app()
    italian_folder, english_folder = tmp_path / "it", tmp_path / "en"
    italian_folder.mkdir()
    english_folder.mkdir()
    italian = write_pages(app, world, italian_folder, locale="it")
    english = write_pages(app, world, english_folder, locale="en")
    assert list(italian.values()) == list(english.values())
    with app.app_context():
        known = data_words() | shared_words() | date_words()

    untranslated: dict[str, list[str]] = {}
    for name, label in english.items():
        in_italian = set()
        for piece in visible_text((italian_folder / name).read_text(encoding="utf-8")):
            in_italian |= words(piece)
        for piece in visible_text((english_folder / name).read_text(encoding="utf-8")):
            # What the address holds (a search's words) is shown as it was typed.
            stray = (words(piece) & in_italian) - known - words(label.split()[2])
            if stray:
                text = " ".join(piece.split())[:120]
                untranslated.setdefault(f"{text!r} ({', '.join(sorted(stray))})", []).append(label)
    report = [
        f"- {text}\n    on {pages[0]}" + (f" (+{len(pages) - 1} pages)" if pages[1:] else "")
        for text, pages in untranslated.items()
    ]
    assert not report, (
        f"{len(report)} pieces of text are the same in Italian and English, and are not data "
        "(mark them with _() or {% trans %}):\n" + "\n".join(report)
    )


# -- The same, read from the sources: what no catalogue page shows (htmx fragments, flash
# messages after a post, mail) -----------------------------------------------------------------

# Written as they are on purpose: the product's name.
AS_WRITTEN = {"Tavolo"}


JINJA = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # only lexed


def template_literals(source: str, *, html: bool) -> list[str]:
    """The literal text of a template, outside its {{ }} and {% %}: each Jinja construct
    becomes a blank, so "Modifica {{ title }}" reads "Modifica". An HTML template is read as
    a page is (tags, hidden and other-language parts left out), a mail's text as it is."""
    pieces = [value if kind == "data" else " " for _line, kind, value in JINJA.lex(source)]
    return visible_text("".join(pieces)) if html else pieces


def test_templates_have_no_literal_text():
    found = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        source = path.read_text(encoding="utf-8")
        for piece in template_literals(source, html=path.suffix == ".html"):
            if words(piece) - {word.lower() for word in AS_WRITTEN}:
                found.append(f"{path.relative_to(ROOT)}: {' '.join(piece.split())[:100]!r}")
    assert found == [], "text not marked for translation:\n" + "\n".join(found)


SHOWN_ARGUMENTS = {"flash": 0, "ValidationError": 0, "StopValidation": 0}
SHOWN_KEYWORDS = {"label", "message", "description"}
SHOWN_RENDER_KW = {"placeholder", "title", "aria-label"}


def _is_text(node) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(words(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_is_text(value) for value in node.values)
    return False


def _names_its_language(choice: ast.Tuple) -> bool:
    extra = choice.elts[2] if len(choice.elts) > 2 else None
    return isinstance(extra, ast.Dict) and any(
        isinstance(key, ast.Constant) and key.value == "lang" for key in extra.keys
    )


def shown_literals(tree) -> list:
    """String literals handed to what shows them: flash(), validation errors, form fields'
    labels, messages and descriptions, placeholders and titles, the labels of choices."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        shown = []
        if name in SHOWN_ARGUMENTS or name.endswith("Field"):
            shown += node.args[:1]
        for keyword in node.keywords:
            if keyword.arg in SHOWN_KEYWORDS:
                shown.append(keyword.value)
            elif keyword.arg == "render_kw" and isinstance(keyword.value, ast.Dict):
                shown += [
                    value
                    for key, value in zip(keyword.value.keys, keyword.value.values, strict=True)
                    if isinstance(key, ast.Constant) and key.value in SHOWN_RENDER_KW
                ]
            elif keyword.arg == "choices" and isinstance(keyword.value, ast.List | ast.Tuple):
                # (value, label) pairs; a third item with "lang" names its own language.
                shown += [
                    choice.elts[1]
                    for choice in keyword.value.elts
                    if isinstance(choice, ast.Tuple)
                    and len(choice.elts) >= 2
                    and not _names_its_language(choice)
                ]
        found += [node for node in shown if _is_text(node)]
    return found


def test_python_hands_no_literal_text_to_the_pages():
    found = []
    for path in sorted((ROOT / "workspace").rglob("*.py")):
        if path.name == "demo.py":  # the demo data: names and texts people would write
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in shown_literals(tree):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:100]}")
    assert found == [], "text not marked for translation:\n" + "\n".join(found)
