"""What an uploaded file is, read from its bytes, and a name for it that is safe to show.

Pure Python (no Flask, no database). The name a browser sends is never trusted for the type:
only these few formats are recognised, from their signatures, and Word and OpenDocument files
from the members of their ZIP container. SVG is not among them on purpose: it can carry script.
"""

import io
import re
import unicodedata
import zipfile

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"

# The extensions a file of each type may carry; the first is the one added when it has none.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    DOCX: (".docx",),
    ODT: (".odt",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    GIF: (".gif",),
    WEBP: (".webp",),
}
ALLOWED = tuple(EXTENSIONS)
IMAGES = (PNG, JPEG, GIF, WEBP)

MAX_NAME_LENGTH = 255  # the column's width
DEFAULT_STEM = "allegato"

# Only the small bookkeeping members of a ZIP are ever decompressed, and never past this.
_MAX_MEMBER_READ = 1_000_000
_DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def detect(data: bytes) -> str | None:
    """The content type of one of the accepted formats, or None for anything else."""
    if re.match(rb"%PDF-\d\.\d", data):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:15] == b"VP8":
        return WEBP
    if data.startswith(b"PK\x03\x04"):
        return _office_document(data)
    return None


def _office_document(data: bytes) -> str | None:
    """DOCX or ODT from the members of the ZIP; any other ZIP (or a broken one) is None."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and "content.xml" in names:
                if _read_member(archive, "mimetype").strip() == ODT.encode():
                    return ODT
                return None
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                # Word's own content type for the main part: not a template, and no macros
                # (a .docm renamed .docx declares another one and carries word/vbaProject.bin).
                if "word/vbaProject.bin" in names:
                    return None
                if _DOCX_MAIN in _read_member(archive, "[Content_Types].xml"):
                    return DOCX
            return None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None
    except (NotImplementedError, RuntimeError):  # an unknown compression, an encrypted member
        return None


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as member:
        return member.read(_MAX_MEMBER_READ)


def clean_filename(raw: str | None, content_type: str) -> str:
    """The name to show and to offer for download: no folders, no control or invisible
    characters (a right-to-left override can disguise ``gpj.exe``), accents kept, and an
    extension that matches what the file really is."""
    name = plain_name(raw)
    extensions = EXTENSIONS[content_type]
    suffix = _suffix(name)
    if suffix not in extensions:
        name = (name or DEFAULT_STEM) + extensions[0]
        suffix = extensions[0]
    if len(name) > MAX_NAME_LENGTH:
        stem = name[: len(name) - len(suffix)][: MAX_NAME_LENGTH - len(suffix)].rstrip(" .")
        name = (stem or DEFAULT_STEM) + name[len(name) - len(suffix) :]
    return name


def plain_name(raw: str | None) -> str:
    """The name without folders, control or invisible characters, or surrounding dots and
    spaces; accents kept. Possibly empty."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if char.isspace() else char
        for char in name
        if char.isspace() or not unicodedata.category(char).startswith("C")
    )
    return " ".join(name.split()).strip(" .")


def _suffix(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return "." + extension.lower() if dot and stem else ""
