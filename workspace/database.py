"""Database engine set-up: a fixed SQLite for the embedded default, psycopg 3 for PostgreSQL.

SQLite before 3.51.3 can corrupt a WAL database when several processes reset the WAL at once,
which is exactly several gunicorn workers on one file. The stdlib module is used when its
library is new enough, otherwise the ``pysqlite3`` wheel (which bundles a current SQLite).

A database that goes away for a moment (PostgreSQL restarted, a connection cut, SQLite's write
lock held past the busy timeout) must not need a restart of the app: pooled connections are
checked before use (``pool_pre_ping``), a new connection is tried a few times before giving up
(``DATABASE_CONNECT_ATTEMPTS``, ``DATABASE_CONNECT_TIMEOUT``), and whatever still fails is an
``unavailable`` error that workspace.errors answers with a 503, never a stack trace.
"""

import importlib
import logging
import sqlite3
import time
from types import ModuleType
from typing import TypeVar

from flask import Flask, abort
from sqlalchemy import BigInteger, SmallInteger, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from workspace.extensions import db

log = logging.getLogger(__name__)

MINIMUM_SQLITE = (3, 51, 3)
# A new connection to a server database: how many tries, how far apart, how long each may take.
# Bounded so that a request waits at most a few seconds before hearing that the database is
# unavailable: a worker stuck on a dead server serves nobody.
CONNECT_ATTEMPTS = 3
CONNECT_RETRY_DELAY = 0.3  # seconds, doubled after each failed try
CONNECT_TIMEOUT = 3  # seconds (libpq's connect_timeout)

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


def _retrying_connect(attempts: int, delay: float):
    """A ``do_connect`` listener: a refused or failed connection is tried again, a few times.

    Only the connection is retried, never a statement: nothing has been sent yet, so trying
    again cannot do anything twice.
    """

    def do_connect(dialect, _record, cargs, cparams):
        pause = delay
        for attempt in range(1, attempts + 1):
            try:
                return dialect.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError as error:
                if attempt == attempts:
                    raise
                log.warning(
                    "Database connection failed (try %d of %d): %s", attempt, attempts, error
                )
                time.sleep(pause)
                pause *= 2
        return None  # not reached

    return do_connect


def init_database(app: Flask) -> None:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.get_backend_name() == "sqlite":
        options.setdefault("module", sqlite_module())
        warn_if_old_sqlite(options["module"])
    else:
        # A pooled connection the server has closed meanwhile (a restart, an administrator's
        # pg_terminate_backend) is noticed and replaced before a request uses it.
        options.setdefault("pool_pre_ping", True)
        if url.get_backend_name() == "postgresql":
            connect_args = dict(options.get("connect_args") or {})
            connect_args.setdefault(
                "connect_timeout", app.config.get("DATABASE_CONNECT_TIMEOUT", CONNECT_TIMEOUT)
            )
            options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        if url.get_backend_name() == "sqlite":
            event.listen(
                db.engine, "connect", _sqlite_pragmas(app.config["SQLITE_BUSY_TIMEOUT_MS"])
            )
        else:
            event.listen(
                db.engine,
                "do_connect",
                _retrying_connect(
                    int(app.config.get("DATABASE_CONNECT_ATTEMPTS", CONNECT_ATTEMPTS)),
                    CONNECT_RETRY_DELAY,
                ),
            )


# SQLite: busy, locked, I/O error, cannot open (primary result codes). "No such table" after a
# forgotten upgrade is a bug to report, not a moment to wait.
_SQLITE_AWAY_CODES = {5, 6, 10, 14}
_SQLITE_AWAY_WORDS = ("database is locked", "is locked", "disk i/o error", "unable to open")
# PostgreSQL SQLSTATE: connection exceptions (08), operator intervention such as a shutdown or
# a restart (57), insufficient resources such as too many connections (53), and the conflicts
# that a later try resolves: deadlock, lock not available, serialization failure.
_POSTGRESQL_AWAY_CLASSES = ("08", "57", "53")
_POSTGRESQL_AWAY_CODES = {"40P01", "55P03", "40001"}


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be used right now (rather than a bug).

    Unreachable or restarting server, a connection cut in the middle, SQLite's write lock held
    past the busy timeout, no free connection in the pool: trying again later will do. A
    missing table or column, a syntax error and the like are bugs: 500, logged with the trace.
    """
    if isinstance(error, sa_exc.TimeoutError):
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, sa_exc.OperationalError):
        return False
    original = error.orig
    if "sqlite" in type(original).__module__:
        code = getattr(original, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_AWAY_CODES
        return any(words in str(original).lower() for words in _SQLITE_AWAY_WORDS)
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state:
        return state[:2] in _POSTGRESQL_AWAY_CLASSES or state in _POSTGRESQL_AWAY_CODES
    return True  # no SQLSTATE: the client library could not reach or keep the server


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
