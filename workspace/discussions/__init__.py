"""Discussions: the threads of a group, their messages, mentions and who read what."""

from flask import Flask

PANEL_THREADS = 5


def _panel_context(access) -> dict:
    from flask_login import current_user

    from workspace.discussions.service import threads_page

    pagination, rows = threads_page(
        access.group, current_user, 1, per_page=PANEL_THREADS, participants=False
    )
    return {"rows": rows, "total": pagination.total}


def init_app(app: Flask) -> None:
    from workspace.discussions.routes import bp
    from workspace.groups.panels import Panel, register_panel

    app.register_blueprint(bp)
    register_panel(app, Panel("discussions", "discussions/_panel.html", _panel_context, order=20))
