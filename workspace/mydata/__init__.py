"""Personal data (GDPR): a signed-in person downloads, as one JSON file, everything Tavolo holds
about them: account, memberships, preferences, what they wrote and what was assigned to them,
their notifications and their own entries in the audit log."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workspace.mydata.routes import bp

    app.register_blueprint(bp)
