"""A time limit for the statements of one search, on either database.

PostgreSQL: ``statement_timeout`` set for the current transaction only (``set_config(...,
true)``, the bindable spelling of ``SET LOCAL``) and put back afterwards; the server cancels a
statement that runs past it (SQLSTATE 57014). SQLite: a progress handler on the connection that
aborts the running statement once the deadline has passed ("interrupted"). Either way the
transaction is rolled back and ``SearchTimeout`` raised, for the page to answer in Italian.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.orm import Session

QUERY_CANCELED = "57014"
# SQLite calls the handler every this many virtual machine instructions: cheap, and often
# enough that a deadline is overrun by well under a millisecond.
_SQLITE_STEPS = 1_000


class SearchTimeout(Exception):
    """The search ran past its time limit and was stopped."""


def _cancelled(error: sa_exc.DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == QUERY_CANCELED


@contextmanager
def time_limit(session: Session, milliseconds: int | None) -> Iterator[None]:
    """Run the block's statements under a deadline of ``milliseconds`` (None or 0: none)."""
    if not milliseconds or milliseconds <= 0:
        yield
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        with _postgres_limit(session, connection, int(milliseconds)):
            yield
    else:
        with _sqlite_limit(session, connection, int(milliseconds)):
            yield


@contextmanager
def _postgres_limit(session, connection, milliseconds: int) -> Iterator[None]:
    previous = connection.execute(text("SELECT current_setting('statement_timeout')")).scalar()
    set_timeout = text("SELECT set_config('statement_timeout', :value, true)")
    connection.execute(set_timeout, {"value": f"{milliseconds}ms"})
    try:
        yield
    except sa_exc.DBAPIError as error:
        if not _cancelled(error):
            raise
        session.rollback()
        raise SearchTimeout from error
    connection.execute(set_timeout, {"value": previous})


@contextmanager
def _sqlite_limit(session, connection, milliseconds: int) -> Iterator[None]:
    raw = connection.connection.driver_connection
    deadline = time.monotonic() + milliseconds / 1000
    fired = False

    def past_deadline() -> int:
        nonlocal fired
        if time.monotonic() > deadline:
            fired = True
            return 1  # non-zero: SQLite interrupts the statement
        return 0

    raw.set_progress_handler(past_deadline, _SQLITE_STEPS)
    try:
        yield
    except sa_exc.DBAPIError as error:
        if not fired:
            raise
        session.rollback()
        raise SearchTimeout from error
    finally:
        raw.set_progress_handler(None, _SQLITE_STEPS)
