"""Backing up the database (and the attachments folder) and putting a backup back.

SQLite: the online backup API, from a connection of the app's own engine, so the copy is one
consistent snapshot even while workers write (the database runs in WAL mode; copying the file
with ``cp`` could miss what is still in the ``-wal`` file). A restore runs the same API the
other way, from the backup file into the configured database, rather than replacing the file:
with WAL, a ``-wal``/``-shm`` pair left beside a swapped file would be replayed over it, and a
server still running would keep reading the old inode. The backup API writes the pages in one
write transaction that every other connection sees as a whole.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists --no-owner
--single-transaction`` (all or nothing) with the configured URL, the password passed in the
environment rather than on the command line, where ``ps`` would show it.

Attachments stored in ``ATTACHMENTS_FOLDER`` are copied after the database into a folder beside
the backup (``<backup>.attachments``): the files are named by their content and never change,
so copying them afterwards loses nothing the database snapshot refers to.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import func, inspect, literal, select, table, text
from sqlalchemy.engine import URL, make_url

from workspace.clock import utcnow
from workspace.database import sqlite_module
from workspace.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
ATTACHMENTS_SUFFIX = ".attachments"
TEMPORARY_PREFIX = ".tmp-"  # attachments.service.TEMPORARY_PREFIX: half-written uploads
PG_TIMEOUT_SECONDS = 6 * 3600
# Tables the migrations fill themselves: rows there do not make a database "not empty".
SEEDED = frozenset({"alembic_version", "audit_chain_head"})
# Tables counted after a restore, to show that the content is there.
COUNTED = (("users", "persone"), ("documents", "documenti"), ("revisions", "versioni"),
           ("messages", "messaggi"), ("meetings", "incontri"))  # fmt: skip


class BackupError(Exception):
    """A backup or restore that cannot go ahead, with a message for the person running it."""


@dataclass
class BackupResult:
    path: Path
    size: int
    attachments: Path | None = None
    attachment_files: int = 0
    attachment_bytes: int = 0


@dataclass
class RestoreResult:
    check: str
    notes: list[str] = field(default_factory=list)


def database_problem(error: Exception) -> str:
    """The message for a database that cannot be reached or read (the driver's own words)."""
    said = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    return f"Non riesco a usare il database configurato ({backend()}): {said}"


def backend() -> str:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()


def default_path() -> Path:
    suffix = "sqlite3" if backend() == "sqlite" else "dump"
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    return Path(current_app.instance_path) / "backups" / f"tavolo-{stamp}.{suffix}"


def attachments_copy_of(path: Path) -> Path:
    return path.with_name(path.name + ATTACHMENTS_SUFFIX)


def size_label(size: int) -> str:
    value = float(size)
    for unit in ("byte", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            break
        value /= 1024
    shown = f"{int(value)}" if unit == "byte" else f"{value:.1f}".replace(".", ",")
    return f"{shown} {unit}"


# -- Backup ------------------------------------------------------------------------------------


def backup(path: Path | None = None) -> BackupResult:
    path = Path(path) if path is not None else default_path()
    if path.exists() or attachments_copy_of(path).exists():
        raise BackupError(f"{path} esiste già: scegli un altro nome, il backup non lo sovrascrive.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"Non riesco a creare la cartella {path.parent}: {error}") from error
    # Written beside the target and renamed at the end: a failed backup leaves no half file.
    temporary = path.with_name(TEMPORARY_PREFIX + path.name)
    try:
        if backend() == "sqlite":
            database = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
            if database and not database.startswith(":") and not Path(database).is_file():
                raise BackupError(f"Il database {database} non esiste: non c'è niente da salvare.")
            _sqlite_backup(temporary)
        elif backend() == "postgresql":
            _pg_dump(temporary)
        else:
            raise BackupError(f"Backup non previsto per il database {backend()}.")
        os.chmod(temporary, 0o600)  # the whole workspace: readable by its owner only
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    result = BackupResult(path=path, size=path.stat().st_size)
    folder = attachments_folder()
    if folder is not None and folder.is_dir():
        result.attachments = attachments_copy_of(path)
        result.attachment_files, result.attachment_bytes = _copy_files(folder, result.attachments)
    return result


def _sqlite_backup(target: Path) -> None:
    module = sqlite_module()
    try:
        raw = db.engine.raw_connection()  # a connection of the app's pool, with its pragmas
    except module.Error as error:
        raise BackupError(database_problem(error)) from error
    try:
        destination = module.connect(str(target))
        try:
            raw.driver_connection.backup(destination)  # all pages in one step: one snapshot
            # A self-contained file: no -wal beside it, whatever mode the source was in.
            destination.execute("PRAGMA journal_mode=DELETE")
        finally:
            destination.close()
    except module.Error as error:
        raise BackupError(f"Backup SQLite non riuscito: {error}") from error
    finally:
        raw.close()


def _pg_dump(target: Path) -> None:
    url, environment = libpq_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    _run_pg(
        "pg_dump",
        ["--format=custom", "--no-password", f"--file={target}", f"--dbname={url}"],
        environment,
    )


# -- Restore -----------------------------------------------------------------------------------


def restore(path: Path, *, force: bool = False) -> RestoreResult:
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Il file di backup {path} non esiste.")
    kind = _format_of(path)
    wanted = "sqlite" if kind == "sqlite" else "postgresql"
    if kind is None:
        raise BackupError(
            f"{path} non è un backup di Tavolo (né un database SQLite né un file di pg_dump)."
        )
    if wanted != backend():
        raise BackupError(
            f"{path} è un backup {_name(wanted)}, ma il database configurato è {_name(backend())}."
        )
    # Everything about the file is checked before the database is touched.
    if kind == "sqlite":
        _check_sqlite_file(path)
    else:
        _check_pg_dump(path)
    db.session.remove()
    filled = non_empty_tables()
    if filled and not force:
        shown = ", ".join(filled[:5]) + (", …" if len(filled) > 5 else "")
        raise BackupError(
            f"Il database configurato non è vuoto (tabelle con dati: {shown}). "
            "Il ripristino lo sostituirebbe: riprova con --force se è quello che vuoi."
        )
    db.engine.dispose()  # no connection of ours holds a lock that pg_restore waits on
    if kind == "sqlite":
        _sqlite_restore(path)
        check = _sqlite_integrity()
    else:
        _pg_restore(path)
        check = f"tabelle: {_count_tables()}"
    db.engine.dispose()
    counts = _counts()
    if counts:
        check += "; " + ", ".join(f"{label} {n}" for label, n in counts)
    notes = [_revision_note()]
    notes.extend(_restore_files(path))
    return RestoreResult(check=check, notes=[note for note in notes if note])


def _name(kind: str) -> str:
    return "SQLite" if kind == "sqlite" else "PostgreSQL"


def _format_of(path: Path) -> str | None:
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return None


def _check_sqlite_file(path: Path) -> None:
    module = sqlite_module()
    try:
        source = module.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = [row[0] for row in source.execute("PRAGMA integrity_check")]
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master")}
        finally:
            source.close()
    except module.Error as error:
        raise BackupError(
            f"Il file di backup {path} è illeggibile o danneggiato: {error}"
        ) from error
    if found != ["ok"]:
        raise BackupError(f"Il file di backup {path} è danneggiato: {'; '.join(found[:3])}")
    if "alembic_version" not in tables:
        raise BackupError(f"{path} è un database SQLite, ma non un backup di Tavolo.")


def _check_pg_dump(path: Path) -> None:
    # --list reads the whole table of contents: a truncated or damaged dump fails here.
    _run_pg("pg_restore", ["--list", str(path)], {}, quiet=True)


def _sqlite_restore(source_path: Path) -> None:
    module = sqlite_module()
    try:
        raw = db.engine.raw_connection()  # a connection of the app's pool, with its pragmas
    except module.Error as error:
        raise BackupError(database_problem(error)) from error
    try:
        source = module.connect(f"file:{source_path}?mode=ro", uri=True)
        try:
            source.backup(raw.driver_connection)
        finally:
            source.close()
    except module.Error as error:
        raise BackupError(f"Ripristino SQLite non riuscito: {error}") from error
    finally:
        raw.close()


def _pg_restore(path: Path) -> None:
    url, environment = libpq_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    _run_pg(
        "pg_restore",
        [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={url}",
            str(path),
        ],
        environment,
    )


def _sqlite_integrity() -> str:
    with db.engine.connect() as connection:
        found = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
    if found != ["ok"]:
        raise BackupError(f"Controllo di integrità fallito dopo il ripristino: {'; '.join(found)}")
    return "integrità ok"


def _count_tables() -> int:
    with db.engine.connect() as connection:
        return connection.scalar(
            text(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
        )


def _counts() -> list[tuple[str, int]]:
    present = set(inspect(db.engine).get_table_names())
    found = []
    with db.engine.connect() as connection:
        for name, label in COUNTED:
            if name in present:
                found.append(
                    (label, connection.scalar(select(func.count()).select_from(table(name))))
                )
    return found


def non_empty_tables() -> list[str]:
    """The tables of the configured database that hold rows (besides what migrations seed)."""
    filled = []
    with db.engine.connect() as connection:
        for name in sorted(inspect(connection).get_table_names()):
            if name in SEEDED or name.startswith(("sqlite_", "search_fts")):
                continue
            first = select(literal(1)).select_from(table(name)).limit(1)
            if connection.scalar(first) is not None:
                filled.append(name)
    return filled


def _revision_note() -> str:
    """Compare the restored schema's Alembic revision with this code's migrations."""
    config = current_app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    heads = set(script.get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current == heads:
        return ""
    if not current:
        return (
            "Il backup non dice a quale versione dello schema appartiene (manca alembic_version): "
            "controlla con `flask --app workspace db current`."
        )
    for revision in current:
        try:
            script.get_revision(revision)
        except CommandError:
            return (
                f"Il backup viene da una versione di Tavolo più recente di questa "
                f"(schema {', '.join(sorted(current))}): aggiorna il programma prima di usarlo."
            )
    return (
        f"Il backup ha lo schema {', '.join(sorted(current))}, più vecchio del programma "
        f"({', '.join(sorted(heads))}): esegui `flask --app workspace db upgrade` prima di "
        "avviare Tavolo."
    )


# -- Attachments -------------------------------------------------------------------------------


def attachments_folder() -> Path | None:
    """ATTACHMENTS_FOLDER as the attachments service reads it; None: files in the database."""
    setting = current_app.config.get("ATTACHMENTS_FOLDER")
    if not setting:
        return None
    return Path(current_app.instance_path) / Path(str(setting)).expanduser()


def _copy_files(source: Path, target: Path) -> tuple[int, int]:
    """Copy the files under ``source`` that are not already in ``target``; count and bytes."""
    files = total = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.startswith(TEMPORARY_PREFIX):
            continue
        destination = target / path.relative_to(source)
        if destination.exists() and destination.stat().st_size == path.stat().st_size:
            continue  # named by content: the same name is the same file
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        files += 1
        total += path.stat().st_size
    return files, total


def _restore_files(path: Path) -> list[str]:
    copy = attachments_copy_of(path)
    folder = attachments_folder()
    stored_in_folder = _attachments_in_folder()
    if copy.is_dir() and folder is not None:
        files, total = _copy_files(copy, folder)
        return [f"Allegati ripristinati in {folder}: {files} file ({size_label(total)})."]
    if copy.is_dir():
        return [
            f"Il backup ha una cartella di allegati ({copy}), ma ATTACHMENTS_FOLDER non è "
            "impostato: impostalo e ripeti il ripristino, o gli allegati non si apriranno."
        ]
    if stored_in_folder:
        return [
            f"{stored_in_folder} allegati sono in una cartella, ma accanto al backup non c'è "
            f"{copy.name}: copiala a mano nella cartella ATTACHMENTS_FOLDER."
        ]
    return []


def _attachments_in_folder() -> int:
    if "attachments" not in inspect(db.engine).get_table_names():
        return 0
    with db.engine.connect() as connection:
        return connection.scalar(
            text("SELECT count(*) FROM attachments WHERE storage_path IS NOT NULL")
        )


# -- PostgreSQL client programs ----------------------------------------------------------------


def libpq_url(sqlalchemy_url: str) -> tuple[str, dict[str, str]]:
    """The libpq URL of a SQLAlchemy one ("+psycopg" dropped) and, apart, its password."""
    url: URL = make_url(sqlalchemy_url)
    environment = {}
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False), environment


def _run_pg(program: str, arguments: list[str], environment: dict, quiet: bool = False) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} non trovato: installa il client di PostgreSQL (pacchetto "
            "postgresql-client) della stessa versione del server, o superiore."
        )
    try:
        completed = subprocess.run(  # noqa: S603 (fixed program, arguments are no shell)
            [executable, *arguments],
            env={**os.environ, **environment},
            capture_output=True,
            text=True,
            timeout=PG_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BackupError(f"{program} non è riuscito: {error}") from error
    if completed.returncode != 0:
        said = (
            " ".join(completed.stderr.strip().splitlines()[-3:]) or f"uscita {completed.returncode}"
        )
        if quiet:
            raise BackupError(
                f"Il file di backup {arguments[-1]} è illeggibile o danneggiato ({said})."
            )
        raise BackupError(f"{program} non è riuscito: {said}")
