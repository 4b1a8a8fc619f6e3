"""Upgrades: every migration, from the first schema to the latest, on a populated database.

A scratch database (a temporary SQLite file; on PostgreSQL a database made and dropped here,
when a server answers on 127.0.0.1:5432) goes to the first revision and gets a realistic data
set written in plain SQL against that revision's schema (tests/migration_data/<revision>.sql).
It then climbs the chain one revision at a time. After each step every row written so far must
still be there with the values it had, the step's own change to existing data is checked where
it makes one, and what the new tables can hold is added from the revision's SQL file.

At the head the models must match the schema (what `flask db check` compares), and the app must
work on the result: signing in, the home page, a group, a document (its approved and current
revision, its history, an old revision rebuilt from a delta, attribution with and without the
keys kept at snapshots), a thread, its file, meetings, search and the audit chain. Last, the
database goes down to nothing and up again.

The chain is read from the migrations, not listed here: a revision without a data file is still
walked and checked for loss, it just adds no data (and its tables are not required to have rows).
"""

import hashlib
import json
import os
import re
import secrets
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.support import PASSWORD, plain
from workspace.extensions import db
from workspace.revisions.service import _pack
from workspace.search.backends import include_name
from workspace.search.text import stems
from workspace.texts import storage
from workspace.texts.blame import encode_keys, lines_of, step
from workspace.texts.diff import summarise

DATA = Path(__file__).parent / "migration_data"
# The server a scratch PostgreSQL database is made on (TEST_DATABASE_URL's, when it is one).
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

GUIDELINES = [
    "# Premessa\n\nIl servizio tutela il diritto di visita del bambino.\n\n"
    "# Tempi\n\nUn'ora ogni quindici giorni.\n",
    "# Premessa\n\nIl servizio tutela il diritto di visita del bambino.\n\n"
    "# Tempi\n\nUn'ora ogni quindici giorni, concordata con la famiglia.\n\n"
    "# Ambientamento\n\nIl primo incontro è dedicato all'ambientamento.\n",
    "# Premessa\n\nIl servizio tutela il diritto di visita del bambino e dei suoi genitori.\n\n"
    "# Tempi\n\nUn'ora ogni quindici giorni, concordata con la famiglia.\n\n"
    "# Ambientamento\n\nIl primo incontro è dedicato all'ambientamento.\n",
]
SCHEDA = ["# Scheda di ambientamento\n\n- Nome del bambino\n- Servizio inviante\n"]
MINUTES = [
    "## Tempi degli incontri\n\nSi concorda un'ora ogni quindici giorni.\n\n"
    "## Ambientamento\n\nDa riprendere al prossimo incontro.\n"
]
# Which revisions of each text are stored as snapshots (the others are deltas).
SNAPSHOTS = {"guidelines": {1, 3}, "scheda": {1}, "minutes": {1}}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
MESSAGE = "Propongo un'ora ogni quindici giorni, concordata con la famiglia."


def _revision_values(name: str, texts: list[str]) -> dict:
    """What the app stores for each revision of ``texts``: payload (snapshot or delta of the
    text packed with its rendering), figures, changed sections, and the line keys a snapshot
    keeps since 0005."""
    values = {}
    previous, keys, previous_lines = "", [], []
    for number, body in enumerate(texts, start=1):
        prefix = f"{name}_{number}"
        if number in SNAPSHOTS[name]:
            payload = storage.compress_snapshot(_pack(body))
        else:
            payload = storage.make_delta(_pack(previous), _pack(body))
        keys = step(previous_lines, keys, lines_of(body), number)
        change = summarise(previous, body)
        added, removed = change.stats
        values.update(
            {
                f"{prefix}_payload": payload,
                f"{prefix}_keys": encode_keys(keys),
                f"{prefix}_size": len(body),
                f"{prefix}_size_change": len(body) - len(previous),
                f"{prefix}_added": added,
                f"{prefix}_removed": removed,
                f"{prefix}_sections": json.dumps(list(change.changed_sections)),
            }
        )
        previous, previous_lines = body, lines_of(body)
    return values


def sql_values() -> dict:
    """The values the SQL files take as parameters: what the app computes, not types."""
    return {
        **_revision_values("guidelines", GUIDELINES),
        **_revision_values("scheda", SCHEDA),
        **_revision_values("minutes", MINUTES),
        "png": PNG,
        "png_size": len(PNG),
        "png_sha256": hashlib.sha256(PNG).hexdigest(),
        "guidelines_text": GUIDELINES[-1],
        "guidelines_stems": stems("Linee guida del Tavolo") + " " + stems(GUIDELINES[-1]),
        "message_stems": stems("Tempi degli incontri") + " " + stems(MESSAGE),
    }


def statements(path: Path) -> list[str]:
    """The statements of a SQL file: comments dropped, split at a semicolon ending a line."""
    lines = [line for line in path.read_text("utf-8").splitlines() if not line.startswith("--")]
    return [
        part.strip() for part in re.split(r";\s*$", "\n".join(lines), flags=re.M) if part.strip()
    ]


def run_data_files(connection, revision: str, values: dict) -> bool:
    """The revision's SQL (common, then the database's own), in one transaction."""
    dialect = connection.dialect.name
    paths = [DATA / f"{revision}.sql", DATA / f"{revision}.{dialect}.sql"]
    paths = [path for path in paths if path.exists()]
    for path in paths:
        for statement in statements(path):
            clause = text(statement)
            names = set(clause.compile().params)
            connection.execute(clause, {name: values[name] for name in names})
    if paths and dialect == "postgresql":
        _move_sequences(connection)
    return bool(paths)


def _move_sequences(connection) -> None:
    """The app took its ids from the sequences; SQL with explicit ids does not, so they are
    moved past the rows, as the app would have left them."""
    tables = connection.execute(
        text(
            "SELECT table_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND column_name = 'id' AND column_default LIKE 'nextval%'"
        )
    ).scalars()
    for table in tables:
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                f' coalesce(max(id), 1), max(id) IS NOT NULL) FROM "{table}"'
            )
        )


# -- What the database holds ----------------------------------------------------------------


def _plain_value(value):
    return bytes(value) if isinstance(value, memoryview) else value


def schema(connection) -> dict[str, list[str]]:
    """The tables the database has, with their primary key columns (Alembic's own table and
    the search backend's aside)."""
    inspector = inspect(connection)
    return {
        name: inspector.get_pk_constraint(name)["constrained_columns"]
        for name in inspector.get_table_names()
        if name != "alembic_version" and include_name(name, "table", {})
    }


def table_rows(connection, tables: dict[str, list[str]]) -> dict[str, dict[tuple, dict]]:
    """Every row of every table, by primary key, as the driver reads it: what is stored, not
    what a type makes of it (a rewritten time or flag counts as a change)."""
    quote = connection.dialect.identifier_preparer.quote
    rows = {}
    for name, key in tables.items():
        found = connection.execute(text(f"SELECT * FROM {quote(name)}")).mappings()  # noqa: S608
        rows[name] = {}
        for row in found:
            values = {column: _plain_value(value) for column, value in row.items()}
            rows[name][tuple(values[column] for column in key or values)] = values
    return rows


# Columns a revision rewrites on purpose, and what checks the result instead.
REWRITTEN = {
    # The audit chain is hashed again in the salted format (its migration's docstring says
    # why): every other field stays, and `flask audit-verify` at the head checks the new chain.
    "0011_erasure": {
        "audit_entries": {"prev_hash", "hash"},
        "audit_chain_head": {"hash"},
    },
}


def assert_kept(before: dict, after: dict, revision: str) -> None:
    """Every row of ``before`` is in ``after`` with the same values in the columns it had
    (but those the revision rewrites on purpose)."""
    rewritten = REWRITTEN.get(revision, {})
    for table, rows in before.items():
        assert table in after, f"{revision} dropped the table {table} and its {len(rows)} rows"
        missing = sorted(set(rows) - set(after[table]))
        assert not missing, f"{revision} lost rows of {table}: {missing}"
        for key, values in rows.items():
            now = after[table][key]
            changed = {
                column: (value, now.get(column, "<column gone>"))
                for column, value in values.items()
                if now.get(column, "<column gone>") != value
                and column not in rewritten.get(table, ())
            }
            assert not changed, f"{revision} changed {table} {key}: {changed}"


def _scalars(connection, sql: str) -> list:
    return list(connection.execute(text(sql)).scalars())


def check_0004(connection) -> None:
    # Each existing draft and kept text becomes the only one of an editor of its own.
    assert _scalars(connection, "SELECT editor_id FROM drafts ORDER BY id") == ["draft-1"]
    assert _scalars(connection, "SELECT editor_id FROM pending_saves ORDER BY id") == ["pending-1"]


def check_0005(connection) -> None:
    # Revisions stored before have no attribution kept: it is replayed from the first.
    assert _scalars(connection, "SELECT count(*) FROM revisions WHERE line_keys IS NOT NULL") == [0]


def check_0006(connection) -> None:
    assert _scalars(connection, "SELECT kind FROM documents ORDER BY id") == ["document"] * 2


def check_0009(connection) -> None:
    head = connection.execute(text("SELECT id, hash, entry_id FROM audit_chain_head")).all()
    assert [tuple(row) for row in head] == [(1, "0" * 64, None)]


def check_0011(connection) -> None:
    # Every entry now has its salts, and the chain still starts at the genesis.
    assert _scalars(connection, "SELECT count(*) FROM audit_entries WHERE salts IS NULL") == [0]
    first = _scalars(connection, "SELECT prev_hash FROM audit_entries ORDER BY id LIMIT 1")
    assert first == ["0" * 64]


# What a revision does to the data already there, checked right after it runs.
CHANGES = {
    "0004_drafts_per_editor": check_0004,
    "0005_line_attribution": check_0005,
    "0006_meetings": check_0006,
    "0009_audit": check_0009,
    "0011_erasure": check_0011,
}


# -- The scratch databases ------------------------------------------------------------------


def _postgres_server():
    url = os.environ.get("TEST_DATABASE_URL")
    if url and make_url(url).get_backend_name() == "postgresql":
        return make_url(url).set(database="postgres")
    return make_url(POSTGRES_SERVER)


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_url(request, tmp_path):
    """An empty database of each kind, never the suite's own (its schema lives there)."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "upgraded.db")
        return
    server = create_engine(
        _postgres_server(), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    name = "tavolo_migrations_" + secrets.token_hex(4)
    try:
        with server.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        server.dispose()
        pytest.skip(f"no PostgreSQL server answers on {_postgres_server()}: {error.orig}")
    try:
        yield _postgres_server().set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def revision_chain(app) -> list[str]:
    """The revisions from the first to the head, as the migrations link them."""
    config = app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}"
    return [found.revision for found in reversed(list(script.walk_revisions("base", "heads")))]


# -- The walk -------------------------------------------------------------------------------


def test_upgrade_from_the_first_schema_keeps_every_row_and_the_app_works(scratch_url, open_app):
    values = sql_values()
    app = open_app(scratch_url)
    with app.app_context():
        chain = revision_chain(app)
        known: dict[str, dict] = {}
        without_data: set[str] = set()  # tables of revisions that add no rows here
        for revision in chain:
            flask_migrate.upgrade(revision=revision)
            with db.engine.begin() as connection:
                tables = schema(connection)
                upgraded = table_rows(connection, tables)
                assert_kept(known, upgraded, revision)
                if revision in CHANGES:
                    CHANGES[revision](connection)
                if not run_data_files(connection, revision, values):
                    without_data |= set(upgraded) - set(known)
            with db.engine.connect() as connection:
                known = table_rows(connection, tables)
        models = db.metadata
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": include_name}
            )
            assert compare_metadata(context, models) == []
        empty = [
            name
            for name in sorted(models.tables)
            if not known.get(name) and name not in without_data
        ]
        assert not empty, f"tables with no rows in the upgraded data set: {empty}"
        db.engine.dispose()

    check_the_app_works(open_app(scratch_url))

    with app.app_context():
        flask_migrate.downgrade(revision="base")
        with db.engine.connect() as connection:
            assert not schema(connection)
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert set(schema(connection)) == set(db.metadata.tables)
            version = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar_one() == chain[-1]
        db.engine.dispose()


def check_the_app_works(app) -> None:
    client = app.test_client()
    response = client.post(
        "/accedi", data={"email": "laura.bianchi@comune.rho.mi.it", "password": PASSWORD}
    )
    assert response.status_code == 302, response.data

    def page(path: str, *expected: str) -> str:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        shown = plain(response)
        for words in expected:
            assert words in shown, (path, words)
        return shown

    page("/", "Linee guida", "Ambientamento", "Gruppo di auto mutuo aiuto")
    page("/gruppi/linee-guida", "Laura Bianchi", "Marco Rossi", "Niccolò D'Amico")
    document = "/gruppi/linee-guida/documenti/1"
    # The approved revision (1, a snapshot), then the current one (3, a later snapshot).
    approved = page(document, "Un'ora ogni quindici giorni.")
    assert "dei suoi genitori" not in approved
    page(document + "?versione=corrente", "dei suoi genitori", "dedicato all'ambientamento")
    page(document + "/versioni", "Prima stesura", "Tempi concordati", "Premessa: anche i genitori")
    page(document + "/versioni/2", "concordata con la famiglia")  # rebuilt from its delta
    page(document + "/versioni/2/autori", "Marco Rossi")  # replayed: no keys kept before 0005
    page(document + "/versioni/3/autori", "Laura Bianchi", "Marco Rossi")  # from kept keys
    page("/gruppi/ambientamento/documenti/2", "Servizio inviante")
    page("/gruppi/linee-guida/discussioni/1", "concordata con la famiglia", "lo scrivo nelle")
    page("/gruppi/ambientamento/discussioni/2", "Una visita della stanza", "locandina.png")
    attachment = client.get("/allegati/1/locandina.png")
    assert attachment.status_code == 200
    assert attachment.data == PNG
    meeting = "/gruppi/linee-guida/incontri/1"
    page(meeting, "Adottati i tempi", "Elena Galli", "Inviare le linee guida ai servizi")
    page(meeting, "Commenti al verbale", "Ero assente giustificato")
    page(meeting + "/verbale/stampa", "Da riprendere al prossimo incontro")
    page("/gruppi/gruppo-ama/incontri/2", "Accoglienza delle nuove famiglie", "Paola Verdi")
    page("/gruppi/gruppo-ama/incontri/3", "Sala non disponibile.")
    page("/cerca?q=ambientamento", "Linee guida del Tavolo")
    page("/cerca?q=famiglia", "Tempi degli incontri")
    page("/attivita", "Inviare le linee guida ai servizi")
    page("/notifiche", "Il primo incontro")

    with app.app_context():
        result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    assert "Registro integro" in result.output
