"""Tavolo: the shared workspace of the Spazio Neutro coordination table.

``create_app`` is the only entry point: configuration is layered defaults -> ``instance/config.py``
-> environment -> ``test_config``; nothing runs at import time.
"""

import os
from pathlib import Path

from flask import Flask

from workspace import config as default_config

PACKAGE_DIR = Path(__file__).resolve().parent


def _asset_folder(name: str) -> str:
    """Top-level folder in a checkout or editable install, bundled copy in a built wheel."""
    in_checkout = PACKAGE_DIR.parent / name
    if in_checkout.is_dir():
        return str(in_checkout)
    return str(PACKAGE_DIR / name)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("TAVOLO_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=_asset_folder("templates"),
        static_folder=_asset_folder("static"),
    )
    app.config.from_object(default_config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    default_config.apply_plain_environment(app.config, os.environ)
    if test_config is not None:
        app.config.from_mapping(test_config)
    default_config.finalise(app)

    from workspace import assets, extensions, i18n, models, security
    from workspace.database import init_database
    from workspace.errors import register_error_handlers

    init_database(app)
    extensions.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    del models  # imported so that every table is known to the ORM and to Alembic
    register_error_handlers(app)

    from workspace import cli
    from workspace.accounts.routes import bp as accounts_bp
    from workspace.directory.routes import bp as directory_bp
    from workspace.groups.routes import bp as groups_bp
    from workspace.home.routes import bp as home_bp
    from workspace.invitations.routes import bp as invitations_bp
    from workspace.people.routes import bp as people_bp
    from workspace.twofactor.routes import bp as twofactor_bp

    for blueprint in (
        home_bp,
        accounts_bp,
        invitations_bp,
        people_bp,
        directory_bp,
        groups_bp,
        twofactor_bp,
    ):
        app.register_blueprint(blueprint)
    from workspace import (
        activity,
        archive,
        attachments,
        audit,
        backups,
        discussions,
        documents,
        meetings,
        mydata,
        notifications,
        overview,
        search,
        throttling,
    )
    from workspace.accounts import expired

    expired.init_app(app)
    documents.init_app(app)
    notifications.init_app(app)
    discussions.init_app(app)
    meetings.init_app(app)
    search.init_app(app)
    activity.init_app(app)
    overview.init_app(app)
    audit.init_app(app)
    attachments.init_app(app)
    archive.init_app(app)
    backups.init_app(app)
    mydata.init_app(app)
    cli.init_app(app)
    throttling.init_app(app)  # after every blueprint: it limits views by endpoint name
    if app.config.get("BENCH_BARE_ENDPOINT"):  # bench/run.py only, never by default
        from workspace import bench_support

        bench_support.init_app(app)
    return app
