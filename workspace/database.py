"""Database engine set-up: a fixed SQLite for the embedded default, psycopg 3 for PostgreSQL.

SQLite before 3.51.3 can corrupt a WAL database when several processes reset the WAL at once,
which is exactly several gunicorn workers on one file. The stdlib module is used when its
library is new enough, otherwise the ``pysqlite3`` wheel (which bundles a current SQLite).
"""

import importlib
import sqlite3
from types import ModuleType

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import make_url

from workspace.extensions import db

MINIMUM_SQLITE = (3, 51, 3)


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


def init_database(app: Flask) -> None:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.get_backend_name() == "sqlite":
        options.setdefault("module", sqlite_module())
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
