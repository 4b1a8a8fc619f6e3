"""A real Tavolo for the reliability tests: a scratch database, gunicorn, an HTTP client.

Each test gets a database of its own (a SQLite file, or a PostgreSQL database made for it and
dropped afterwards), with the schema by migration and a group, its people and a document made
through the services; then gunicorn with several workers serves it, as in production.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.servers import answers, free_port, gunicorn_options
from tests.support import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PG_HOST, PG_PORT = "127.0.0.1", 5432
FAST_HASH = "pbkdf2:sha256:1000"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def postgresql_answers() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


def admin_connection():
    """An autocommit connection to PostgreSQL's maintenance database, to create and drop ours."""
    import psycopg

    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres", autocommit=True
    )


@contextmanager
def scratch_database(backend: str, folder: Path):
    """A database URL for one test; a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'tavolo.db'}"
        return
    if not postgresql_answers():
        pytest.skip(f"PostgreSQL does not answer on {PG_HOST}:{PG_PORT}")
    name = "tavolo_reliability_" + secrets.token_hex(4)
    with admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_for(database_url: str, instance: Path):
    os.environ["TAVOLO_INSTANCE_PATH"] = str(instance)
    from workspace import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "reliability-" + secrets.token_hex(8),
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PASSWORD_HASH_METHOD": FAST_HASH,
            "MAIL_OUTBOX": True,
        }
    )


@dataclass
class Seed:
    slug: str
    document_id: int
    text_id: int
    body: str
    emails: list[str] = field(default_factory=list)

    @property
    def editor_path(self) -> str:
        return f"/gruppi/{self.slug}/documenti/{self.document_id}/modifica"

    @property
    def draft_path(self) -> str:
        return f"/gruppi/{self.slug}/documenti/{self.document_id}/bozza"

    @property
    def show_path(self) -> str:
        return f"/gruppi/{self.slug}/documenti/{self.document_id}"


def paragraph(number: int) -> str:
    return f"Paragrafo {number}: il testo che tutti leggono all'inizio."


CONTESTED = "Riga contesa: la durata degli incontri è di un'ora."


def document_body(paragraphs: int) -> str:
    parts = ["# Linee guida", CONTESTED, *(paragraph(n) for n in range(paragraphs))]
    return "\n\n".join(parts) + "\n"


def prepare(database_url: str, instance: Path, *, people: int = 1, paragraphs: int = 30) -> Seed:
    """The schema by migration, then a group with ``people`` operators and one document."""
    import flask_migrate

    from workspace.accounts.service import hash_password
    from workspace.directory.models import Scope, Service
    from workspace.documents import service as documents
    from workspace.extensions import db
    from workspace.groups.models import Group, GroupRole, Membership
    from workspace.people.models import Role
    from workspace.people.service import create_person

    app = app_for(database_url, instance)
    with app.app_context():
        flask_migrate.upgrade()
        service = Service(
            name="Spazio neutro di prova",
            district="Ambito di prova",
            health_authority="1",
            scope=Scope.PROVINCIAL,
            position=1,
        )
        db.session.add(service)
        group = Group(slug="linee-guida", name="Linee guida", purpose="Per lavorare insieme.")
        db.session.add(group)
        users = []
        for number in range(people):
            user = create_person(
                email=f"operatrice{number}@comune.example.it",
                name=f"Operatrice {number}",
                role=Role.OPERATOR,
                password_hash=hash_password(PASSWORD),
                service=service,
            )
            users.append(user)
            db.session.add(Membership(group=group, user=user, role=GroupRole.MEMBER))
        db.session.commit()
        body = document_body(paragraphs)
        document = documents.create_document(
            group, title="Linee guida", description="", body=body, author=users[0]
        )
        seed = Seed(group.slug, document.id, document.text_id, body, [u.email for u in users])
        db.session.remove()
        db.engine.dispose()
    return seed


@contextmanager
def database(database_url: str, instance: Path):
    """An app context on the database, to look at what the server stored."""
    from workspace.extensions import db

    app = app_for(database_url, instance)
    with app.app_context():
        try:
            yield db
        finally:
            db.session.remove()
            db.engine.dispose()


class Server:
    """gunicorn with ``workers`` sync workers on the database; stopped by the pid it started."""

    def __init__(
        self,
        database_url: str,
        workdir: Path,
        *,
        workers: int = 4,
        config_file: Path | None = None,
        env: dict | None = None,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "gunicorn.log"
        environment = {
            **os.environ,
            "SECRET_KEY": "reliability-" + secrets.token_hex(16),
            "PUBLIC_URL": self.url,
            "DATABASE_URL": database_url,
            "TAVOLO_INSTANCE_PATH": str(workdir / "instance"),
            **(env or {}),
        }
        for name in ("TEST_DATABASE_URL", "FLASK_TESTING", "FLASK_DEBUG"):
            environment.pop(name, None)
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            *gunicorn_options(),
        ]
        if config_file is not None:
            command += ["-c", str(config_file)]
        command.append("workspace:create_app()")
        with self.log_path.open("w") as log_file:
            self.process = subprocess.Popen(
                command, env=environment, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT
            )
        self.wait_until_healthy()

    def wait_until_healthy(self, seconds: float = 60) -> None:
        if not answers(self.url, self.process, seconds):
            raise RuntimeError(f"gunicorn did not answer in {seconds} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def serving(database_url: str, workdir: Path, **options):
    server = Server(database_url, workdir, **options)
    try:
        yield server
    finally:
        server.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Answer:
    status: int
    headers: dict
    body: str

    @property
    def text(self) -> str:
        return unescape(self.body)


class Browser:
    """A session over real HTTP: cookies kept, redirects not followed."""

    def __init__(self, base: str, cookies: CookieJar | None = None):
        self.base = base
        self.jar = CookieJar()
        for cookie in cookies or ():
            self.jar.set_cookie(cookie)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def copy(self) -> "Browser":
        """Another browser with the same session (the cookie is the whole session)."""
        return Browser(self.base, self.jar)

    def request(
        self, path: str, data: dict | None = None, headers: dict | None = None, timeout=60
    ) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=timeout) as answer:
                return Answer(answer.status, dict(answer.headers), answer.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read().decode())

    def get(self, path: str, **options) -> Answer:
        return self.request(path, **options)

    def post(self, path: str, data: dict, **options) -> Answer:
        return self.request(path, data, **options)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        page = self.get("/accedi")
        answer = self.post(
            "/accedi",
            {
                "csrf_token": hidden_input(page.body, "csrf_token"),
                "email": email,
                "password": password,
            },
        )
        assert answer.status in (302, 303), (answer.status, answer.text[:2000])

    def open_editor(self, seed: Seed) -> dict:
        """The editor form as the page gives it: the hidden fields and the text."""
        page = self.get(seed.editor_path)
        assert page.status == 200, (page.status, page.text[:2000])
        return {
            "csrf_token": hidden_input(page.body, "csrf_token"),
            "editor": hidden_input(page.body, "editor"),
            "base": hidden_input(page.body, "base"),
            "section": hidden_input(page.body, "section"),
            "summary": "",
            "body": textarea(page.body, "body"),
        }


def hidden_input(page: str, name: str) -> str:
    for tag in re.findall(r"<input[^>]*>", page):
        if re.search(rf'name="{name}"', tag):
            value = re.search(r'value="([^"]*)"', tag)
            return unescape(value.group(1)) if value else ""
    raise AssertionError(f"no input {name!r} on the page:\n{page[:3000]}")


def textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name!r} on the page"
    return unescape(match.group(1))


def assert_no_stack_trace(answer: Answer) -> None:
    for sign in ("Traceback", "sqlalchemy", "psycopg", "OperationalError", "werkzeug"):
        assert sign not in answer.body, (sign, answer.body[:3000])


def check_integrity(db, text_id: int) -> dict:
    """The database's own check, then the revisions of the text: numbered 1..head without
    gaps or duplicates, the head the newest, every revision readable. Returns the counts."""
    from sqlalchemy import func, select, text

    from workspace.revisions import service as revisions
    from workspace.revisions.models import Revision, VersionedText

    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA integrity_check")).scalars().all() == ["ok"]
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
    versioned = db.session.get(VersionedText, text_id)
    numbers = db.session.scalars(
        select(Revision.number).where(Revision.text_id == text_id).order_by(Revision.number)
    ).all()
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    assert versioned.head == len(numbers)
    latest = db.session.scalar(select(func.max(Revision.number)).where(Revision.text_id == text_id))
    assert latest == versioned.head
    texts = [entry.text for entry in revisions.history(versioned)]
    assert len(texts) == len(numbers)
    assert texts[-1] == revisions.text_at(versioned, versioned.head)
    return {"revisions": len(numbers), "texts": texts}
