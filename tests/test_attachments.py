"""Attachments: the type read from the bytes, limits, storage in the database or a shared
folder, the headers of a download, and who may download what."""

import base64
import io
import os
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import docx
import pytest
from flask import render_template
from sqlalchemy import event, inspect
from werkzeug.datastructures import FileStorage
from werkzeug.http import parse_options_header

from tests.support import PASSWORD, text
from workspace.accounts.models import User
from workspace.attachments import content, service
from workspace.attachments.models import Attachment
from workspace.attachments.service import AttachmentError
from workspace.clock import utcnow
from workspace.discussions.models import Message, Thread
from workspace.extensions import db
from workspace.people.models import Role

# -- Real files, as small as they come ----------------------------------------------------------


def minimal_pdf() -> bytes:
    """A valid one-page PDF, with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# 1x1 images written by Pillow.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGM4IScHAAK2AQU0pnWqAAAAAElFTkSuQmCC"
)
GIF = base64.b64decode("R0lGODdhAQABAIEAAMgeHgAAAAAAAAAAACwAAAAAAQABAAAIBAABBAQAOw==")
WEBP = base64.b64decode("UklGRh4AAABXRUJQVlA4TBEAAAAvAAAAAAdQjyLXo/+BiOh/AAA=")
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERX"
    "RTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAABAAEDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAA"
    "AAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAk"
    "M2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKT"
    "lJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QA"
    "HwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdh"
    "cRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hp"
    "anN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk"
    "5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDHooorhPqD/9k="
)


def real_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Verbale dell'incontro del gruppo.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_of(members: dict[str, bytes], *, first: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if first is not None:
            archive.writestr(first, members[first], compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            if name != first:
                archive.writestr(name, data)
    return out.getvalue()


def real_odt(mimetype: bytes = content.ODT.encode()) -> bytes:
    """An OpenDocument text as LibreOffice lays it out: the mimetype first, uncompressed."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    manifest_ns = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
    return zip_of(
        {
            "mimetype": mimetype,
            "content.xml": (
                f'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
                f'xmlns:office="{office}" xmlns:text="{text_ns}" office:version="1.3">'
                f"<office:body><office:text><text:p>Verbale</text:p></office:text></office:body>"
                f"</office:document-content>"
            ).encode(),
            "META-INF/manifest.xml": (
                f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                f'xmlns:manifest="{manifest_ns}" manifest:version="1.3">'
                f'<manifest:file-entry manifest:full-path="/" '
                f'manifest:media-type="{content.ODT}"/>'
                f'<manifest:file-entry manifest:full-path="content.xml" '
                f'manifest:media-type="text/xml"/></manifest:manifest>'
            ).encode(),
        },
        first="mimetype",
    )


def macro_docx() -> bytes:
    """A macro-enabled Word document (.docm) under a .docx name."""
    with zipfile.ZipFile(io.BytesIO(real_docx())) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    members["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + b"\x00" * 60
    return zip_of(members)


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def upload(data: bytes, name: str, content_type: str = "application/octet-stream") -> FileStorage:
    # The browser's content type is as untrustworthy as the name: nothing reads it.
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type=content_type)


def no_file() -> FileStorage:
    """What a browser sends for a file input left empty."""
    return FileStorage(stream=io.BytesIO(b""), filename="", content_type="application/octet-stream")


# -- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def team(make_user, make_group):
    lead = make_user(Role.OPERATOR, name="Laura Referente")
    member = make_user(Role.OPERATOR, name="Anna Operatrice")
    outsider = make_user(Role.OPERATOR, name="Ugo Fuori")
    external = make_user(Role.EXTERNAL, name="Elena Affidi")
    coordinator = make_user(Role.COORDINATOR, name="Carla Coordinatrice")
    group = make_group("Ambientamento", leads=[lead], members=[member])
    make_group("Gruppo congiunto", members=[external], is_joint=True)
    return {
        "lead": lead,
        "member": member,
        "outsider": outsider,
        "external": external,
        "coordinator": coordinator,
        "group": group,
    }


def make_message(group, author, body="Vi allego il verbale.") -> Message:
    thread = Thread(group_id=group.id, title="Primo incontro", last_number=1)
    db.session.add(thread)
    db.session.flush()
    message = Message(thread_id=thread.id, number=1, author_id=author.id, body=body, html=body)
    db.session.add(message)
    db.session.commit()
    return message


def attached(files, *, uploader, message) -> list[Attachment]:
    attachments = service.store(files, uploader=uploader)
    service.attach(attachments, message.id)
    db.session.commit()
    return attachments


def download_url(attachment, name=None):
    return f"/allegati/{attachment.id}/{name or attachment.filename}"


def sign_in(client, user):
    response = client.post("/accedi", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


# -- The type, from the content ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (minimal_pdf(), content.PDF),
        (PNG, content.PNG),
        (JPEG, content.JPEG),
        (GIF, content.GIF),
        (WEBP, content.WEBP),
        (real_docx(), content.DOCX),
        (real_odt(), content.ODT),
    ],
    ids=["pdf", "png", "jpeg", "gif", "webp", "docx", "odt"],
)
def test_accepted_formats_are_recognised_from_their_bytes(data, expected):
    assert content.detect(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        EXE,
        HTML,
        SVG,
        b"Solo testo, niente di pericoloso.\n",
        zip_of({"leggimi.txt": b"ciao"}),
        zip_of({"word/document.xml": b"<w:document/>"}),  # no [Content_Types].xml
        macro_docx(),
        real_odt(b"application/vnd.oasis.opendocument.spreadsheet"),
        b"PK\x03\x04" + b"\x00" * 40,  # a broken zip
        b"%PDF",
        b"",
    ],
    ids=[
        "exe",
        "html",
        "svg",
        "text",
        "zip",
        "half-docx",
        "docm",
        "ods",
        "broken-zip",
        "short",
        "empty",
    ],
)
def test_everything_else_is_not_recognised(data):
    assert content.detect(data) is None


def test_the_name_never_decides_the_type(app, team):
    with pytest.raises(AttachmentError) as refused:
        service.store([upload(EXE, "verbale.pdf", "application/pdf")], uploader=team["member"])
    assert str(refused.value) == (
        "«verbale.pdf» non è un tipo di file ammesso: PDF, Word (.docx), "
        "OpenDocument (.odt) o immagini."
    )
    for data, name in ((HTML, "foto.png"), (SVG, "disegno.svg"), (zip_of({"a": b"b"}), "x.docx")):
        with pytest.raises(AttachmentError, match="non è un tipo di file ammesso"):
            service.store([upload(data, name, "image/png")], uploader=team["member"])
    assert Attachment.query.count() == 0


def test_what_is_stored_comes_from_the_content(app, team):
    (pdf, picture, word) = service.store(
        [
            upload(minimal_pdf(), "Verbale.PDF", "text/html"),
            upload(PNG, "foto.exe"),
            upload(real_docx(), "relazione"),
        ],
        uploader=team["member"],
    )
    assert (pdf.content_type, pdf.filename) == (content.PDF, "Verbale.PDF")
    # A name whose extension says something else gets the true one added.
    assert (picture.content_type, picture.filename) == (content.PNG, "foto.exe.png")
    assert (word.content_type, word.filename) == (content.DOCX, "relazione.docx")
    assert pdf.size == len(minimal_pdf()) and len(pdf.sha256) == 64
    assert pdf.uploaded_by_id == team["member"].id and pdf.message_id is None


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("C:\\Users\\anna\\Desktop\\verbale.pdf", "verbale.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("Relazione città – maggio.pdf", "Relazione città – maggio.pdf"),
        ("Relazione citta\u0300.pdf", "Relazione città.pdf"),  # composed (NFC)
        ("riga\nnuova\t.pdf", "riga nuova .pdf"),
        ("rapporto\u202efdp.exe.pdf", "rapportofdp.exe.pdf"),  # no right-to-left override
        ("nul\x00lo.pdf", "nullo.pdf"),
        ("  .nascosto.pdf  ", "nascosto.pdf"),
        ('il "verbale".pdf', 'il "verbale".pdf'),
        ("", "allegato.pdf"),
        ("...", "allegato.pdf"),
        ("relazione.PDF", "relazione.PDF"),
    ],
)
def test_file_names_are_cleaned_for_display(raw, shown):
    assert content.clean_filename(raw, content.PDF) == shown


def test_long_names_keep_their_extension():
    name = content.clean_filename("a" * 400 + ".jpeg", content.JPEG)
    assert len(name) == 255 and name.endswith("a.jpeg")
    name = content.clean_filename("à" * 400, content.PDF)
    assert len(name) == 255 and name.endswith("à.pdf")


# -- Limits ------------------------------------------------------------------------------------


def test_size_limit_from_the_settings(make_app, make_user):
    app = make_app(ATTACHMENT_MAX_BYTES=2048)
    with app.app_context():
        user = make_user()
        assert service.store(
            [upload(PNG + b"\x00" * (2048 - len(PNG)), "giusto.png")], uploader=user
        )
        with pytest.raises(AttachmentError) as refused:
            service.store([upload(PNG + b"\x00" * 2048, "grande.png")], uploader=user)
        assert str(refused.value) == "«grande.png» è troppo grande: il limite è 2 KB per file."


def test_default_limit_is_ten_megabytes(app, team):
    assert app.config["ATTACHMENT_MAX_BYTES"] == 10 * 1024 * 1024
    big = minimal_pdf() + b"\n" * (10 * 1024 * 1024)
    with pytest.raises(AttachmentError, match="il limite è 10 MB per file"):
        service.store([upload(big, "scansione.pdf")], uploader=team["member"])


def test_at_most_five_files_a_message(app, team):
    files = [upload(PNG, f"foto{n}.png") for n in range(6)]
    with pytest.raises(AttachmentError, match="al massimo 5 file"):
        service.store(files, uploader=team["member"])
    assert len(service.store(files[:5], uploader=team["member"])) == 5


def test_inputs_left_empty_are_skipped_and_empty_files_refused(app, team):
    assert service.store([no_file(), no_file()], uploader=team["member"]) == []
    stored = service.store(
        [no_file(), upload(GIF, "a.gif")] + [no_file()] * 5, uploader=team["member"]
    )
    assert [a.filename for a in stored] == ["a.gif"]
    with pytest.raises(AttachmentError) as refused:
        service.store([upload(b"", "vuoto.pdf")], uploader=team["member"])
    assert str(refused.value) == "«vuoto.pdf» è vuoto."


def test_all_or_nothing(app, team):
    files = [upload(minimal_pdf(), "buono.pdf"), upload(EXE, "cattivo.pdf")]
    with pytest.raises(AttachmentError, match="cattivo.pdf"):
        service.store(files, uploader=team["member"])
    assert Attachment.query.count() == 0


def test_all_or_nothing_in_the_folder_too(make_app, make_user, tmp_path):
    folder = tmp_path / "allegati"
    app = make_app(ATTACHMENTS_FOLDER=str(folder))
    with app.app_context():
        user = make_user()
        with pytest.raises(AttachmentError):
            service.store(
                [upload(minimal_pdf(), "buono.pdf"), upload(SVG, "cattivo.png")], uploader=user
            )
        assert Attachment.query.count() == 0
    assert not folder.exists() or not any(folder.rglob("*"))


def test_error_messages_name_the_file_without_its_folders_or_controls(app, team):
    with pytest.raises(AttachmentError) as refused:
        service.store([upload(EXE, "C:\\temp\\vi\u202erus.pdf")], uploader=team["member"])
    assert str(refused.value).startswith("«virus.pdf» non è")


# -- Storage -----------------------------------------------------------------------------------


def test_in_the_database_by_default(app, team):
    message = make_message(team["group"], team["member"])
    (stored,) = attached(
        [upload(minimal_pdf(), "verbale.pdf")], uploader=team["member"], message=message
    )
    db.session.expire_all()
    row = db.session.get(Attachment, stored.id)
    assert row.storage_path is None and row.message_id == message.id
    assert service.read_bytes(row) == minimal_pdf()


def test_in_a_folder_shared_by_two_servers(make_app, make_user, make_group, tmp_path):
    folder = tmp_path / "condivisa"
    first = make_app(ATTACHMENTS_FOLDER=str(folder))
    second = make_app(ATTACHMENTS_FOLDER=str(folder))
    with first.app_context():
        author = make_user(name="Anna")
        group = make_group(members=[author])
        message = make_message(group, author)
        stored = attached(
            [upload(JPEG, "foto.jpg"), upload(real_odt(), "verbale.odt")],
            uploader=author,
            message=message,
        )
        ids = [a.id for a in stored]
        paths = [a.storage_path for a in stored]
        digests = [a.sha256 for a in stored]
        author_id = author.id
    for path, digest in zip(paths, digests, strict=True):
        assert path == f"{digest[:2]}/{digest}"
        assert (folder / path).is_file()
    assert not list(folder.rglob(".tmp-*"))  # written under a temporary name, then renamed
    with second.app_context():
        rows = [db.session.get(Attachment, id_) for id_ in ids]
        assert all(row.data is None for row in rows)  # nothing in the database
        assert [service.read_bytes(row) for row in rows] == [JPEG, real_odt()]
    client = second.test_client()
    with second.app_context():
        sign_in(client, db.session.get(User, author_id))
        response = client.get(f"/allegati/{ids[0]}/foto.jpg")
    assert response.status_code == 200 and response.data == JPEG


def test_same_content_is_stored_once(make_app, make_user, tmp_path):
    folder = tmp_path / "allegati"
    app = make_app(ATTACHMENTS_FOLDER=str(folder))
    with app.app_context():
        user = make_user()
        first, second = service.store(
            [upload(GIF, "uno.gif"), upload(GIF, "due.gif")], uploader=user
        )
        assert first.storage_path == second.storage_path
        assert [first.filename, second.filename] == ["uno.gif", "due.gif"]
    assert len([p for p in folder.rglob("*") if p.is_file()]) == 1


def test_a_relative_folder_is_in_the_instance_folder(make_app, make_user):
    app = make_app(ATTACHMENTS_FOLDER="allegati")
    with app.app_context():
        (stored,) = service.store([upload(PNG, "a.png")], uploader=make_user())
        assert (Path(app.instance_path) / "allegati" / stored.storage_path).read_bytes() == PNG


def test_a_file_missing_from_the_folder_is_not_found(make_app, make_user, make_group, tmp_path):
    folder = tmp_path / "allegati"
    app = make_app(ATTACHMENTS_FOLDER=str(folder))
    with app.app_context():
        author = make_user()
        message = make_message(make_group(members=[author]), author)
        (stored,) = attached([upload(PNG, "a.png")], uploader=author, message=message)
        (folder / stored.storage_path).unlink()
        client = app.test_client()
        sign_in(client, author)
        assert client.get(download_url(stored)).status_code == 404


def test_for_messages_is_one_query_without_the_bytes(app, team):
    one = make_message(team["group"], team["member"])
    two = make_message(team["group"], team["lead"])
    three = make_message(team["group"], team["lead"])
    first = attached(
        [upload(PNG, "a.png"), upload(GIF, "b.gif")], uploader=team["member"], message=one
    )
    second = attached([upload(minimal_pdf(), "c.pdf")], uploader=team["lead"], message=two)
    service.store([upload(WEBP, "orfano.webp")], uploader=team["lead"])  # in no message
    db.session.commit()
    ids = [one.id, two.id, three.id]
    db.session.expire_all()
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = service.for_messages(ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert all("data" in inspect(a).unloaded for a in found[ids[0]] + found[ids[1]])
    assert [a.id for a in found[ids[0]]] == [a.id for a in first]
    assert [a.id for a in found[ids[1]]] == [a.id for a in second]
    assert found[ids[2]] == []
    assert service.for_messages([]) == {}


# -- Listing and the form field ----------------------------------------------------------------


def test_list_partial_shows_name_kind_size_and_link(app, team):
    message = make_message(team["group"], team["member"])
    stored = attached(
        [
            upload(minimal_pdf() + b" " * 1500 * 1024, "Relazione città.pdf"),
            upload(real_docx(), "bozza.docx"),
            upload(real_odt(), "verbale.odt"),
            upload(PNG, '<img src=x onerror="alert(1)">.png'),
        ],
        uploader=team["member"],
        message=message,
    )
    with app.test_request_context():
        html = render_template("attachments/_list.html", attachments=stored)
        assert render_template("attachments/_list.html", attachments=[]).strip() == ""
    assert "Relazione città.pdf" in html and "(PDF, 1,5 MB)" in html
    assert "(Word, " in html and "(OpenDocument, 1 KB)" in html and "(immagine, 1 KB)" in html
    assert f'href="/allegati/{stored[0].id}/Relazione%20citt%C3%A0.pdf"' in html
    assert "<img" not in html and "&lt;img src=x" in html  # escaped, never markup
    assert f'id="attachment-{stored[3].id}"' in html


def test_field_partial_has_the_contract_input(app):
    with app.test_request_context():
        html = render_template("attachments/_field.html")
        invalid = render_template(
            "attachments/_field.html", attachments_error="«x.exe» non è ammesso."
        )
    assert 'type="file"' in html and 'name="allegati"' in html and " multiple" in html
    assert 'accept="application/pdf,' in html and ".docx" in html and ".webp" in html
    assert ".svg" not in html
    assert '<label for="allegati">Allegati</label>' in html
    assert "Fino a 5 file di al massimo 10 MB ciascuno" in html
    assert "«x.exe» non è ammesso." in invalid and 'aria-invalid="true"' in invalid


# -- Downloads ---------------------------------------------------------------------------------


def test_download_headers_of_a_document(app, client, team):
    message = make_message(team["group"], team["member"])
    # One file, built once: two builds differ in their zip timestamps across a second.
    body = real_docx()
    (stored,) = attached(
        [upload(body, "Verbale città – 3° incontro.docx", "text/html")],
        uploader=team["member"],
        message=message,
    )
    sign_in(client, team["lead"])
    response = client.get(download_url(stored))
    assert response.status_code == 200 and response.data == body
    assert response.headers["Content-Type"] == content.DOCX
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Verbale%20citt%C3%A0%20%E2%80%93%203%C2%B0%20incontro.docx" in (
        disposition
    )
    assert parse_options_header(disposition) == (
        "attachment",
        {"filename": "Verbale città – 3° incontro.docx"},
    )


def test_download_name_with_quotes_and_a_pdf(app, client, team):
    message = make_message(team["group"], team["member"])
    (stored,) = attached(
        [upload(minimal_pdf(), 'il "verbale"; finale.pdf')],
        uploader=team["member"],
        message=message,
    )
    sign_in(client, team["member"])
    response = client.get(download_url(stored))
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert parse_options_header(disposition) == (
        "attachment",
        {"filename": 'il "verbale"; finale.pdf'},
    )
    assert "\n" not in disposition and "\r" not in disposition


def test_images_open_in_the_browser(app, client, team):
    message = make_message(team["group"], team["member"])
    stored = attached(
        [upload(PNG, "a.png"), upload(JPEG, "b.jpg"), upload(GIF, "c.gif"), upload(WEBP, "d.webp")],
        uploader=team["member"],
        message=message,
    )
    sign_in(client, team["member"])
    for attachment, expected in zip(
        stored, ["image/png", "image/jpeg", "image/gif", "image/webp"], strict=True
    ):
        response = client.get(download_url(attachment))
        assert response.headers["Content-Type"] == expected
        assert response.headers["Content-Disposition"].startswith("inline;")
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_name_in_the_address_is_cosmetic(app, client, team):
    message = make_message(team["group"], team["member"])
    (stored,) = attached([upload(PNG, "foto.png")], uploader=team["member"], message=message)
    sign_in(client, team["member"])
    response = client.get(f"/allegati/{stored.id}/altro/nome.html")
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert parse_options_header(response.headers["Content-Disposition"])[1] == {
        "filename": "foto.png"
    }
    assert client.get(f"/allegati/{stored.id}").status_code == 404


# -- Who may download --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("member", 200),
        ("lead", 200),
        ("coordinator", 200),
        ("outsider", 404),
        ("external", 404),
    ],
)
def test_only_who_may_read_the_thread(app, client, team, role, status):
    message = make_message(team["group"], team["lead"])
    (stored,) = attached(
        [upload(minimal_pdf(), "riservato.pdf")], uploader=team["lead"], message=message
    )
    sign_in(client, team[role])
    response = client.get(download_url(stored))
    assert response.status_code == status
    if status == 404:
        assert b"%PDF" not in response.data and "riservato" not in text(response)


def test_anonymous_are_sent_to_sign_in(app, client, team):
    message = make_message(team["group"], team["lead"])
    (stored,) = attached(
        [upload(minimal_pdf(), "riservato.pdf")], uploader=team["lead"], message=message
    )
    response = client.get(download_url(stored))
    assert response.status_code == 302 and "/accedi" in response.location


def test_an_upload_in_no_message_is_its_uploaders_alone(app, client, team):
    (orphan,) = service.store([upload(PNG, "bozza.png")], uploader=team["member"])
    db.session.commit()
    sign_in(client, team["lead"])
    assert client.get(download_url(orphan)).status_code == 404
    client.post("/esci")
    sign_in(client, team["member"])
    assert client.get(download_url(orphan)).status_code == 200


def test_a_withdrawn_message_takes_its_files_with_it(app, client, team):
    message = make_message(team["group"], team["member"])
    (stored,) = attached([upload(PNG, "a.png")], uploader=team["member"], message=message)
    message.withdrawn_at = utcnow()
    db.session.commit()
    sign_in(client, team["member"])
    assert client.get(download_url(stored)).status_code == 404


def test_unknown_and_impossible_ids_are_not_found(app, client, team):
    sign_in(client, team["member"])
    assert client.get("/allegati/999999/a.pdf").status_code == 404
    assert client.get("/allegati/99999999999999999999999/a.pdf").status_code == 404


# -- Housekeeping ------------------------------------------------------------------------------


def _age(attachment, days):
    attachment.created_at = utcnow() - timedelta(days=days)


def test_prune_orphans(app, team):
    message = make_message(team["group"], team["member"])
    (kept_in_message,) = attached([upload(PNG, "a.png")], uploader=team["member"], message=message)
    old_orphan, recent_orphan = service.store(
        [upload(GIF, "vecchio.gif"), upload(GIF, "nuovo.gif")], uploader=team["member"]
    )
    _age(old_orphan, 3)
    _age(kept_in_message, 30)
    db.session.commit()
    assert service.prune_orphans(timedelta(days=1)) == 1
    remaining = {a.filename for a in Attachment.query.all()}
    assert remaining == {"a.png", "nuovo.gif"}


def test_prune_orphans_removes_unused_files(make_app, make_user, make_group, tmp_path):
    folder = tmp_path / "allegati"
    app = make_app(ATTACHMENTS_FOLDER=str(folder))
    with app.app_context():
        author = make_user()
        message = make_message(make_group(members=[author]), author)
        (in_message,) = attached([upload(PNG, "a.png")], uploader=author, message=message)
        # The same picture uploaded again and never sent: its file is still in use.
        shared, alone = service.store([upload(PNG, "b.png"), upload(GIF, "c.gif")], uploader=author)
        _age(shared, 3)
        _age(alone, 3)
        db.session.commit()
        stray = folder / "ab" / ("ab" + "0" * 62)  # from an upload whose message failed
        stray.parent.mkdir(exist_ok=True)
        stray.write_bytes(b"x")
        leftover = folder / alone.storage_path[:2] / ".tmp-crash"
        leftover.write_bytes(b"x")
        recent = folder / "cd" / ("cd" + "1" * 62)
        recent.parent.mkdir(exist_ok=True)
        recent.write_bytes(b"y")
        long_ago = time.time() - 3 * 86400
        for path in (
            folder / in_message.storage_path,
            folder / alone.storage_path,
            stray,
            leftover,
        ):
            os.utime(path, (long_ago, long_ago))
        alone_path = folder / alone.storage_path

        assert service.prune_orphans(timedelta(days=1)) == 2
        assert (folder / in_message.storage_path).read_bytes() == PNG
        assert not alone_path.exists() and not stray.exists() and not leftover.exists()
        assert recent.exists()  # maybe an upload whose transaction is still open
        assert [a.filename for a in Attachment.query.all()] == ["a.png"]


def test_reusing_a_file_refreshes_it_so_prune_leaves_it(make_app, make_user, tmp_path):
    folder = tmp_path / "allegati"
    app = make_app(ATTACHMENTS_FOLDER=str(folder))
    with app.app_context():
        user = make_user()
        (first,) = service.store([upload(PNG, "a.png")], uploader=user)
        path = folder / first.storage_path
        long_ago = time.time() - 3 * 86400
        os.utime(path, (long_ago, long_ago))
        db.session.rollback()  # that upload never became a message: its file stays unused
        # The same picture again, its transaction still open: the file is now recent, and a
        # prune on another server, which cannot see the new row, leaves recent files alone.
        service.store([upload(PNG, "a.png")], uploader=user)
        assert path.stat().st_mtime > time.time() - 60


def test_flask_prune_removes_orphans(app, runner, team):
    (orphan,) = service.store([upload(PNG, "a.png")], uploader=team["member"])
    _age(orphan, 2)
    db.session.commit()
    result = runner.invoke(args=["prune"])
    assert result.exit_code == 0
    assert "Allegati mai usati eliminati: 1" in result.output
    assert Attachment.query.count() == 0
