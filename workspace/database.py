"""Database engine set-up: a fixed SQLite for the embedded default, psycopg 3 for PostgreSQL.

SQLite before 3.51.3 can corrupt a WAL database when several processes reset the WAL at once,
which is exactly several gunicorn workers on one file. The stdlib module is used when its
library is new enough, otherwise the ``pysqlite3`` wheel (which bundles a current SQLite).
"""

import importlib
import logging
import sqlite3
from types import ModuleType
from typing import TypeVar

from flask import Flask, abort
from sqlalchemy import BigInteger, SmallInteger, event
from sqlalchemy.engine import make_url

from workspace.extensions import db

log = logging.getLogger(__name__)

MINIMUM_SQLITE = (3, 51, 3)

Model = TypeVar("Model")


def sqlite_module() -> ModuleType:
    """The DB-API module with the newest SQLite available, stdlib first when it suffices."""
    if sqlite3.sqlite_version_info >= MINIMUM_SQLITE:
        return sqlite3
    try:
        return importlib.import_module("pysqlite3.dbapi2")
    except ImportError:
        return sqlite3


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def warn_if_old_sqlite(module: ModuleType) -> None:
    """Say so in the log when the SQLite library is one with the WAL-reset corruption bug."""
    version = tuple(getattr(module, "sqlite_version_info", ()) or ())
    if version and version < MINIMUM_SQLITE:
        log.warning(
            "SQLite %s is older than %s and can corrupt a WAL database when several processes "
            "write to it (several gunicorn workers). Install pysqlite3 or a newer Python, or "
            "use PostgreSQL (DATABASE_URL).",
            ".".join(map(str, version)),
            ".".join(map(str, MINIMUM_SQLITE)),
        )


def init_database(app: Flask) -> None:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.get_backend_name() == "sqlite":
        options.setdefault("module", sqlite_module())
        warn_if_old_sqlite(options["module"])
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    if url.get_backend_name() == "sqlite":
        with app.app_context():
            event.listen(
                db.engine, "connect", _sqlite_pragmas(app.config["SQLITE_BUSY_TIMEOUT_MS"])
            )


def sqlite_version_in_use() -> tuple[int, ...] | None:
    """The SQLite library version of the engine in use (None on another database)."""
    if db.engine.dialect.name != "sqlite":
        return None
    with db.engine.connect() as connection:
        version = connection.exec_driver_sql("select sqlite_version()").scalar_one()
    return tuple(int(part) for part in version.split("."))


def _largest_id(model) -> int:
    """The largest value the model's integer primary key column can hold on any database."""
    (column,) = model.__table__.primary_key.columns
    if isinstance(column.type, BigInteger):
        return 2**63 - 1
    if isinstance(column.type, SmallInteger):
        return 2**15 - 1
    return 2**31 - 1  # INTEGER is 32 bits on PostgreSQL (SQLite would take 64)


def insert_for(dialect_name: str):
    """``insert`` with ON CONFLICT for the database in use (upserts on both SQLite and
    PostgreSQL)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert


def get_or_404(model: type[Model], ident: int) -> Model:
    """The row with this id, or 404; an id no column can hold is simply not found.

    Route converters accept any number of digits: passed on, a huge id overflows in the
    driver (PostgreSQL's int4, SQLite's int64) and becomes a 500 instead of a 404.
    """
    if not isinstance(ident, int) or not 1 <= ident <= _largest_id(model):
        abort(404)
    found = db.session.get(model, ident)
    if found is None:
        abort(404)
    return found
