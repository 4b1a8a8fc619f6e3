"""Fixtures in the flaskr style: app, client, runner, factories returning callables, auth.

The schema is made once per session by running the migrations (so they are tested too); each
test then starts from empty tables. TEST_DATABASE_URL picks PostgreSQL; SQLite otherwise.
"""

import contextvars
import os
import secrets

import flask_migrate
import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.support import PASSWORD
from workspace import create_app
from workspace.directory.models import Scope, Service
from workspace.extensions import db
from workspace.groups.models import Group, GroupRole, Membership
from workspace.people.models import Role
from workspace.people.service import create_person

FAST_HASH = "pbkdf2:sha256:1000"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


def _settings(database_url: str, **extra) -> dict:
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-" + secrets.token_hex(8),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "MAIL_SERVER": None,
        "MAIL_OUTBOX": True,
        "SERVER_NAME": "tavolo.test",
        # Coordinators sign in with a password only here; tests/test_two_factor.py checks
        # the production default (["coordinator"]).
        "TWO_FACTOR_REQUIRED_ROLES": [],
    }
    settings.update(extra)
    return settings


class IsolatedClient(FlaskClient):
    """Each request runs in a context of its own, as it does in production.

    Tests keep an app context open for their factories; without this, every request would
    reuse it, and ``g`` (the signed-in user, the chosen language) and the session's identity
    map would carry over from one request to the next, hiding real bugs.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()  # the test's writes are visible, its transaction is over
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.rollback()  # and the test reads what the request wrote
        return response


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    app = create_app(_settings(url))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def make_app(database_url, tmp_path, monkeypatch):
    """Build an app on the test database with extra settings; tables are emptied afterwards."""
    monkeypatch.setenv("TAVOLO_INSTANCE_PATH", str(tmp_path / "instance"))
    for name in ("SECRET_KEY", "DATABASE_URL", "MAIL_SERVER", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    built = []

    def _make(**extra):
        app = create_app(_settings(database_url, **extra))
        app.test_client_class = IsolatedClient
        built.append(app)
        return app

    yield _make
    for app in built:
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())
            db.engine.dispose()


@pytest.fixture
def open_app(tmp_path, monkeypatch):
    """Open an app on another database URL (a backup's target, a scratch database), with extra
    settings; its engine is closed at the end and its tables are left as they are."""
    monkeypatch.setenv("TAVOLO_INSTANCE_PATH", str(tmp_path / "instance"))
    for name in ("SECRET_KEY", "DATABASE_URL", "MAIL_SERVER", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    opened = []

    def _open(url, **extra):
        app = create_app(_settings(url, **extra))
        app.test_client_class = IsolatedClient
        opened.append(app)
        return app

    yield _open
    for app in opened:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_service(app):
    counter = {"n": 0}

    def _make(name=None, district=None, scope=Scope.PROVINCIAL, health_authority="1"):
        counter["n"] += 1
        service = Service(
            name=name or f"Spazio neutro di prova {counter['n']}",
            district=district or f"Ambito {counter['n']}",
            health_authority=health_authority,
            scope=scope,
            position=counter["n"],
        )
        db.session.add(service)
        db.session.commit()
        return service

    return _make


@pytest.fixture
def make_user(app, make_service):
    counter = {"n": 0}

    def _make(
        role=Role.OPERATOR,
        *,
        name=None,
        email=None,
        service=None,
        organisation=None,
        password=PASSWORD,
        active=True,
        locale="it",
    ):
        counter["n"] += 1
        role = Role(role)
        if service is None and role == Role.OPERATOR:
            service = make_service()
        if role == Role.EXTERNAL and organisation is None:
            organisation = "Coordinamento affidi"
        from workspace.accounts.service import hash_password

        user = create_person(
            email=email or f"persona{counter['n']}@comune.example.it",
            name=name or f"Persona {counter['n']}",
            role=role,
            password_hash=hash_password(password),
            service=service,
            organisation=organisation,
            locale=locale,
        )
        user.active = active
        db.session.commit()
        return user

    return _make


@pytest.fixture
def make_group(app):
    counter = {"n": 0}

    def _make(name=None, *, members=(), leads=(), is_joint=False, purpose="Per lavorare insieme."):
        counter["n"] += 1
        name = name or f"Gruppo {counter['n']}"
        group = Group(slug=f"gruppo-{counter['n']}", name=name, purpose=purpose, is_joint=is_joint)
        db.session.add(group)
        for user in leads:
            db.session.add(Membership(group=group, user=user, role=GroupRole.LEAD))
        for user in members:
            db.session.add(Membership(group=group, user=user, role=GroupRole.MEMBER))
        db.session.commit()
        return group

    return _make


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user_or_email, password=PASSWORD, remember=False):
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return self._client.post("/accedi", data=data)

    def logout(self):
        return self._client.post("/esci")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login_as(client, auth, make_user):
    """Sign in a new person with the given role and return them."""

    def _login(role=Role.OPERATOR, **kwargs):
        user = make_user(role, **kwargs)
        response = auth.login(user)
        assert response.status_code == 302, response.data
        return user

    return _login


@pytest.fixture
def outbox(app):
    """The messages written to instance/outbox/, oldest first, as parsed e-mails."""
    from email import message_from_bytes, policy
    from pathlib import Path

    folder = Path(app.instance_path) / "outbox"

    def _read():
        if not folder.exists():
            return []
        return [
            message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(folder.glob("*.eml"))
        ]

    return _read
