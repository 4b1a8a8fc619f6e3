"""The two full-text backends behind one interface: which rows match a query, how well, and
how a new row's words are stored.

SQLite: an FTS5 table ``search_fts`` (rowid = search_entries.id) holding the Italian stems
computed in Python (workspace.search.text); the MATCH expression is built from quoted stems,
never from what the person typed. A trigger on search_entries removes the FTS5 row whenever
an entry goes, however it goes (a cascade from its group, a reindex, a test's clean-up).

PostgreSQL: ``search_entries.terms`` is a tsvector built with ``to_tsvector('italian', ...)``
(title weighted above body), a GIN index, ``plainto_tsquery('italian', ...)`` from the query's
words only. Both ignore the same stop words and cut the same amount of text.
"""

from sqlalchemy import bindparam, column, func, literal_column, table, text, update
from sqlalchemy.orm import Session

from workspace.search import text as words
from workspace.search.models import SearchEntry

FTS_TABLE = "search_fts"
# The FTS5 table as far as queries need it (its hidden rowid and rank columns).
_fts = table(FTS_TABLE, column("rowid"), column("rank"))


def include_name(name, type_, parent_names) -> bool:
    """For Alembic's comparison of models and database: the FTS5 table and its shadow tables
    (search_fts_data, ...) are the SQLite backend's, not the ORM's."""
    return not (type_ == "table" and name and str(name).startswith(FTS_TABLE))


class SqliteBackend:
    name = "sqlite"

    def store_terms(self, session: Session, rows: list[tuple[int, str, str]]) -> None:
        """(entry id, title, body) of new or reindexed entries: their stems into FTS5."""
        if not rows:
            return
        # An entry reindexed in place keeps its id: its old stems go first.
        session.execute(
            text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"),  # noqa: S608
            [{"id": entry_id} for entry_id, _title, _body in rows],
        )
        session.execute(
            text(f"INSERT INTO {FTS_TABLE} (rowid, terms) VALUES (:id, :terms)"),  # noqa: S608
            [
                {"id": entry_id, "terms": words.stems(title) + " " + words.stems(body)}
                for entry_id, title, body in rows
            ],
        )

    def ranked(self, query, query_words: list[str]):
        """The query narrowed to the entries that have every word (joined with the FTS5
        table, whose bm25 rank then orders them)."""
        expression = words.fts5_match(sorted({words.stem(w) for w in query_words}))
        return query.join(_fts, _fts.c.rowid == SearchEntry.id).where(
            literal_column(FTS_TABLE).op("MATCH")(bindparam("fts_query", expression))
        )

    def best_first(self, query_words: list[str]):
        # FTS5's rank is bm25, lower is better.
        return _fts.c.rank

    def clear(self, session: Session) -> None:
        session.execute(text(f"DELETE FROM {FTS_TABLE}"))  # noqa: S608


class PostgresBackend:
    name = "postgresql"

    def store_terms(self, session: Session, rows: list[tuple[int, str, str]]) -> None:
        if not rows:
            return
        entries = SearchEntry.__table__
        vector = func.setweight(
            func.to_tsvector("italian", entries.c.title), literal_column("'A'")
        ).op("||")(
            func.setweight(
                func.to_tsvector("italian", func.left(entries.c.body, words.INDEXED_CHARS)),
                literal_column("'B'"),
            )
        )
        session.execute(
            update(entries).where(entries.c.id.in_([row[0] for row in rows])).values(terms=vector)
        )

    def ranked(self, query, query_words: list[str]):
        return query.where(SearchEntry.terms.op("@@")(self._tsquery(query_words)))

    def _tsquery(self, query_words: list[str]):
        return func.plainto_tsquery("italian", bindparam("ts_query", " ".join(query_words)))

    def best_first(self, query_words: list[str]):
        return func.ts_rank(SearchEntry.terms, self._tsquery(query_words)).desc()

    def clear(self, session: Session) -> None:
        pass


def backend_for(session: Session):
    dialect = session.connection().dialect.name
    return PostgresBackend() if dialect == "postgresql" else SqliteBackend()
