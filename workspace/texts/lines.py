"""Splitting text into lines, the one definition every other module of the engine uses.

Only ``\\n``, ``\\r\\n`` and ``\\r`` end a line, as in CommonMark: ``str.splitlines`` would also
break at form feeds, ``\\x85`` or ``\\u2028``, which Markdown treats as ordinary characters.
"""

import re

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_BYTE_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` with their line endings, so that ``"".join`` gives ``text`` back."""
    return _LINE.findall(text)


def split_byte_lines(data: bytes) -> list[bytes]:
    """``split_lines`` for UTF-8: the same lines, as no multi-byte character contains \\r or \\n."""
    return _BYTE_LINE.findall(data)


def strip_line_end(line: str) -> str:
    """``line`` (one of ``split_lines``) without its line ending, if it has one."""
    # Inside a line neither character can occur: any \r or \n ends it.
    return line.rstrip("\r\n")
