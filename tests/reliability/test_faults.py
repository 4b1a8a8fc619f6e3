"""Faults (issue 7): a worker killed mid-save, a database locked, cut off or restarted.

Against gunicorn, as in production. Nothing half-written may stay behind, a database that is
away for a while gets a clear Italian answer (503, never a stack trace) that gives back what
was typed, and the app finds the database again by itself once it is back.
"""

import contextlib
import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.reliability import live
from tests.servers import free_port

HERE = Path(__file__).resolve().parent
UNAVAILABLE = "Il database non risponde in questo momento"


def htmx(target: str) -> dict:
    return {"HX-Request": "true", "HX-Target": target}


def wait_for(condition, seconds: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def events_of_revision(db, document_id: int, number: int) -> int:
    from workspace.activity.models import Event

    return db.session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.document_id == document_id, Event.revision_number == number)
    )


# -- A worker killed in the middle of a save ----------------------------------------------------


@pytest.mark.parametrize("backend", live.BACKENDS)
def test_a_worker_killed_while_saving_leaves_no_partial_revision(backend, tmp_path, monkeypatch):
    monkeypatch.setenv("TAVOLO_INSTANCE_PATH", str(tmp_path / "instance"))
    armed, paused = tmp_path / "pause.armed", tmp_path / "paused.pid"
    armed.touch()
    with live.scratch_database(backend, tmp_path) as url:
        seed = live.prepare(url, tmp_path / "instance")
        options = {
            "workers": 2,
            "config_file": HERE / "gunicorn_pause.py",
            "env": {"TAVOLO_TEST_PAUSE_ARMED": str(armed), "TAVOLO_TEST_PAUSED": str(paused)},
        }
        with live.serving(url, tmp_path, **options) as server:
            browser = live.Browser(server.url)
            browser.sign_in(seed.emails[0])
            form = browser.open_editor(seed)
            lost = form["body"].replace(live.paragraph(3), "Paragrafo 3: mai salvato.")

            outcome = {}

            def save_and_die():
                try:
                    outcome["answer"] = browser.post(seed.editor_path, {**form, "body": lost})
                except OSError as error:  # the worker died with the connection open
                    outcome["error"] = error

            saving = threading.Thread(target=save_and_die)
            saving.start()
            wait_for(lambda: paused.exists() and paused.read_text(), what="the paused save")
            os.kill(int(paused.read_text()), signal.SIGKILL)
            saving.join(timeout=30)
            assert "answer" not in outcome, outcome  # the save never answered: it died

            # Nothing of it is in the database: no revision, no event, the head unmoved.
            with live.database(url, tmp_path / "instance") as db:
                facts = live.check_integrity(db, seed.text_id)
                assert facts["revisions"] == 1 and facts["texts"] == [seed.body]
                assert events_of_revision(db, seed.document_id, 2) == 0

            # The next save works (on the other worker, or on the one started instead).
            form = browser.open_editor(seed)
            kept = form["body"].replace(live.paragraph(4), "Paragrafo 4: salvato dopo.")
            answer = browser.post(seed.editor_path, {**form, "body": kept})
            assert answer.status == 302, (answer.status, answer.text[-2000:], server.log())

        with live.database(url, tmp_path / "instance") as db:
            facts = live.check_integrity(db, seed.text_id)
            assert facts["revisions"] == 2 and facts["texts"][-1] == kept
            assert events_of_revision(db, seed.document_id, 2) == 1


# -- SQLite's write lock held past the busy timeout ---------------------------------------------


def test_sqlite_locked_longer_than_the_busy_timeout_gets_503_then_recovers(tmp_path, monkeypatch):
    from workspace.database import sqlite_module

    monkeypatch.setenv("TAVOLO_INSTANCE_PATH", str(tmp_path / "instance"))
    with live.scratch_database("sqlite", tmp_path) as url:
        seed = live.prepare(url, tmp_path / "instance")
        env = {"FLASK_SQLITE_BUSY_TIMEOUT_MS": "200"}
        with live.serving(url, tmp_path, workers=2, env=env) as server:
            browser = live.Browser(server.url)
            browser.sign_in(seed.emails[0])
            form = browser.open_editor(seed)
            typed = form["body"].replace(live.paragraph(2), "Paragrafo 2: scritto col blocco.")
            form = {**form, "body": typed, "summary": "Durante il blocco"}
            new_document = {
                "csrf_token": form["csrf_token"],
                "title": "Verbale di prova",
                "description": "",
                "body": "Testo del nuovo documento, da non perdere.",
            }

            # Another connection holds the write lock, as a long operation elsewhere would.
            lock = sqlite_module().connect(url.removeprefix("sqlite:///"), isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")
            try:
                autosave = browser.post(seed.draft_path, form, headers=htmx("draft-status"))
                save = browser.post(seed.editor_path, form)
                create = browser.post(f"/gruppi/{seed.slug}/documenti/nuovo", new_document)
                reading = browser.get(seed.show_path)
            finally:
                lock.rollback()
                lock.close()

            # The autosave says so in the editor's status region, and tries again by itself.
            assert autosave.status == 503 and autosave.headers["Retry-After"]
            assert "La bozza non è stata salvata, riprovo" in autosave.text
            # The save gives the editor back, with the text as typed and a clear message.
            assert save.status == 503
            assert "Riprova tra qualche secondo" in save.text
            assert live.textarea(save.body, "body") == typed
            # Any other write: a 503 page that gives back what was typed, to send again.
            assert create.status == 503 and create.headers["Retry-After"]
            assert UNAVAILABLE in create.text
            assert new_document["body"] in live.textarea(create.body, "body")
            resend = {
                "csrf_token": live.hidden_input(create.body, "csrf_token"),
                "description": live.hidden_input(create.body, "description"),
                "title": live.textarea(create.body, "title"),
            }
            # Reading needs no write lock.
            assert reading.status == 200
            for answer in (autosave, save, create):
                live.assert_no_stack_trace(answer)

            # The lock is gone: everything works again, without a restart.
            assert browser.post(seed.draft_path, form, headers=htmx("draft-status")).status == 200
            assert browser.post(seed.editor_path, form).status == 302
            # Sent again from the 503 page, as it gives it back.
            resend["body"] = live.textarea(create.body, "body")
            created = browser.post(f"/gruppi/{seed.slug}/documenti/nuovo", resend)
            assert created.status in (302, 303), (created.status, created.text[-2000:])

        with live.database(url, tmp_path / "instance") as db:
            facts = live.check_integrity(db, seed.text_id)
            assert facts["revisions"] == 2 and facts["texts"][-1] == typed


# -- PostgreSQL restarted or out of reach -------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_connections_terminated_are_replaced_without_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TAVOLO_INSTANCE_PATH", str(tmp_path / "instance"))
    with live.scratch_database("postgresql", tmp_path) as url:
        seed = live.prepare(url, tmp_path / "instance")
        name = url.rsplit("/", 1)[1]
        with live.serving(url, tmp_path, workers=2) as server:
            browser = live.Browser(server.url)
            browser.sign_in(seed.emails[0])
            for _ in range(4):  # both workers hold pooled connections
                assert browser.get(seed.show_path).status == 200

            # As a restart of the server does to them (pg_terminate_backend).
            with live.admin_connection() as admin:
                ended = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                ).fetchall()
            assert ended

            for _ in range(4):
                answer = browser.get(seed.show_path)
                assert answer.status == 200, (answer.status, answer.text[-2000:], server.log())
            form = browser.open_editor(seed)
            edited = form["body"].replace(live.paragraph(1), "Paragrafo 1: dopo il riavvio.")
            assert browser.post(seed.editor_path, {**form, "body": edited}).status == 302

        with live.database(url, tmp_path / "instance") as db:
            assert live.check_integrity(db, seed.text_id)["revisions"] == 2


class CuttableProxy:
    """A TCP proxy to PostgreSQL that the test can cut (every connection dropped, new ones
    refused, as while the server restarts) and restore."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        self.listening = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self.listening = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while self.listening is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        listener, self.listening = self.listening, None
        if listener is not None:
            listener.close()
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for end in pair:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()


@pytest.mark.postgres
def test_postgresql_out_of_reach_gets_503_keeps_the_text_and_recovers(tmp_path, monkeypatch):
    monkeypatch.setenv("TAVOLO_INSTANCE_PATH", str(tmp_path / "instance"))
    with live.scratch_database("postgresql", tmp_path) as url:
        seed = live.prepare(url, tmp_path / "instance")
        proxy = CuttableProxy((live.PG_HOST, live.PG_PORT))
        through_proxy = url.replace(f":{live.PG_PORT}/", f":{proxy.port}/")
        try:
            with live.serving(through_proxy, tmp_path, workers=2) as server:
                browser = live.Browser(server.url)
                browser.sign_in(seed.emails[0])
                form = browser.open_editor(seed)
                typed = form["body"].replace(live.paragraph(5), "Paragrafo 5: scritto offline.")
                form = {**form, "body": typed}

                proxy.cut()
                page = browser.get(seed.show_path)
                fragment = browser.get(seed.show_path, headers=htmx("document-content"))
                autosave = browser.post(seed.draft_path, form, headers=htmx("draft-status"))
                save = browser.post(seed.editor_path, form)

                assert page.status == 503 and page.headers["Retry-After"]
                assert UNAVAILABLE in page.text
                assert fragment.status == 503 and fragment.headers["HX-Retarget"] == "#alerts"
                assert UNAVAILABLE in fragment.text and "<html" not in fragment.body
                assert autosave.status == 503
                assert "La bozza non è stata salvata, riprovo" in autosave.text
                # The save's page gives the text back, ready to send again as it was.
                assert save.status == 503 and UNAVAILABLE in save.text
                assert live.textarea(save.body, "body") == typed
                resend = {
                    name: live.hidden_input(save.body, name)
                    for name in ("csrf_token", "editor", "base", "section")
                }
                assert resend["base"] == form["base"] and resend["editor"] == form["editor"]
                for answer in (page, fragment, autosave, save):
                    live.assert_no_stack_trace(answer)

                # Back: the next requests work, without restarting anything.
                proxy.restore()
                assert browser.get(seed.show_path).status == 200
                answer = browser.post(seed.editor_path, {**resend, "body": typed, "summary": ""})
                assert answer.status == 302, (answer.status, answer.text[-2000:], server.log())
                log = server.log()
        finally:
            proxy.cut()
        assert "Traceback" not in log, log

        with live.database(url, tmp_path / "instance") as db:
            facts = live.check_integrity(db, seed.text_id)
            assert facts["revisions"] == 2 and facts["texts"][-1] == typed
            assert db.session.execute(text("SELECT 1")).scalar() == 1
