"""A group's archive: a coordinator downloads everything a group wrote (documents with their
whole history, discussions, meetings and minutes) as Markdown and JSON in one zip file."""

from flask import Flask


def init_app(app: Flask) -> None:
    from workspace.archive.routes import bp

    app.register_blueprint(bp)
