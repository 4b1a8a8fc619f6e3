"""Documents: versioned texts of a group, co-edited, compared, approved."""

from flask import Flask


def _panel_context(access) -> dict:
    from workspace.documents.service import documents_of

    return {"documents": documents_of(access.group)}


def init_app(app: Flask) -> None:
    from workspace.documents.routes import bp
    from workspace.groups.panels import Panel, register_panel

    app.register_blueprint(bp)
    register_panel(app, Panel("documents", "documents/_panel.html", _panel_context, order=10))
