"""Words, Italian stems, the FTS5 match expression and highlighted snippets (no Flask, no
database): the same rules cut the indexed text and the query, so that "genitore" finds
"genitori" and whatever a person types is only ever a list of words.

The stop words are the Snowball project's Italian list, the one PostgreSQL's ``italian``
configuration uses, so that both backends ignore the same words.
"""

import re
from functools import lru_cache

import snowballstemmer
from markupsafe import Markup, escape

# Letters and digits; the underscore and every punctuation or syntax character (quotes, *, -,
# parentheses, NEAR's brackets) separate words and are never searched for.
WORD = re.compile(r"[^\W_]+")
# A longer "word" is noise (a pasted link or hash); PostgreSQL drops them too.
MAX_WORD_CHARS = 60
# Words of a query that count; the rest is ignored (a query is at most 200 characters anyway).
MAX_QUERY_WORDS = 16
# Only so much of a text is indexed and scanned for a snippet: a tsvector has a size limit,
# and a snippet is a look into the text, not a reading of it.
INDEXED_CHARS = 200_000

STOP_WORDS = frozenset(
    """
    ad al allo ai agli all agl alla alle con col coi da dal dallo dai dagli dall dagl dalla
    dalle di del dello dei degli dell degl della delle in nel nello nei negli nell negl nella
    nelle su sul sullo sui sugli sull sugl sulla sulle per tra contro io tu lui lei noi voi
    loro mio mia miei mie tuo tua tuoi tue suo sua suoi sue nostro nostra nostri nostre vostro
    vostra vostri vostre mi ti ci vi lo la li le gli ne il un uno una ma ed se perché anche
    come dov dove che chi cui non più quale quanto quanti quanta quante quello quelli quella
    quelle questo questi questa queste si tutto tutti a c e i l o ho hai ha abbiamo avete
    hanno abbia abbiate abbiano avrò avrai avrà avremo avrete avranno avrei avresti avrebbe
    avremmo avreste avrebbero avevo avevi aveva avevamo avevate avevano ebbi avesti ebbe
    avemmo aveste ebbero avessi avesse avessimo avessero avendo avuto avuta avuti avute sono
    sei è siamo siete sia siate siano sarò sarai sarà saremo sarete saranno sarei saresti
    sarebbe saremmo sareste sarebbero ero eri era eravamo eravate erano fui fosti fu fummo
    foste furono fossi fosse fossimo fossero essendo faccio fai facciamo fanno faccia
    facciate facciano farò farai farà faremo farete faranno farei faresti farebbe faremmo
    fareste farebbero facevo facevi faceva facevamo facevate facevano feci facesti fece
    facemmo faceste fecero facessi facesse facessimo facessero facendo sto stai sta stiamo
    stanno stia stiate stiano starò starai starà staremo starete staranno starei staresti
    starebbe staremmo stareste starebbero stavo stavi stava stavamo stavate stavano stetti
    stesti stette stemmo steste stettero stessi stesse stessimo stessero stando
    """.split()  # noqa: SIM905 (the list as published, one line of words after another)
)

_stemmer = snowballstemmer.stemmer("italian")


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The Italian stem of one word, lower case: "Genitori" -> "genitor"."""
    return _stemmer.stemWord(word.lower())


def words(text: str) -> list[str]:
    """The words of a text that count for search, lower case, stop words left out."""
    found = []
    for match in WORD.finditer(text or ""):
        word = match.group().lower()
        if len(word) <= MAX_WORD_CHARS and word not in STOP_WORDS:
            found.append(word)
    return found


def stems(text: str) -> str:
    """The indexed form of a text: its stems, separated by spaces (what FTS5 stores)."""
    return " ".join(stem(word) for word in words((text or "")[:INDEXED_CHARS]))


def query_words(query: str) -> list[str]:
    """The words of a query, each once, in order, at most MAX_QUERY_WORDS."""
    seen: dict[str, None] = {}
    for word in words(query):
        seen.setdefault(word, None)
        if len(seen) == MAX_QUERY_WORDS:
            break
    return list(seen)


def fts5_match(query_stems: list[str]) -> str:
    """An FTS5 expression that needs every stem: each a quoted string, so that nothing the
    person typed is read as FTS5 syntax (the stems hold letters and digits only)."""
    return " ".join('"' + s.replace('"', '""') + '"' for s in query_stems)


_MARKUP_NOISE = re.compile(r"[#*_`|~\\]+|^\s*>+", re.MULTILINE)
_SPACES = re.compile(r"\s+")


def _plain(text: str) -> str:
    """Markdown's marks and line breaks out of the way of a one-line snippet."""
    return _SPACES.sub(" ", _MARKUP_NOISE.sub(" ", text)).strip()


def highlight(text: str, query_stems: set[str]) -> Markup:
    """The whole (short) text escaped, with the words that match wrapped in <mark>."""
    return _marked(_plain(text or ""), query_stems)


def _marked(text: str, query_stems: set[str]) -> Markup:
    parts: list[str] = []
    last = 0
    for match in WORD.finditer(text):
        if stem(match.group()) in query_stems:
            parts.append(escape(text[last : match.start()]))
            parts.append(Markup("<mark>%s</mark>") % match.group())
            last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def snippet(text: str, query_stems: set[str], width: int = 220) -> Markup:
    """About ``width`` characters of the text around its first match, escaped, the matches
    in <mark>; the beginning of the text when nothing matches (the match was in the title)."""
    plain = _plain((text or "")[:INDEXED_CHARS])
    first = None
    for match in WORD.finditer(plain):
        if stem(match.group()) in query_stems:
            first = match.start()
            break
    start = 0 if first is None else max(0, first - width // 3)
    if start:
        space = plain.find(" ", start)
        start = space + 1 if 0 <= space < (first or start) else start
    end = min(len(plain), start + width)
    if end < len(plain):
        space = plain.rfind(" ", start, end)
        end = space if space > start else end
    body = _marked(plain[start:end], query_stems)
    before = Markup("… ") if start else Markup("")
    after = Markup(" …") if end < len(plain) else Markup("")
    return before + body + after
