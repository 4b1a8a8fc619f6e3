"""The set-up contract: configuration layers, refusal of the default key, the database engine."""

import gettext
import io
import shutil
import subprocess
import sys
import zipfile

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from workspace import create_app
from workspace.config import DEV_SECRET_KEY, normalise_database_url
from workspace.database import MINIMUM_SQLITE, sqlite_version_in_use
from workspace.extensions import db
from workspace.search.backends import include_name


def test_testing_config(app):
    assert app.testing


def test_refuses_default_secret_key_outside_debug_and_testing(tmp_path, monkeypatch):
    monkeypatch.setenv("TAVOLO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError):
        create_app({"SECRET_KEY": DEV_SECRET_KEY, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).testing


def test_layers_instance_file_then_environment_then_test_config(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text(
        'SECRET_KEY = "from-instance"\nMAIL_DEFAULT_SENDER = "instance@x"\n'
        'PUBLIC_URL = "https://instance.example"\n'
    )
    monkeypatch.setenv("TAVOLO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FLASK_MAIL_DEFAULT_SENDER", "env@x")
    monkeypatch.setenv("DATABASE_URL", "postgres://someone@db.example/tavolo")
    app = create_app({"PUBLIC_URL": "https://test.example/"})
    assert app.config["SECRET_KEY"] == "from-instance"
    assert app.config["MAIL_DEFAULT_SENDER"] == "env@x"
    assert app.config["PUBLIC_URL"] == "https://test.example"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.example/tavolo"


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TAVOLO_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'tavolo.db'}"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_spellings(given, used):
    assert normalise_database_url(given) == used


def test_sqlite_engine_is_fixed_version_with_wal_and_foreign_keys(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite checks: this run uses " + db.engine.dialect.name)
    assert sqlite_version_in_use() >= MINIMUM_SQLITE
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_postgresql_uses_psycopg3(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL checks: set TEST_DATABASE_URL to run them")
    assert db.engine.dialect.driver == "psycopg"
    assert db.session.execute(text("select 1")).scalar() == 1


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        # The same filter as migrations/env.py: SQLite's FTS5 search table is not a model.
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_upgrade_on_an_existing_database_keeps_data(make_app, runner, make_user):
    user = make_user()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert db.session.get(type(user), user.id).email == user.email


def test_health_endpoint(client):
    response = client.get("/salute")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


@pytest.mark.slow
def test_built_wheel_carries_templates_static_migrations_and_catalogues(tmp_path):
    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    # A clean checkout: no compiled catalogues, no build leftovers, no virtualenv.
    source = tmp_path / "source"
    shutil.copytree(
        root,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "build",
            "dist",
            "*.egg-info",
            "*.mo",
            "__pycache__",
            "instance",
            ".hypothesis",
            ".ruff_cache",
            ".pytest_cache",
            "test-artifacts",
            "bench",
        ),
    )
    assert not list(source.rglob("*.mo"))
    wheels = tmp_path / "wheels"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0 and "setuptools" in result.stderr and "No module" in result.stderr:
        pytest.skip("setuptools not available to build a wheel offline")
    assert result.returncode == 0, result.stderr
    wheel = next(wheels.glob("tavolo-*.whl"))
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    assert "workspace/templates/base.html" in names
    assert "workspace/static/css/tavolo.css" in names
    assert "workspace/migrations/env.py" in names
    assert any(n.startswith("workspace/migrations/versions/") for n in names)
    mo = "workspace/translations/en/LC_MESSAGES/messages.mo"
    assert mo in names
    # A real catalogue: the English of a sentence every visitor sees.
    catalogue = gettext.GNUTranslations(io.BytesIO(archive.read(mo)))
    assert catalogue.gettext("Accedi a Tavolo") == "Sign in to Tavolo"
