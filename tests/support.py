"""Helpers the tests share (fixtures are in conftest.py)."""

import re

PASSWORD = "una-password-robusta-42"


def link_in(message, pattern: str) -> str:
    """The first link in a mail's text whose path matches the pattern; as a path."""
    body = message.get_content()
    match = re.search(r"https?://[^/\s]+(/" + pattern + r"[^\s]*)", body)
    assert match, body
    return match.group(1)


def htmx(target: str | None = None, **more) -> dict:
    headers = {"HX-Request": "true"}
    if target:
        headers["HX-Target"] = target
    headers.update(more)
    return headers


def text(response) -> str:
    """The response body with HTML entities decoded, to look for Italian sentences in it."""
    import html

    return html.unescape(response.get_data(as_text=True))


def plain(response) -> str:
    """The response's visible text: tags dropped, entities decoded, white space collapsed."""
    import html

    without_tags = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(without_tags).split())
