"""Backups that restore: `flask backup` and `flask restore` on SQLite and PostgreSQL.

An instance is filled through the services (documents with a merge and a restore, a thread
with replies, an edit and a file, a meeting with agenda, decision, action and minutes), backed
up with the CLI, restored into a new, empty database, and compared: every revision's text,
every message and its earlier versions, every meeting, action and minutes, and every row of
every table. Then what must be refused: a database with data (without --force), a missing,
foreign, truncated or corrupt file, a backup of the other kind of database.
"""

import io
import os
import re
import secrets
import shutil
from datetime import date, datetime
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from werkzeug.datastructures import FileStorage

from workspace.attachments import service as attachments
from workspace.attachments.models import Attachment
from workspace.backups import service as backups
from workspace.database import sqlite_module
from workspace.directory.models import Scope, Service
from workspace.discussions import service as discussions
from workspace.discussions.models import Message, Thread
from workspace.documents import service as documents
from workspace.documents.models import Document
from workspace.extensions import db
from workspace.groups.models import Group, GroupRole, Membership
from workspace.meetings import service as meetings
from workspace.meetings.models import Attendance, Meeting
from workspace.people.models import Role
from workspace.people.service import create_person
from workspace.revisions import service as revisions
from workspace.revisions.models import Revision

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
GUIDELINES = "# Premessa\n\nIl servizio tutela il diritto di visita.\n\n# Tempi\n\nUn'ora.\n"


def backend_of(url: str) -> str:
    return make_url(url).get_backend_name()


def pg_tools_missing() -> bool:
    return shutil.which("pg_dump") is None or shutil.which("pg_restore") is None


def restored_sqlite_url(tmp_path: Path) -> str:
    """A new SQLite file to restore into, in a folder of its own (the attachments go beside)."""
    (tmp_path / "restored").mkdir(exist_ok=True)
    return "sqlite:///" + str(tmp_path / "restored" / "tavolo.db")


@pytest.fixture
def new_database(database_url, tmp_path):
    """A URL of a new, empty database of the test database's kind (PostgreSQL: dropped after)."""
    if backend_of(database_url) == "sqlite":
        yield restored_sqlite_url(tmp_path)
        return
    if pg_tools_missing():
        pytest.skip("pg_dump or pg_restore is not installed")
    name = "tavolo_backup_" + secrets.token_hex(4)
    server = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def invoke(app, *args):
    """Run a command of this app, in its own context (a test's open context is another app's)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


# -- An instance with something of everything ---------------------------------------------------


def populate() -> dict:
    service = Service(
        name="Spazio neutro di Rho",
        district="Rho",
        health_authority="1",
        scope=Scope.PROVINCIAL,
        position=1,
    )
    db.session.add(service)
    lead, anna = (
        create_person(
            email=f"{name.split()[0].lower()}@comune.example.it",
            name=name,
            role=Role.OPERATOR,
            password_hash=None,
            service=service,
        )
        for name in ("Laura Referente", "Anna Operatrice")
    )
    group = Group(slug="ambientamento", name="Ambientamento", purpose="Per lavorare insieme.")
    db.session.add(group)
    db.session.add_all(
        [
            Membership(group=group, user=lead, role=GroupRole.LEAD),
            Membership(group=group, user=anna, role=GroupRole.MEMBER),
        ]
    )
    db.session.commit()

    guidelines = documents.create_document(
        group, title="Linee guida", description="La bozza", body=GUIDELINES, author=lead
    )
    first = documents.save(
        guidelines,
        author=anna,
        body=GUIDELINES.replace("tutela", "garantisce"),
        base_number=1,
        section=None,
        summary="Premessa",
    )
    # Written from revision 1 as well, in another place: merged with Anna's.
    merged = documents.save(
        guidelines,
        author=lead,
        body=GUIDELINES.replace("Un'ora.", "Novanta minuti."),
        base_number=1,
        section=None,
        summary="Tempi",
    )
    assert first.status == "saved" and merged.status == "saved" and merged.merged
    db.session.refresh(guidelines.text)
    documents.restore(guidelines, 2, author=lead)
    db.session.refresh(guidelines.text)
    documents.approve(guidelines, 3, by=lead, note="Approvata al tavolo")
    documents.create_document(
        group, title="Calendario", description="", body="Gennaio è ò\n", author=anna
    )

    thread = discussions.open_thread(group, author=lead, title="Ambientamento", body="Apriamo.")
    second = discussions.reply(thread, author=anna, body="Prima risposta")
    discussions.edit_message(second, by=anna, body="Risposta corretta")
    quoting = discussions.reply(thread, author=lead, body="Concordo @anna.", quoted=second)
    (file,) = attachments.store([FileStorage(io.BytesIO(PNG), "foto ò.png")], uploader=lead)
    attachments.attach([file], quoting.id)
    db.session.commit()

    (meeting,) = meetings.schedule_meetings(
        True,
        group,
        meetings.Schedule(
            title="Incontro di gennaio",
            starts_local=datetime(2030, 1, 14, 17, 0),
            ends_local=datetime(2030, 1, 14, 19, 0),
            place="Sala 3",
            online_url="",
            is_joint=False,
            invited_ids=(lead.id, anna.id),
            pattern=None,
            count=None,
        ),
        by=lead,
    )
    item = meetings.add_item(meeting, title="Linee guida", owner_id=None, duration=30, by=lead)
    meetings.set_attendance(meeting, {p.id: Attendance.PRESENT for p in meeting.participants})
    meetings.add_decision(
        meeting,
        item_id=item.id,
        text="Linee guida approvate",
        document_id=guidelines.id,
        revision_number=3,
        by=lead,
    )
    meetings.assign_action(
        meeting,
        title="Mandare il calendario",
        owner_id=anna.id,
        due_on=date(2030, 1, 31),
        item_id=item.id,
        by=lead,
    )
    minutes = meetings.start_minutes(meeting, by=lead)
    outcome = revisions.save(
        minutes.text,
        author=lead,
        text="## Linee guida\n\nSi discute della bozza.\n",
        base_number=minutes.text.head,
        summary="verbale",
    )
    assert outcome.status == "saved"
    db.session.commit()
    return {"lead": lead, "meeting": meeting}


def contents() -> dict:
    """What a person sees of the instance, read through the services."""
    found: dict = {"documents": [], "messages": [], "meetings": [], "files": []}
    for document in db.session.scalars(select(Document).order_by(Document.id)):
        numbers = db.session.scalars(
            select(Revision.number).where(Revision.text_id == document.text_id).order_by("number")
        ).all()
        assert numbers == list(range(1, document.text.head + 1))
        found["documents"].append(
            (
                document.id,
                document.title,
                document.kind,
                [revisions.text_at(document.text, n) for n in numbers],
                list(revisions.history(document.text)),
                [a.revision_number for a in documents.approvals(document)],
            )
        )  # fmt: skip
    for message in db.session.scalars(select(Message).order_by(Message.id)):
        found["messages"].append(
            (
                message.thread.title,
                message.number,
                message.author_id,
                message.body,
                message.created_at,
                message.edited_at,
                [v.body for v in discussions.versions_of(message)],
            )
        )
    for meeting in db.session.scalars(select(Meeting).order_by(Meeting.id)):
        record = meetings.record_of(meeting)
        found["meetings"].append(
            (
                meeting.title,
                meeting.starts_at,
                meeting.minutes_status,
                [item.title for item in meeting.items],
                sorted((p.user_id, p.attendance) for p in meeting.participants),
                [(d.text, d.revision_number) for d in meetings.decisions_of(meeting)],
                [(a.title, a.owner_id, a.due_on, a.status) for a in meetings.actions_of(meeting)],
                revisions.text_at(meeting.minutes.text, meeting.minutes.text.head),
                meetings.record_markdown(record),
            )
        )  # fmt: skip
    for attachment in db.session.scalars(select(Attachment).order_by(Attachment.id)):
        found["files"].append((attachment.filename, attachments.read_bytes(attachment)))
    return found


def every_row() -> dict:
    """Every row of every table of the models, in primary-key order."""
    rows = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            query = table.select().order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(row) for row in connection.execute(query)]
    return rows


def check_counts(before: dict) -> None:
    assert len(before["documents"]) == 3  # two documents and the minutes
    assert len(before["documents"][0][3]) == 4  # first, Anna's, the merge, the restore
    merge = before["documents"][0][4][2]
    assert merge.merged and merge.base_number == 1  # the merge is recorded as such
    assert len(before["messages"]) == 3 and before["messages"][1][-1] == ["Prima risposta"]
    assert len(before["meetings"]) == 1 and "Si discute della bozza." in before["meetings"][0][7]
    assert before["files"] == [("foto ò.png", PNG)]


def round_trip(source, backup_path: Path, target_url: str, open_app) -> None:
    with source.app_context():
        populate()
        before, rows_before = contents(), every_row()
        db.session.remove()
    check_counts(before)
    result = invoke(source, "backup", str(backup_path))
    assert result.exit_code == 0, result.output
    assert f"Backup scritto in {backup_path}" in result.output
    assert "Gli allegati sono nel database" in result.output

    restored = open_app(target_url)
    result = invoke(restored, "restore", str(backup_path))
    assert result.exit_code == 0, result.output
    assert "ripristinato" in result.output and "documenti 3" in result.output
    assert "db upgrade" not in result.output  # same schema as the code
    with restored.app_context():
        assert contents() == before
        assert every_row() == rows_before


# -- The round trip -----------------------------------------------------------------------------


def test_sqlite_backup_restores_everything_into_a_new_database(
    database_url, make_app, open_app, tmp_path
):
    if backend_of(database_url) == "sqlite":
        source = make_app()
    else:  # a SQLite instance of its own, so that both kinds are tested in a PostgreSQL run
        source = open_app("sqlite:///" + str(tmp_path / "source.db"))
        with source.app_context():
            flask_migrate.upgrade()
    target = restored_sqlite_url(tmp_path)
    backup_path = tmp_path / "backups" / "tavolo.sqlite3"
    round_trip(source, backup_path, target, open_app)
    assert not Path(str(backup_path) + "-wal").exists()  # one self-contained file


def test_postgresql_backup_restores_everything_into_a_new_database(
    database_url, make_app, open_app, new_database, tmp_path
):
    if backend_of(database_url) != "postgresql":
        pytest.skip("PostgreSQL backups: set TEST_DATABASE_URL to a PostgreSQL database")
    round_trip(make_app(), tmp_path / "tavolo.dump", new_database, open_app)


# -- Details -----------------------------------------------------------------------------------


def test_backup_goes_to_the_instance_folder_by_default_and_never_overwrites(app, runner):
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    (written,) = (Path(app.instance_path) / "backups").iterdir()
    suffix = (
        ".sqlite3" if backend_of(app.config["SQLALCHEMY_DATABASE_URI"]) == "sqlite" else ".dump"
    )
    assert written.name.startswith("tavolo-") and written.suffix == suffix
    # The size, in KB or MB: the suite's database file keeps the pages earlier tests used.
    assert str(written) in result.output
    assert re.search(r"\(\d+(,\d)? (KB|MB)\)", result.output)
    assert written.stat().st_mode & 0o777 == 0o600

    again = runner.invoke(args=["backup", str(written)])
    assert again.exit_code == 1
    assert "esiste già" in again.output and "Traceback" not in again.output


def test_sqlite_backup_runs_beside_a_writer_and_takes_only_committed_work(app, runner, tmp_path):
    if backend_of(app.config["SQLALCHEMY_DATABASE_URI"]) != "sqlite":
        pytest.skip("the SQLite online backup")
    populate()
    writer = db.engine.raw_connection()  # another connection, in the middle of a write
    try:
        writer.driver_connection.execute("BEGIN IMMEDIATE")
        writer.driver_connection.execute("UPDATE messages SET body = 'non ancora salvato'")
        path = tmp_path / "online.sqlite3"
        result = runner.invoke(args=["backup", str(path)])
        assert result.exit_code == 0, result.output
    finally:
        writer.driver_connection.rollback()
        writer.close()
    copy = sqlite_module().connect(str(path))
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        bodies = [row[0] for row in copy.execute("SELECT body FROM messages ORDER BY id")]
    finally:
        copy.close()
    assert bodies == ["Apriamo.", "Risposta corretta", "Concordo @anna."]


def test_restore_refuses_a_database_with_data_unless_forced(app, runner, tmp_path):
    populate()
    backup_path = tmp_path / "prima.backup"
    assert runner.invoke(args=["backup", str(backup_path)]).exit_code == 0
    thread = db.session.scalars(select(Thread)).one()
    discussions.reply(thread, author=thread.created_by, body="Scritto dopo il backup")
    db.session.commit()
    db.session.close()

    refused = runner.invoke(args=["restore", str(backup_path)])
    assert refused.exit_code == 1
    assert "Errore: Il database configurato non è vuoto" in refused.output
    assert "--force" in refused.output and "Traceback" not in refused.output
    assert db.session.scalars(select(Message.body)).all()[-1] == "Scritto dopo il backup"
    db.session.close()

    forced = runner.invoke(args=["restore", "--force", str(backup_path)])
    assert forced.exit_code == 0, forced.output
    bodies = db.session.scalars(select(Message.body)).all()
    assert "Scritto dopo il backup" not in bodies and len(bodies) == 3


@pytest.mark.parametrize(
    "content, said",
    [
        (None, "non esiste"),
        (b"", "non è un backup di Tavolo"),
        (b"nome;cognome\nAnna;Rossi\n", "non è un backup di Tavolo"),
        (b"SQLite format 3\x00" + os.urandom(5000), "danneggiato"),
        (b"PGDMP" + os.urandom(5000), "danneggiato"),
    ],
    ids=["missing", "empty", "csv", "corrupt-sqlite", "corrupt-dump"],
)
def test_a_missing_or_corrupt_backup_is_refused_clearly(
    database_url, new_database, open_app, tmp_path, content, said
):
    path = tmp_path / "backup.file"
    if content is not None:
        path.write_bytes(content)
    backend = backend_of(database_url)
    if content and content.startswith(b"PGDMP") and backend == "sqlite":
        said = "è un backup PostgreSQL, ma il database configurato è SQLite"
    if content and content.startswith(b"SQLite") and backend == "postgresql":
        said = "è un backup SQLite, ma il database configurato è PostgreSQL"
    result = invoke(open_app(new_database), "restore", str(path))
    assert result.exit_code == 1
    assert said in result.output and result.output.startswith("Errore: ")
    assert "Traceback" not in result.output


def test_a_truncated_backup_is_refused_and_the_database_left_alone(
    app, runner, new_database, open_app, tmp_path
):
    populate()
    full = tmp_path / "intero.backup"
    assert runner.invoke(args=["backup", str(full)]).exit_code == 0
    truncated = tmp_path / "troncato.backup"
    truncated.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    target = open_app(new_database)
    result = invoke(target, "restore", str(truncated))
    assert result.exit_code == 1, result.output
    assert "danneggiato" in result.output and "Traceback" not in result.output
    with target.app_context():
        assert backups.non_empty_tables() == []


def _schema_version() -> str:
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def _set_schema_version(version: str) -> None:
    db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": version})


def test_an_older_backup_asks_for_db_upgrade(app, runner, new_database, open_app, tmp_path):
    populate()
    # Put back as found: the suite's database is at the head, whatever the head is now.
    head = _schema_version()
    db.session.execute(text("UPDATE alembic_version SET version_num = '0008_search'"))
    db.session.commit()
    try:
        path = tmp_path / "vecchio.backup"
        assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    finally:
        _set_schema_version(head)
        db.session.commit()
    result = invoke(open_app(new_database), "restore", str(path))
    assert result.exit_code == 0, result.output
    assert "più vecchio del programma" in result.output
    assert "flask --app workspace db upgrade" in result.output


def test_a_backup_from_newer_code_is_said_so(app, runner, new_database, open_app, tmp_path):
    populate()
    head = _schema_version()
    db.session.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    db.session.commit()
    try:
        path = tmp_path / "futuro.backup"
        assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    finally:
        _set_schema_version(head)
        db.session.commit()
    result = invoke(open_app(new_database), "restore", str(path))
    assert result.exit_code == 0, result.output
    assert "più recente di questa" in result.output


def test_attachments_in_a_folder_travel_with_the_backup(make_app, new_database, open_app, tmp_path):
    source = make_app(ATTACHMENTS_FOLDER="allegati")
    with source.app_context():
        populate()
        (attachment,) = db.session.scalars(select(Attachment)).all()
        assert attachment.storage_path is not None and attachment.data is None
        db.session.remove()
    backup_path = tmp_path / "con-allegati.backup"
    result = invoke(source, "backup", str(backup_path))
    assert result.exit_code == 0, result.output
    copy = tmp_path / "con-allegati.backup.attachments"
    assert f"Allegati copiati in {copy}: 1 file" in result.output
    assert [p.read_bytes() for p in copy.rglob("*") if p.is_file()] == [PNG]

    elsewhere = tmp_path / "nuova-cartella"
    restored = open_app(new_database, ATTACHMENTS_FOLDER=str(elsewhere))
    result = invoke(restored, "restore", str(backup_path))
    assert result.exit_code == 0, result.output
    assert f"Allegati ripristinati in {elsewhere}: 1 file" in result.output
    with restored.app_context():
        (attachment,) = db.session.scalars(select(Attachment)).all()
        assert attachments.read_bytes(attachment) == PNG


def test_a_folder_backup_restored_without_the_folder_setting_says_so(
    make_app, new_database, open_app, tmp_path
):
    source = make_app(ATTACHMENTS_FOLDER="allegati")
    with source.app_context():
        populate()
        db.session.remove()
    backup_path = tmp_path / "b.backup"
    assert invoke(source, "backup", str(backup_path)).exit_code == 0
    result = invoke(open_app(new_database), "restore", str(backup_path))
    assert result.exit_code == 0, result.output
    assert "ATTACHMENTS_FOLDER non è impostato" in result.output


def test_libpq_url_drops_the_driver_and_keeps_the_password_out():
    url, environment = backups.libpq_url(
        "postgresql+psycopg://tavolo:s3gr%40to@db.example:5433/tavolo?sslmode=require"
    )
    assert url == "postgresql://tavolo@db.example:5433/tavolo?sslmode=require"
    assert environment == {"PGPASSWORD": "s3gr@to"}
    assert backups.libpq_url("postgresql+psycopg://postgres@127.0.0.1/t") == (
        "postgresql://postgres@127.0.0.1/t",
        {},
    )


def test_pg_tools_missing_gives_a_clear_message(app, monkeypatch, tmp_path):
    monkeypatch.setattr(backups.shutil, "which", lambda name: None)
    with pytest.raises(backups.BackupError, match="pg_dump non trovato"):
        backups._run_pg("pg_dump", ["--version"], {})


def test_backup_of_a_missing_sqlite_database_says_so(open_app, tmp_path):
    missing = tmp_path / "nessuno" / "tavolo.db"
    result = invoke(open_app("sqlite:///" + str(missing)), "backup", str(tmp_path / "b.sqlite3"))
    assert result.exit_code == 1
    assert result.output.startswith("Errore: ") and "non esiste" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "b.sqlite3").exists()
