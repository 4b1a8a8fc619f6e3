"""Meetings: scheduling and series, agenda, attendance, shared minutes with their lifecycle,
decisions, actions, calendars. The minutes are documents of kind "minutes": this package
registers itself as their owner (who reads them, when they may change, where they sit)."""

from flask import Flask, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _


def _panel_context(access) -> dict:
    from workspace.meetings import service

    return {
        "meetings": service.meetings_of(access.group, past=False, limit=5),
        "open_actions": len(service.open_actions(access.group)),
    }


def _minutes_of(document, user):
    """The meeting of some minutes and the person's access to it, once per request: every
    page of the minutes asks for them several times (access, trail, rule, notes)."""
    from flask import g

    from workspace.meetings import service
    from workspace.meetings.access import meeting_access

    cache = g.setdefault("minutes_meetings", {})
    key = (document.id, getattr(user, "id", None))
    if key not in cache:
        meeting = service.meeting_of_minutes(document)
        cache[key] = (meeting, meeting_access(meeting, user) if meeting is not None else None)
    return cache[key]


def _minutes_access(document, user):
    meeting, access = _minutes_of(document, user)
    return access.group_access if access is not None else None


def _minutes_rule(document, user):
    from workspace.documents.owners import ChangeRule

    meeting, access = _minutes_of(document, user)
    if access is None:
        return ChangeRule(allowed=False, message=_("Non puoi modificare questo verbale."))
    if meeting.is_cancelled:
        return ChangeRule(allowed=False, message=_("L'incontro è stato annullato."))
    if meeting.minutes_locked:
        if access.can_manage:
            return ChangeRule(reason_required=True)
        return ChangeRule(
            allowed=False,
            message=_(
                "Il verbale è approvato e chiuso: solo chi guida il gruppo può correggerlo, "
                "indicando il motivo."
            ),
        )
    return ChangeRule()


def _minutes_trail(document, link: bool):
    from flask_login import current_user

    meeting, access = _minutes_of(document, current_user)
    group = meeting.group
    label = meeting.title + " · " + format_datetime(meeting.starts_at, "d MMMM y")
    trail = [(label, url_for("meetings.show", slug=group.slug, meeting_id=meeting.id))]
    if access is not None and not access.guest_only:
        trail = [
            (_("Gruppi"), url_for("groups.index")),
            (group.name, url_for("groups.show", slug=group.slug)),
            (_("Incontri"), url_for("meetings.index", slug=group.slug)),
            *trail,
        ]
    url = url_for("documents.show", slug=group.slug, document_id=document.id) if link else None
    return [*trail, (_("Verbale"), url)]


def _document_notes(document) -> list[dict]:
    """On a document: "approved at the meeting of ...", and on minutes, their state."""
    from workspace.meetings import service
    from workspace.meetings.models import MinutesStatus

    notes = []
    if document.kind == service.MINUTES:
        from flask_login import current_user

        meeting, _access = _minutes_of(document, current_user)
        url = url_for("meetings.show", slug=meeting.group.slug, meeting_id=meeting.id)
        if meeting.minutes_status == MinutesStatus.APPROVED:
            text = _("Verbale approvato (versione %(n)d).", n=meeting.approved_revision or 0)
            tone = "ok"
        elif meeting.minutes_status == MinutesStatus.CIRCULATED:
            text, tone = _("Verbale in visione ai partecipanti: commenti e correzioni."), "info"
        else:
            text, tone = _("Verbale in bozza."), "info"
        notes.append({"text": text, "url": url, "link": _("Vai all'incontro"), "tone": tone})
        return notes
    for decision in service.decisions_about(document):
        meeting = decision.meeting
        notes.append(
            {
                "text": _(
                    "Versione %(n)d: «%(decision)s», all'incontro del %(when)s.",
                    n=decision.revision_number or 0,
                    decision=decision.text,
                    when=format_datetime(meeting.starts_at, "d MMMM y"),
                ),
                "url": url_for("meetings.show", slug=meeting.group.slug, meeting_id=meeting.id)
                + "#decisions",
                "link": _("Leggi il verbale dell'incontro"),
                "tone": "ok",
            }
        )
    return notes


def init_app(app: Flask) -> None:
    from workspace.documents.owners import Owner, register_note_source, register_owner
    from workspace.groups.panels import Panel, register_panel
    from workspace.meetings import service
    from workspace.meetings.routes import bp, feed_bp

    app.register_blueprint(bp)
    app.register_blueprint(feed_bp)
    register_owner(
        app,
        Owner(
            kind=service.MINUTES,
            access=_minutes_access,
            change_rule=_minutes_rule,
            trail=_minutes_trail,
        ),
    )
    register_note_source(app, _document_notes)
    register_panel(app, Panel("meetings", "meetings/_panel.html", _panel_context, order=5))
