"""Documents: versioned texts of a group, co-edited, compared, approved."""

from flask import Flask


def _panel_context(access) -> dict:
    from workspace.documents.service import documents_of

    return {"documents": documents_of(access.group)}


def document_trail(document, link: bool = True) -> list[tuple[str, str | None]]:
    """The breadcrumbs up to a document: its group's, or its owner's (the meeting)."""
    from flask import url_for
    from flask_babel import gettext as _

    from workspace.documents import owners

    owner = owners.owner_of(document)
    if owner is not None:
        return owner.trail(document, link)
    group = document.group
    url = url_for("documents.show", slug=group.slug, document_id=document.id) if link else None
    return [
        (_("Gruppi"), url_for("groups.index")),
        (group.name, url_for("groups.show", slug=group.slug)),
        (document.title, url),
    ]


def init_app(app: Flask) -> None:
    from workspace.documents import owners
    from workspace.documents.routes import bp, change_rule, draft_not_kept
    from workspace.errors import register_unavailable_fragment
    from workspace.groups.panels import Panel, register_panel

    app.register_blueprint(bp)
    register_unavailable_fragment(app, "draft-status", draft_not_kept)
    app.add_template_global(document_trail)
    app.add_template_global(owners.notes_about, "document_notes")
    app.add_template_global(change_rule, "document_rule")
    register_panel(app, Panel("documents", "documents/_panel.html", _panel_context, order=10))
