"""The one HTML allow-list of Tavolo, and ``sanitize_html`` which applies it.

Whatever HTML reaches a page from something people typed passes through here last. The lists
are deliberately short: text structure, links and tables, nothing that can run, load or style
anything. Images are not allowed (they would load third-party URLs in readers' browsers), nor
are ``style``, ``class``, event handlers or htmx attributes: an ``hx-get`` in user content
would make the page issue requests on the reader's behalf.
"""

import html
import re
import threading

import bleach
from bleach.html5lib_shim import Filter, getTreeWalker

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


class _Ancestors(list):
    """The elements above the node being walked, each with its index in its own parent."""

    __slots__ = ("indices",)

    def __init__(self):
        super().__init__()
        self.indices: list[int | None] = []

    def enter(self, element, index: int | None) -> None:
        self.append(element)
        self.indices.append(index)

    def leave(self):
        return self.pop(), self.indices.pop()


class _TreeWalker(getTreeWalker("etree")):
    """html5lib's ElementTree walker, which bleach uses, without its quadratic step.

    Going back up from an element's last child, the original finds where the element stands
    among its siblings by searching them (``list(parent).index(element)``, after a
    ``.count``): for a list of *n* items, a table of *n* rows or a list nested in list items,
    that is *n* searches of *n* siblings, and a 400 KB table took two minutes to clean. This
    walker keeps each ancestor's index on a stack as it goes down, so a walk is linear. The
    nodes are the original's ``(element, index, ancestors, flag)`` tuples and the tokens it
    yields are the same (tests/test_texts_sanitize.py compares the two walkers).
    """

    def getFirstChild(self, node):
        if isinstance(node, tuple):
            element, index, ancestors, flag = node
        else:
            element, index, ancestors, flag = node, None, _Ancestors(), None
        if flag in ("text", "tail"):
            return None
        if element.text:
            return element, index, ancestors, "text"
        if len(element):
            ancestors.enter(element, index)
            return element[0], 0, ancestors, None
        return None

    def getNextSibling(self, node):
        if not isinstance(node, tuple):
            return None
        element, index, ancestors, flag = node
        if flag == "text":
            if len(element):
                ancestors.enter(element, index)
                return element[0], 0, ancestors, None
            return None
        if element.tail and flag != "tail":
            return element, index, ancestors, "tail"
        if index < len(ancestors[-1]) - 1:
            return ancestors[-1][index + 1], index + 1, ancestors, None
        return None

    def getParentNode(self, node):
        if not isinstance(node, tuple):
            return None
        element, index, ancestors, flag = node
        if flag == "text":
            return (element, index, ancestors, None) if ancestors else element
        parent, parent_index = ancestors.leave()
        if not ancestors:
            return parent
        return parent, parent_index, ancestors, None


def _make_cleaner() -> bleach.Cleaner:
    cleaner = bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[_LinkFilter],
    )
    cleaner.walker = _TreeWalker
    return cleaner


# A Cleaner keeps parser state between calls and is not thread-safe: one per thread.
_cleaners = threading.local()


def _clean(html: str) -> str:
    cleaner = getattr(_cleaners, "cleaner", None)
    if cleaner is None:
        cleaner = _cleaners.cleaner = _make_cleaner()
    return cleaner.clean(html)


_MAX_PASSES = 4


def sanitize_html(html: str) -> str:
    """``html`` reduced to the allow-list: other tags are removed (their text stays, escaped).

    One pass can leave markup that a second pass reads differently: the HTML parser moves
    misplaced elements (a list item inside a table) and the cleaner then strips what it moved.
    Cleaning until nothing changes makes the result a fixed point, so what is stored is
    exactly what any later cleaning would keep. A pass that changes nothing proves it at
    once: rendered Markdown is written the way the cleaner writes HTML (see
    workspace.texts.markdown), so it is cleaned once, not twice. The bound keeps
    pathological input cheap. Cleaning is linear in the size of the HTML (``_TreeWalker``).
    """
    cleaned = _clean(html)
    if cleaned == html:
        return cleaned
    for _ in range(_MAX_PASSES - 1):
        again = _clean(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned
