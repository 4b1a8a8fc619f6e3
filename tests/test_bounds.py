"""Costly endpoints stay bounded: search stops a statement that runs away (both databases) and
says so in Italian; its input is capped; the diff engine answers large unrelated texts fast."""

import random
import string
import time

import pytest
from sqlalchemy import text as sql

from tests.support import PASSWORD, htmx, text
from workspace.discussions import service as discussions
from workspace.extensions import db
from workspace.people.models import Role
from workspace.search import backends, service
from workspace.search import text as search_text
from workspace.search.deadline import SearchTimeout, time_limit
from workspace.texts.diff import diff

# Counts to a hundred million: seconds on either database, unless something stops it.
SLOW = (
    "(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100000000) "
    "SELECT count(*) FROM c)"
)


def test_a_runaway_statement_is_stopped_and_the_session_goes_on(app):
    started = time.monotonic()
    with pytest.raises(SearchTimeout), time_limit(db.session, 50):
        db.session.execute(sql(f"SELECT {SLOW}"))  # noqa: S608 (a constant)
    assert time.monotonic() - started < 5
    assert db.session.execute(sql("SELECT 1")).scalar() == 1


def test_a_quick_statement_is_untouched_and_the_setting_put_back(app):
    with time_limit(db.session, 5_000):
        assert db.session.execute(sql("SELECT 2")).scalar() == 2
    if db.engine.dialect.name == "postgresql":
        # Only the search's statements had the limit.
        assert db.session.execute(sql("SHOW statement_timeout")).scalar() in ("0", "0ms")
    # No limit at all: nothing is installed.
    with time_limit(db.session, None):
        assert db.session.execute(sql("SELECT 3")).scalar() == 3


def test_other_database_errors_are_not_taken_for_a_timeout(app):
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError), time_limit(db.session, 5_000):
        db.session.execute(sql("SELECT * FROM no_such_table"))
    db.session.rollback()


@pytest.fixture
def slow_search(monkeypatch):
    """Every search statement also has to count to a hundred million."""
    for backend in (backends.SqliteBackend, backends.PostgresBackend):
        original = backend.ranked

        def ranked(self, query, query_words, original=original):
            return original(self, query, query_words).where(sql(f"{SLOW} > 0"))

        monkeypatch.setattr(backend, "ranked", ranked)


@pytest.fixture
def searcher(make_app, make_user, make_group):
    def _make(**settings):
        app = make_app(**settings)
        anna = make_user(Role.OPERATOR)
        group = make_group(members=[anna])
        discussions.open_thread(group, author=anna, title="Diario", body="Genitori e figli.")
        client = app.test_client()
        response = client.post("/accedi", data={"email": anna.email, "password": PASSWORD})
        assert response.status_code == 302
        return client

    return _make


def test_a_search_that_takes_too_long_is_answered_in_italian(searcher, slow_search):
    client = searcher(SEARCH_TIMEOUT_MS=50)
    started = time.monotonic()
    response = client.get("/cerca", query_string={"q": "genitori"})
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    page = text(response)
    assert "La ricerca richiede troppo tempo: prova parole più precise." in page
    assert 'value="genitori"' in page  # what was typed stays in the field
    assert 'aria-invalid="true"' in page
    fragment = client.get("/cerca", query_string={"q": "genitori"}, headers=htmx("search-results"))
    assert fragment.status_code == 503
    body = text(fragment)
    assert "<html" not in body
    assert 'id="search-results"' in body
    assert 'hx-swap-oob="true"' in body  # the message goes next to the field
    assert "La ricerca richiede troppo tempo" in body


def test_the_same_search_within_its_time_finds(searcher):
    client = searcher(SEARCH_TIMEOUT_MS=5_000)
    response = client.get("/cerca", query_string={"q": "genitori"})
    assert response.status_code == 200
    assert "Diario" in text(response)


def test_search_input_is_capped(searcher):
    client = searcher()
    # Too many characters: refused next to the field, nothing searched.
    long = client.get("/cerca", query_string={"q": "genitori " * 40})
    assert "Al massimo 200 caratteri" in text(long)
    # Words beyond the sixteenth are not searched; any page number is clamped.
    assert len(search_text.query_words(" ".join(f"parola{n}" for n in range(100)))) == 16
    for page in ("99999", "9" * 40, "-1", "x"):
        response = client.get("/cerca", query_string={"q": "genitori", "pagina": page})
        assert response.status_code == 200
        assert "Diario" in text(response)
    assert service.MAX_PAGES * service.PER_PAGE <= 1_000


def _unrelated_text(lines: int, seed: int) -> str:
    rng = random.Random(seed)
    alphabet = string.ascii_letters + "     "
    return "".join("".join(rng.choices(alphabet, k=50)) + "\n" for _ in range(lines))


def test_two_unrelated_100_kb_texts_compare_quickly():
    old, new = _unrelated_text(2_000, 1), _unrelated_text(2_000, 2)
    assert len(old) >= 100_000
    started = time.monotonic()
    result = diff(old, new)
    elapsed = time.monotonic() - started
    assert not result.identical
    assert elapsed < 2, elapsed  # about 25 ms measured; generous for a busy machine


def test_texts_at_the_document_size_limit_compare_in_bounded_time():
    from workspace.documents.service import MAX_DOCUMENT_CHARS

    old = _unrelated_text(MAX_DOCUMENT_CHARS // 51, 3)
    lines = old.splitlines(keepends=True)
    other = _unrelated_text(len(lines), 4).splitlines(keepends=True)
    # Every other line changed: the worst shape for the line matcher.
    new = "".join(a if n % 2 else b for n, (a, b) in enumerate(zip(lines, other, strict=True)))
    started = time.monotonic()
    result = diff(old, new)
    elapsed = time.monotonic() - started
    assert result.opcodes and not result.identical
    assert elapsed < 15, elapsed  # about 1.3 s measured
