"""The one HTML allow-list of Tavolo, and ``sanitize_html`` which applies it.

Whatever HTML reaches a page from something people typed passes through here last. The lists
are deliberately short: text structure, links and tables, nothing that can run, load or style
anything. Images are not allowed (they would load third-party URLs in readers' browsers), nor
are ``style``, ``class``, event handlers or htmx attributes: an ``hx-get`` in user content
would make the page issue requests on the reader's behalf.
"""

import html
import re

import bleach
from bleach.html5lib_shim import Filter

ALLOWED_TAGS = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6",
        "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener nofollow"

# Heading ids are made by workspace.texts.markdown from the titles; anything else (quotes,
# spaces, "javascript:") is not an id we produced, so it goes.
_ANCHOR_ID = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")
_LIST_START = re.compile(r"\d{1,9}")
# Browsers ignore these characters anywhere in a URL, so "java\nscript:" is "javascript:".
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f-\xa0\s]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")


def _heading_attribute(tag: str, name: str, value: str) -> bool:
    return name == "id" and _ANCHOR_ID.fullmatch(value) is not None


def _list_attribute(tag: str, name: str, value: str) -> bool:
    return name == "start" and _LIST_START.fullmatch(value) is not None


ALLOWED_ATTRIBUTES = {
    **{f"h{level}": _heading_attribute for level in range(1, 7)},
    "ol": _list_attribute,
    "a": ["href", "title"],
}


def _has_allowed_scheme(url: str) -> bool:
    scheme = _SCHEME.match(_IGNORED_IN_URLS.sub("", html.unescape(url)).lower())
    return scheme is None or scheme.group(1) in ALLOWED_PROTOCOLS


class _LinkFilter(Filter):
    """Every link gets ``rel="noopener nofollow"``, replacing whatever rel it had.

    It also checks the scheme of ``href`` again: bleach's URL parser takes
    ``javascript:123`` for a host and port, and lets it through.
    """

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attributes = {
                    key: value
                    for key, value in token["data"].items()
                    if key[1] != "rel" and (key[1] != "href" or _has_allowed_scheme(value))
                }
                attributes[(None, "rel")] = LINK_REL
                token["data"] = attributes
            yield token


_CLEANER = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_LinkFilter],
)


_MAX_PASSES = 4


def sanitize_html(html: str) -> str:
    """``html`` reduced to the allow-list: other tags are removed (their text stays, escaped).

    One pass can leave markup that a second pass reads differently: the HTML parser moves
    misplaced elements (a list item inside a table) and the cleaner then strips what it moved.
    Cleaning until nothing changes makes the result a fixed point, so what is stored is
    exactly what any later cleaning would keep. Well-formed input, such as rendered Markdown,
    settles after the first pass; the bound keeps pathological input cheap.
    """
    cleaned = _CLEANER.clean(html)
    for _ in range(_MAX_PASSES - 1):
        again = _CLEANER.clean(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned
