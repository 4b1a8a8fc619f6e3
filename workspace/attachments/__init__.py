"""Files attached to messages: checked from their content, stored in the database or a shared
folder, served only to those who may read the message."""

from flask import Flask


def _limits() -> dict:
    from workspace.attachments import service

    return {"files": service.MAX_PER_MESSAGE, "size": service.size_label(service.max_bytes())}


def init_app(app: Flask) -> None:
    from workspace.attachments import content, service
    from workspace.attachments.routes import bp

    app.register_blueprint(bp)
    app.jinja_env.filters["attachment_kind"] = service.kind_label
    app.jinja_env.filters["file_size"] = service.size_label
    app.jinja_env.globals["attachment_limits"] = _limits
    app.jinja_env.globals["attachment_accept"] = ",".join(
        [*content.ALLOWED, *(ext for exts in content.EXTENSIONS.values() for ext in exts)]
    )
