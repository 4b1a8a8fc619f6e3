"""Settings a deployment needs: PUBLIC_URL, TRUSTED_HOSTS, the proxy, the outbox, old SQLite."""

import logging
import sqlite3
import types

import pytest

from workspace import create_app
from workspace.config import apply_plain_environment

PRODUCTION = {
    "SECRET_KEY": "a-real-secret-for-this-test",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "PUBLIC_URL": "https://tavolo.provincia.example.it",
}


@pytest.fixture(autouse=True)
def _clean_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TAVOLO_INSTANCE_PATH", str(tmp_path))
    for name in ("SECRET_KEY", "DATABASE_URL", "MAIL_SERVER", "PUBLIC_URL", "TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)


def test_public_url_is_required_outside_debug_and_tests():
    settings = dict(PRODUCTION, PUBLIC_URL=None)
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app(settings)
    assert create_app(dict(settings, TESTING=True)).testing
    assert create_app(PRODUCTION).config["PUBLIC_URL"] == "https://tavolo.provincia.example.it"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://tavolo.example.it/", "https://tavolo.example.it"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("https://www.example.it/tavolo/", "https://www.example.it/tavolo"),
    ],
)
def test_public_url_spellings(given, kept):
    assert create_app(dict(PRODUCTION, PUBLIC_URL=given)).config["PUBLIC_URL"] == kept


@pytest.mark.parametrize("bad", ["tavolo.example.it", "ftp://tavolo.example.it", "https://"])
def test_a_public_url_that_is_not_one_is_refused(bad):
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app(dict(PRODUCTION, PUBLIC_URL=bad))


def test_plain_environment_for_hosts_and_proxy():
    config = {}
    apply_plain_environment(
        config,
        {
            "PUBLIC_URL": "https://tavolo.example.it",
            "TRUSTED_HOSTS": "tavolo.example.it, .example.it",
            "PROXY_FIX_X_FOR": "1",
            "PROXY_FIX_X_PROTO": "2",
        },
    )
    assert config == {
        "PUBLIC_URL": "https://tavolo.example.it",
        "TRUSTED_HOSTS": ["tavolo.example.it", ".example.it"],
        "PROXY_FIX_X_FOR": 1,
        "PROXY_FIX_X_PROTO": 2,
    }


def test_proxy_fix_is_off_by_default_and_on_when_asked():
    from werkzeug.middleware.proxy_fix import ProxyFix

    assert not isinstance(create_app(PRODUCTION).wsgi_app, ProxyFix)
    fixed = create_app(dict(PRODUCTION, PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1)).wsgi_app
    assert isinstance(fixed, ProxyFix)
    assert (fixed.x_for, fixed.x_proto, fixed.x_host) == (1, 1, 0)


@pytest.mark.parametrize(
    ("settings", "outbox"),
    [
        ({}, True),  # no SMTP server: the outbox is the only place mail goes
        ({"MAIL_SERVER": "smtp.example.it"}, False),
        ({"MAIL_SERVER": "smtp.example.it", "TESTING": True}, True),
        ({"MAIL_SERVER": "smtp.example.it", "DEBUG": True}, True),
        ({"MAIL_SERVER": "smtp.example.it", "MAIL_OUTBOX": True}, True),
        ({"MAIL_OUTBOX": False}, False),
    ],
)
def test_mail_outbox_default(settings, outbox):
    assert create_app(dict(PRODUCTION, **settings)).config["MAIL_OUTBOX"] is outbox


def _sqlite_reporting(version: tuple[int, int, int]):
    module = types.ModuleType("old_sqlite3")
    module.__dict__.update(vars(sqlite3))
    module.sqlite_version_info = version
    module.sqlite_version = ".".join(map(str, version))
    return module


def test_an_old_sqlite_library_is_reported_at_start_up(caplog):
    old = _sqlite_reporting((3, 45, 1))
    with caplog.at_level(logging.WARNING, logger="workspace.database"):
        create_app(dict(PRODUCTION, SQLALCHEMY_ENGINE_OPTIONS={"module": old}))
    assert "SQLite 3.45.1 is older than 3.51.3" in caplog.text


def test_a_fixed_sqlite_library_is_not_reported(caplog):
    new = _sqlite_reporting((3, 51, 3))
    with caplog.at_level(logging.WARNING, logger="workspace.database"):
        create_app(dict(PRODUCTION, SQLALCHEMY_ENGINE_OPTIONS={"module": new}))
    assert "older than" not in caplog.text
