"""The coordination overview (open actions, minutes and documents awaiting approval) and a
document's change history at a glance (edits over time, contributions by service)."""

from flask import Flask


def document_charts(document):
    """The charts next to a document's history: two aggregate queries, no texts read."""
    from workspace.overview import service

    return service.document_charts(document)


def init_app(app: Flask) -> None:
    from workspace.overview.routes import bp

    app.register_blueprint(bp)
    app.add_template_global(document_charts)
