"""Meetings of a group: schedule, agenda, attendance, minutes, decisions, actions, exports."""

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workspace import audit
from workspace.clock import utcnow
from workspace.database import get_or_404
from workspace.documents import service as documents
from workspace.extensions import db
from workspace.groups.access import load_group_or_404
from workspace.i18n import ROME
from workspace.mail import absolute_url
from workspace.meetings import calendar, service
from workspace.meetings.access import MeetingAccess, load_meeting_or_404
from workspace.meetings.forms import (
    ActionForm,
    AgendaItemForm,
    ApproveMinutesForm,
    CancelForm,
    CloseActionForm,
    CommentForm,
    DecisionForm,
    GuestForm,
    MeetingForm,
    NewMeetingForm,
)
from workspace.meetings.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Attendance,
    Decision,
    Guest,
    Meeting,
)
from workspace.meetings.recurrence import Pattern
from workspace.people.display import person_text
from workspace.rendering import download, is_htmx, render, see_other
from workspace.revisions import service as revisions
from workspace.texts.docx import MIMETYPE as DOCX
from workspace.texts.docx import markdown_to_docx

bp = Blueprint("meetings", __name__, url_prefix="/gruppi/<slug>")

# The regions of the meeting page that htmx replaces; each is a partial.
PARTS = {
    "minutes": "meetings/_minutes.html",
    "agenda": "meetings/_agenda_fragment.html",  # the agenda, and what lists its items
    "attendance": "meetings/_attendance.html",
    "decisions": "meetings/_decisions.html",
    "actions": "meetings/_actions.html",
}


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ROME).replace(tzinfo=None)


def _person_choices(meeting: Meeting):
    return [(user.id, person_text(user)) for user in service.audience(meeting)]


def _item_choices(meeting: Meeting, *, empty: str | None):
    choices = [("", empty)] if empty is not None else []
    return choices + [
        (item.id, f"{position}. {item.title}")
        for position, item in enumerate(meeting.items, start=1)
    ]


def _forms(access: MeetingAccess, **given) -> dict:
    """Every form of the meeting page; those given keep what was typed and their errors."""
    meeting = access.meeting
    people = _person_choices(meeting)
    agenda = given.get("agenda_form") or AgendaItemForm(formdata=None)
    agenda.owner.choices = [("", _("Nessuno in particolare")), *people]
    decision = given.get("decision_form") or DecisionForm(formdata=None)
    decision.item.choices = _item_choices(meeting, empty=None)
    # An external participant does not see the group's documents (the form leaves them out).
    group_documents = [] if access.guest_only else documents.documents_of(meeting.group)
    decision.document.choices = [("", _("Nessun documento"))] + [
        (document.id, document.title) for document in group_documents
    ]
    action = given.get("action_form") or ActionForm(formdata=None)
    action.owner.choices = [("", _("Scegli…")), *people]
    action.item.choices = _item_choices(meeting, empty=_("Nessuno"))
    approve = given.get("approve_form") or ApproveMinutesForm(formdata=None)
    approve.at_meeting.choices = [
        (
            other.id,
            _("questo incontro (%(when)s)", when=format_datetime(other.starts_at, "d MMMM y"))
            if other.id == meeting.id
            else format_datetime(other.starts_at, "d MMMM y, HH:mm") + " · " + other.title,
        )
        for other in service.later_meetings(meeting)
    ]
    if approve.at_meeting.data is None and approve.at_meeting.choices:
        # The meeting being held now (the newest that has begun) is the usual one.
        approve.at_meeting.data = approve.at_meeting.choices[0][0]
    return {
        "agenda_form": agenda,
        "guest_form": given.get("guest_form") or GuestForm(formdata=None),
        "decision_form": decision,
        "action_form": action,
        "approve_form": approve,
        "close_form": CloseActionForm(formdata=None),
        "cancel_form": CancelForm(formdata=None),
        "comment_form": given.get("comment_form") or CommentForm(formdata=None),
    }


def _action_helpers(can_manage: bool) -> dict:
    return {
        "may_close": lambda action: service.may_close(
            action, can_manage=can_manage, user=current_user
        ),
        "today": utcnow().astimezone(ROME).date(),
    }


def _page(access: MeetingAccess, part: str | None = None, *, status: int = 200, **forms):
    meeting = access.meeting
    return render(
        "meetings/show.html",
        PARTS.get(part) if part else None,
        status=status,
        access=access,
        group=meeting.group,
        meeting=meeting,
        decisions=service.decisions_of(meeting),
        actions=service.actions_of(meeting),
        corrections=service.corrections(meeting),
        comments=service.comments_of(meeting),
        editing=revisions.present(meeting.minutes.text) if meeting.minutes else [],
        # An external participant sees this meeting only, not when the group meets next.
        next_meeting=None if access.guest_only else service.next_in_series(meeting),
        agenda_changed=part == "agenda" and status < 400,
        **_action_helpers(access.can_manage),
        **_forms(access, **forms),
    )


def _done(access: MeetingAccess, part: str, message: str | None = None):
    """After a change: the region again for htmx, the page (303) for a plain form."""
    if message:
        flash(message, "success")
    if is_htmx():
        return _page(access, part)
    meeting = access.meeting
    return see_other(
        url_for("meetings.show", slug=meeting.group.slug, meeting_id=meeting.id) + f"#{part}"
    )


def _refused(access: MeetingAccess, part: str, error: service.MeetingError, form=None, name=None):
    """A rule refused the change: the message next to the field, what was typed kept."""
    if form is not None and error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, str(error)]
        return _page(access, part, status=422, **{name: form})
    flash(str(error), "error")
    if is_htmx():
        return _page(access, part, status=422)
    meeting = access.meeting
    return see_other(
        url_for("meetings.show", slug=meeting.group.slug, meeting_id=meeting.id) + f"#{part}"
    )


def _part_of(access: MeetingAccess, model, object_id: int):
    """An agenda item, guest or decision of this meeting; 404 for one of another meeting."""
    found = get_or_404(model, object_id)
    if found.meeting_id != access.meeting.id:
        abort(404)
    return found


def _change(access: MeetingAccess, part: str, change, message: str | None = None):
    """A change that takes no form: done, or refused with the rule's message."""
    try:
        change()
    except service.MeetingError as error:
        return _refused(access, part, error)
    return _done(access, part, message)


def _submit(access: MeetingAccess, part: str, name: str, form, change, message: str):
    """A form of the meeting page (``name`` in its context): the messages next to its fields
    with what was typed, or the change made and the region again."""
    if not form.validate_on_submit():
        return _page(access, part, status=422, **{name: form})
    try:
        change(form)
    except service.MeetingError as error:
        return _refused(access, part, error, form, name)
    return _done(access, part, message)


# Listing and scheduling


@bp.get("/incontri/")
@login_required
def index(slug: str):
    access = load_group_or_404(slug)
    return render(
        "meetings/index.html",
        access=access,
        group=access.group,
        upcoming=service.meetings_of(access.group, past=False),
        past=service.meetings_of(access.group, past=True, limit=100),
    )


def _schedule_from(form: MeetingForm) -> service.Schedule:
    day = form.starts_on.data
    pattern = getattr(form, "pattern", None)
    return service.Schedule(
        title=form.title.data or "",
        starts_local=datetime.combine(day, form.starts_time.data),
        ends_local=datetime.combine(day, form.ends_at.data),
        place=form.place.data or "",
        online_url=form.online_url.data or "",
        is_joint=bool(form.is_joint.data),
        invited_ids=tuple(dict.fromkeys(form.invited.data or [])),
        pattern=Pattern(pattern.data) if pattern is not None and pattern.data else None,
        until=getattr(form, "until", None) and form.until.data,
        count=getattr(form, "count", None) and form.count.data,
    )


def _invite_choices(form: MeetingForm, group, joint: bool) -> None:
    form.invited.choices = [
        (user.id, person_text(user)) for user in service.invitable(group, joint=joint)
    ]


@bp.route("/incontri/nuovo", methods=["GET", "POST"])
@login_required
def create(slug: str):
    access = load_group_or_404(slug)
    if access.membership is not None and access.membership.user.profile.is_external:
        abort(403)  # external participants take part in meetings, they do not schedule them
    form = NewMeetingForm()
    if request.method == "GET":
        form.invited.data = service.group_members_ids(access.group)
        form.is_joint.data = access.group.is_joint
    _invite_choices(form, access.group, joint=True)
    if form.validate_on_submit():
        try:
            meetings = service.schedule_meetings(
                access.can_manage, access.group, _schedule_from(form), by=current_user
            )
        except service.MeetingError as error:
            getattr(form, error.field or "title").errors.append(str(error))
        else:
            if len(meetings) == 1:
                flash(_("Incontro programmato."), "success")
            else:
                flash(_("Programmati %(n)d incontri della serie.", n=len(meetings)), "success")
            return see_other(url_for("meetings.show", slug=slug, meeting_id=meetings[0].id))
    return render(
        "meetings/new.html",
        "meetings/_form.html",
        access=access,
        group=access.group,
        form=form,
        meeting=None,
        status=422 if form.errors else 200,
    )


@bp.get("/incontri/<int:meeting_id>")
@login_required
def show(slug: str, meeting_id: int):
    return _page(load_meeting_or_404(slug, meeting_id))


@bp.route("/incontri/<int:meeting_id>/modifica", methods=["GET", "POST"])
@login_required
def edit(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id, organise=True)
    meeting = access.meeting
    form = MeetingForm()
    if request.method == "GET":
        start, end = _local(meeting.starts_at), _local(meeting.ends_at)
        form = MeetingForm(
            formdata=None,
            title=meeting.title,
            starts_on=start.date(),
            starts_time=start.time(),
            ends_at=end.time(),
            place=meeting.place,
            online_url=meeting.online_url,
            is_joint=meeting.is_joint,
            invited=[p.user_id for p in meeting.participants],
        )
    _invite_choices(form, meeting.group, joint=True)
    if form.validate_on_submit():
        try:
            service.update_meeting(meeting, _schedule_from(form), by=current_user)
        except service.MeetingError as error:
            getattr(form, error.field or "title").errors.append(str(error))
        else:
            flash(_("Incontro aggiornato."), "success")
            return see_other(url_for("meetings.show", slug=slug, meeting_id=meeting.id))
    return render(
        "meetings/edit.html",
        "meetings/_form.html",
        access=access,
        group=meeting.group,
        form=form,
        meeting=meeting,
        status=422 if form.errors else 200,
    )


@bp.post("/incontri/<int:meeting_id>/annulla")
@login_required
def cancel(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id, organise=True)
    form = CancelForm()
    if not form.validate_on_submit():
        flash(_("Il motivo è troppo lungo (al massimo 300 caratteri)."), "error")
    else:
        try:
            service.cancel(access.meeting, reason=form.reason.data or "", by=current_user)
        except service.MeetingError as error:
            flash(str(error), "error")
        else:
            flash(_("Incontro annullato. Gli invitati sono stati avvisati."), "success")
    return see_other(url_for("meetings.show", slug=slug, meeting_id=meeting_id))


# Agenda


@bp.post("/incontri/<int:meeting_id>/punti")
@login_required
def add_item(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    return _submit(
        access,
        "agenda",
        "agenda_form",
        AgendaItemForm(),
        lambda form: service.add_item(
            access.meeting,
            title=form.title.data,
            owner_id=form.owner.data,
            duration=form.duration.data,
            by=current_user,
        ),
        _("Punto aggiunto all'ordine del giorno."),
    )


@bp.post("/incontri/<int:meeting_id>/punti/<int:item_id>/sposta")
@login_required
def move_item(slug: str, meeting_id: int, item_id: int):
    access = load_meeting_or_404(slug, meeting_id, manage=True)
    item = _part_of(access, AgendaItem, item_id)
    direction = -1 if request.form.get("verso") == "su" else 1
    return _change(access, "agenda", lambda: service.move_item(access.meeting, item, direction))


@bp.post("/incontri/<int:meeting_id>/punti/<int:item_id>/elimina")
@login_required
def remove_item(slug: str, meeting_id: int, item_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    item = _part_of(access, AgendaItem, item_id)
    if not (access.can_manage or item.added_by_id == current_user.id):
        abort(403)
    return _change(
        access,
        "agenda",
        lambda: service.remove_item(access.meeting, item),
        _("Punto tolto dall'ordine del giorno."),
    )


@bp.post("/incontri/<int:meeting_id>/punti/<int:item_id>/rinvia")
@login_required
def carry_over(slug: str, meeting_id: int, item_id: int):
    access = load_meeting_or_404(slug, meeting_id, manage=True)
    item = _part_of(access, AgendaItem, item_id)
    try:
        target = service.carry_over(access.meeting, item, by=current_user)
    except service.MeetingError as error:
        return _refused(access, "agenda", error)
    return _done(
        access,
        "agenda",
        _(
            "Punto rinviato all'incontro del %(when)s.",
            when=format_datetime(target.starts_at, "d MMMM y"),
        ),
    )


# Attendance


@bp.post("/incontri/<int:meeting_id>/presenze")
@login_required
def attendance(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    choices = {}
    for participant in access.meeting.participants:
        value = request.form.get(f"presenza-{participant.id}")
        if value in {status.value for status in Attendance}:
            choices[participant.id] = Attendance(value)
    return _change(
        access,
        "attendance",
        lambda: service.set_attendance(access.meeting, choices),
        _("Presenze registrate."),
    )


@bp.post("/incontri/<int:meeting_id>/ospiti")
@login_required
def add_guest(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    return _submit(
        access,
        "attendance",
        "guest_form",
        GuestForm(),
        lambda form: service.add_guest(
            access.meeting, name=form.name.data, organisation=form.organisation.data
        ),
        _("Ospite aggiunto ai presenti."),
    )


@bp.post("/incontri/<int:meeting_id>/ospiti/<int:guest_id>/elimina")
@login_required
def remove_guest(slug: str, meeting_id: int, guest_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    guest = _part_of(access, Guest, guest_id)
    return _change(
        access,
        "attendance",
        lambda: service.remove_guest(access.meeting, guest),
        _("Ospite tolto dai presenti."),
    )


# Minutes


@bp.post("/incontri/<int:meeting_id>/verbale")
@login_required
def start_minutes(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    try:
        document = service.start_minutes(access.meeting, by=current_user)
    except service.MeetingError as error:
        flash(str(error), "error")
        return see_other(url_for("meetings.show", slug=slug, meeting_id=meeting_id))
    return see_other(url_for("documents.edit", slug=slug, document_id=document.id))


@bp.post("/incontri/<int:meeting_id>/verbale/in-visione")
@login_required
def circulate(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id, manage=True)
    try:
        service.circulate(access.meeting, by=current_user)
    except service.MeetingError as error:
        flash(str(error), "error")
    else:
        flash(_("Verbale messo in visione: i partecipanti sono stati avvisati."), "success")
    return see_other(url_for("meetings.show", slug=slug, meeting_id=meeting_id) + "#minutes")


@bp.post("/incontri/<int:meeting_id>/verbale/approva")
@login_required
def approve_minutes(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id, manage=True)
    form = ApproveMinutesForm()
    form.at_meeting.choices = []
    at_meeting = None
    if form.at_meeting.data is not None:
        at_meeting = get_or_404(Meeting, form.at_meeting.data)
    try:
        service.approve_minutes(access.meeting, by=current_user, at_meeting=at_meeting)
    except service.MeetingError as error:
        flash(str(error), "error")
    else:
        flash(_("Verbale approvato: ora è chiuso alle modifiche."), "success")
    return see_other(url_for("meetings.show", slug=slug, meeting_id=meeting_id) + "#minutes")


@bp.post("/incontri/<int:meeting_id>/verbale/commenti")
@login_required
def comment_minutes(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    return _submit(
        access,
        "minutes",
        "comment_form",
        CommentForm(),
        lambda form: service.add_comment(access.meeting, body=form.body.data, by=current_user),
        _("Commento aggiunto."),
    )


def _record_or_404(access: MeetingAccess) -> service.Record:
    if access.meeting.minutes is None:
        abort(404)
    return service.record_of(access.meeting)


@bp.get("/incontri/<int:meeting_id>/verbale/stampa")
@login_required
def print_minutes(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    record = _record_or_404(access)
    return render(
        "meetings/print.html",
        access=access,
        group=access.meeting.group,
        meeting=access.meeting,
        record=record,
        minutes_title=service.minutes_title(access.meeting),
        coordinations=service.coordinations(access.meeting),
        subtitle=service.record_subtitle(record, with_coordinations=False),
        minutes_html=service.minutes_html(record),
    )


@bp.get("/incontri/<int:meeting_id>/verbale.docx")
@login_required
def download_minutes(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    record = _record_or_404(access)
    body = markdown_to_docx(
        service.record_markdown(record),
        title=service.minutes_title(access.meeting),
        subtitle=service.record_subtitle(record),
    )
    audit.record(
        "minutes.downloaded",
        target=access.meeting,
        detail={"format": "docx", "group": access.meeting.group.slug},
    )
    db.session.commit()
    return download(
        body, DOCX, f"verbale-{access.meeting.starts_at.astimezone(ROME):%Y-%m-%d}.docx"
    )


# Decisions


@bp.post("/incontri/<int:meeting_id>/decisioni")
@login_required
def add_decision(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    return _submit(
        access,
        "decisions",
        "decision_form",
        DecisionForm(),
        lambda form: service.add_decision(
            access.meeting,
            item_id=form.item.data,
            text=form.text.data,
            # An external participant does not see the group's documents: not theirs to cite.
            document_id=None if access.guest_only else form.document.data,
            revision_number=None if access.guest_only else form.revision.data,
            by=current_user,
        ),
        _("Decisione registrata."),
    )


@bp.post("/incontri/<int:meeting_id>/decisioni/<int:decision_id>/elimina")
@login_required
def remove_decision(slug: str, meeting_id: int, decision_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    decision = _part_of(access, Decision, decision_id)
    if not (access.can_manage or decision.created_by_id == current_user.id):
        abort(403)
    return _change(
        access,
        "decisions",
        lambda: service.remove_decision(access.meeting, decision),
        _("Decisione eliminata."),
    )


# Actions


@bp.post("/incontri/<int:meeting_id>/azioni")
@login_required
def add_action(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    return _submit(
        access,
        "actions",
        "action_form",
        ActionForm(),
        lambda form: service.assign_action(
            access.meeting,
            title=form.title.data,
            owner_id=form.owner.data,
            due_on=form.due_on.data,
            item_id=form.item.data,
            by=current_user,
        ),
        _("Compito assegnato: il responsabile è stato avvisato."),
    )


def _load_action(slug: str, action_id: int) -> tuple[MeetingAccess, ActionItem]:
    action = get_or_404(ActionItem, action_id)
    access = load_meeting_or_404(slug, action.meeting_id)
    if not service.may_close(action, can_manage=access.can_manage, user=current_user):
        abort(403)
    return access, action


def _back_from_action(access: MeetingAccess, action: ActionItem):
    if request.form.get("da") == "elenco":
        return see_other(url_for("meetings.actions", slug=access.meeting.group.slug))
    return _done(access, "actions")


@bp.post("/azioni/<int:action_id>/chiudi")
@login_required
def close_action(slug: str, action_id: int):
    access, action = _load_action(slug, action_id)
    form = CloseActionForm()
    if not form.validate_on_submit():
        flash(_("La nota è troppo lunga (al massimo 2000 caratteri)."), "error")
        return _back_from_action(access, action)
    try:
        service.close_action(action, note=form.note.data or "", by=current_user)
    except service.MeetingError as error:
        flash(str(error), "error")
    else:
        flash(_("Compito chiuso."), "success")
    return _back_from_action(access, action)


@bp.post("/azioni/<int:action_id>/riapri")
@login_required
def reopen_action(slug: str, action_id: int):
    access, action = _load_action(slug, action_id)
    if action.status == ActionStatus.DONE:
        service.reopen_action(action)
        flash(_("Compito riaperto."), "success")
    return _back_from_action(access, action)


@bp.get("/azioni/")
@login_required
def actions(slug: str):
    access = load_group_or_404(slug)
    return render(
        "meetings/actions.html",
        access=access,
        group=access.group,
        actions=service.open_actions(access.group),
        **_action_helpers(access.can_manage),
    )


# Calendar


def _event(meeting: Meeting) -> calendar.CalendarEvent:
    location = ", ".join(part for part in (meeting.place, meeting.online_url) if part)
    return calendar.CalendarEvent(
        uid=f"meeting-{meeting.id}@{current_app.config.get('CALENDAR_DOMAIN') or 'tavolo'}",
        sequence=meeting.sequence,
        starts_at=meeting.starts_at,
        # Never before the start, whatever a row says: one bad meeting must not break a feed.
        ends_at=max(meeting.ends_at, meeting.starts_at),
        title=f"{meeting.title} ({meeting.group.name})",
        location=location,
        url=absolute_url("meetings.show", slug=meeting.group.slug, meeting_id=meeting.id),
        description=meeting.cancel_reason if meeting.is_cancelled else "",
        cancelled=meeting.is_cancelled,
    )


def ics_response(meetings: list[Meeting], *, name: str, filename: str, inline: bool = False):
    body = calendar.build([_event(m) for m in meetings], name=name, stamp=utcnow())
    response = download(body, "text/calendar", filename, inline=inline)
    response.charset = "utf-8"
    return response


@bp.get("/incontri/<int:meeting_id>/incontro.ics")
@login_required
def download_ics(slug: str, meeting_id: int):
    access = load_meeting_or_404(slug, meeting_id)
    meeting = access.meeting
    return ics_response(
        [meeting],
        name=meeting.title,
        filename=f"incontro-{meeting.starts_at.astimezone(ROME):%Y-%m-%d}.ics",
    )


# The personal calendar: a secret address with the meetings of all one's groups.

feed_bp = Blueprint("calendar", __name__, url_prefix="/calendario")


@feed_bp.get("/")
@login_required
def feed_settings():
    return render(
        "meetings/calendar.html",
        feed=service.feed_of(current_user),
        new_url=None,
    )


@feed_bp.post("/nuovo-indirizzo")
@login_required
def new_feed():
    token = service.new_feed_token(current_user)
    flash(
        _(
            "Ecco il nuovo indirizzo del tuo calendario; quello di prima, se c'era, non "
            "funziona più. Copialo ora: per sicurezza non lo mostriamo di nuovo."
        ),
        "success",
    )
    return render(
        "meetings/calendar.html",
        feed=service.feed_of(current_user),
        new_url=absolute_url("calendar.feed", token=token),
    )


@feed_bp.post("/revoca")
@login_required
def revoke_feed():
    service.revoke_feed(current_user)
    flash(_("Indirizzo del calendario revocato: non funziona più."), "success")
    return see_other(url_for("calendar.feed_settings"))


@feed_bp.get("/<token>.ics")
def feed(token: str):
    """For calendar programs, which cannot sign in: the secret address is the key."""
    user = service.user_of_feed(token)
    if user is None:
        abort(404)
    return ics_response(
        service.feed_meetings(user),
        name=_("Tavolo: i miei incontri"),
        filename="tavolo.ics",
        inline=True,
    )
