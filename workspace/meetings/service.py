"""The rules of meetings: scheduling (single or a series), agenda, attendance, minutes and
their lifecycle, decisions, actions, calendars. Each function is one transaction.

Callers have checked that the person may see the meeting (meetings.access); the rules about
*what* may change *when* (a cancelled meeting, approved minutes) are checked here.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from flask import url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from workspace import audit
from workspace.accounts.models import User
from workspace.activity import service as activity
from workspace.activity.models import EventKind
from workspace.clock import utcnow
from workspace.documents import service as documents
from workspace.documents.models import Document
from workspace.extensions import db
from workspace.groups.models import Group, GroupRole, Membership
from workspace.meetings import recurrence
from workspace.meetings.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Attendance,
    CalendarFeed,
    Decision,
    Guest,
    Meeting,
    MeetingSeries,
    MinutesComment,
    MinutesStatus,
    Participant,
)
from workspace.notifications import service as notifications
from workspace.notifications.models import Kind
from workspace.people.access import is_external
from workspace.people.models import Profile, Role
from workspace.revisions import service as revisions
from workspace.revisions.models import Revision

MINUTES = "minutes"
MAX_DURATION = timedelta(hours=12)
MAX_AGENDA_ITEMS = 40
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _url(endpoint: str, **values) -> str:
    """A path inside Tavolo, also outside a request (notifications store paths)."""
    return url_for(endpoint, _external=False, **values)


class MeetingError(Exception):
    """A rule refused the change; the message is for the person, next to ``field``."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _locked_message(meeting: Meeting) -> str:
    if meeting.is_cancelled:
        return _("L'incontro è stato annullato: non si può più modificare.")
    return _("Il verbale è approvato: l'incontro non si può più modificare.")


def _check_open(meeting: Meeting) -> None:
    if meeting.is_cancelled or meeting.minutes_locked:
        raise MeetingError(_locked_message(meeting))


def _when(meeting: Meeting) -> str:
    return format_datetime(meeting.starts_at, "d MMMM y, HH:mm")


def _meeting_url(meeting: Meeting, anchor: str = "") -> str:
    return _url("meetings.show", slug=meeting.group.slug, meeting_id=meeting.id) + anchor


def _may_see(meeting: Meeting, user_ids) -> set[int]:
    """Those of ``user_ids`` who may see the meeting now, as meetings.access decides: the
    group's members and coordinators, and for a joint meeting its invited external
    participants. An invitation alone is not enough: someone who left the group is still on
    the record of who was invited, but is told nothing more and offered for nothing."""
    ids = set(user_ids)
    if not ids:
        return set()
    members = db.session.scalars(
        select(Membership.user_id).where(
            Membership.group_id == meeting.group_id, Membership.user_id.in_(ids)
        )
    )
    invited = {participant.user_id for participant in meeting.participants}
    roles = db.session.execute(
        select(Profile.user_id, Profile.role).where(
            Profile.user_id.in_(ids), Profile.role.in_([Role.COORDINATOR, Role.EXTERNAL])
        )
    )
    return set(members) | {
        user_id
        for user_id, role in roles
        if role == Role.COORDINATOR or (meeting.is_joint and user_id in invited)
    }


def audience(meeting: Meeting) -> list[User]:
    """The invited who may still see the meeting, by name: owners of items and actions are
    chosen among them."""
    allowed = _may_see(meeting, (p.user_id for p in meeting.participants))
    people = [p.user for p in meeting.participants if p.user_id in allowed]
    return sorted(people, key=lambda user: user.name.casefold())


def _tell(meeting: Meeting, people, *, by: User, title: str, excerpt: str, source: str, url=None):
    """Notify ``people`` (users or ids) about the meeting: only those who may see it."""
    ids = {person if isinstance(person, int) else person.id for person in people}
    notifications.notify(
        _may_see(meeting, ids),
        kind=Kind.MEETING,
        actor=by,
        group=meeting.group,
        title=title,
        excerpt=excerpt,
        url=url or _meeting_url(meeting),
        source=source,
    )


# Listing


def _event(kind: EventKind, meeting: Meeting, *, by: User | None, summary: str = "", **keys):
    """Tell the activity feed: every event of a meeting carries the meeting (an external
    participant sees the events of the joint meetings they are in, and only those)."""
    activity.record(
        kind,
        group=meeting.group_id,
        actor=by,
        title=meeting.title,
        summary=summary,
        meeting_id=meeting.id,
        **keys,
    )


def meetings_of(group: Group, *, past: bool, limit: int | None = None) -> list[Meeting]:
    now = utcnow()
    query = select(Meeting).where(Meeting.group_id == group.id)
    if past:
        query = query.where(Meeting.ends_at < now).order_by(Meeting.starts_at.desc())
    else:
        query = query.where(Meeting.ends_at >= now).order_by(Meeting.starts_at)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def _own_meetings(user: User):
    """The meetings a person has as their own: their groups', and for an external participant
    the joint meetings they are invited to (as meetings.access lets them see). An invitation
    alone is not enough: someone who left the group no longer sees its meetings."""
    mine = Meeting.group_id.in_(select(Membership.group_id).where(Membership.user_id == user.id))
    if not is_external(user):
        return mine
    invited = select(Participant.meeting_id).where(Participant.user_id == user.id)
    return or_(mine, and_(Meeting.is_joint.is_(True), Meeting.id.in_(invited)))


def upcoming_for(user: User, *, limit: int = 5) -> list[Meeting]:
    """The next meetings (not cancelled) of the person's groups and of the joint meetings
    they are invited to, for the home page."""
    now = utcnow()
    query = (
        select(Meeting)
        .join(Group, Meeting.group_id == Group.id)
        .where(
            Meeting.ends_at >= now,
            Meeting.cancelled_at.is_(None),
            Group.archived_at.is_(None),
            _own_meetings(user),
        )
        .order_by(Meeting.starts_at)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def invitable(group: Group, *, joint: bool) -> list[User]:
    """Who may be invited: the group's members, and for a joint meeting the external
    participants (the foster-care coordination) too."""
    members = select(Membership.user_id).where(Membership.group_id == group.id)
    condition = User.id.in_(members)
    if joint:
        condition = or_(condition, Profile.role == Role.EXTERNAL)
    return list(
        db.session.scalars(
            select(User)
            .join(Profile, Profile.user_id == User.id)
            .where(User.active.is_(True), condition)
            .order_by(User.name)
        ).unique()
    )


def group_members_ids(group: Group) -> list[int]:
    return list(
        db.session.scalars(
            select(Membership.user_id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.group_id == group.id, User.active.is_(True))
        )
    )


# Scheduling


@dataclass(frozen=True)
class Schedule:
    """What the meeting form says, already parsed (local times are Rome's, naive)."""

    title: str
    starts_local: datetime
    ends_local: datetime
    place: str
    online_url: str
    is_joint: bool
    invited_ids: tuple[int, ...]
    pattern: recurrence.Pattern | None = None
    until: date | None = None
    count: int | None = None


def _check_schedule(schedule: Schedule) -> None:
    if not schedule.title.strip():
        raise MeetingError(_("Questo campo è obbligatorio."), "title")
    for value, field in ((schedule.starts_local, "starts_on"), (schedule.ends_local, "ends_at")):
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise MeetingError(_("Indica una data tra il 2000 e il 2100."), field)
    if schedule.ends_local <= schedule.starts_local:
        raise MeetingError(_("L'incontro deve finire dopo l'inizio."), "ends_at")
    if schedule.ends_local - schedule.starts_local > MAX_DURATION:
        raise MeetingError(_("Un incontro dura al massimo 12 ore."), "ends_at")
    if recurrence.to_utc(schedule.ends_local) <= recurrence.to_utc(schedule.starts_local):
        # 02:50-03:10 on the night the clocks go forward: 03:10 comes before 02:50 (03:50).
        raise MeetingError(
            _("Quest'orario cade nel cambio dell'ora legale: scegline un altro."), "ends_at"
        )
    url = schedule.online_url.strip()
    if url and not _is_meeting_link(url):
        raise MeetingError(_("Il collegamento deve iniziare con https://"), "online_url")


def _is_meeting_link(url: str) -> bool:
    """An https address with a host, on one line: it becomes a link on the page and the
    calendar's LOCATION (a plain http link would send the meeting's password in clear)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "https://[::1": an unclosed IPv6 address
        return False
    return (
        parts.scheme.lower() == "https"
        and bool(parts.hostname)
        and not any(character.isspace() or ord(character) < 32 for character in url)
    )


def _invitees(group: Group, schedule: Schedule) -> list[User]:
    allowed = {user.id: user for user in invitable(group, joint=schedule.is_joint)}
    unknown = set(schedule.invited_ids) - set(allowed)
    if unknown:
        raise MeetingError(
            _(
                "Si possono invitare solo i componenti del gruppo e, per un incontro "
                "congiunto, i partecipanti esterni."
            ),
            "invited",
        )
    return [allowed[user_id] for user_id in schedule.invited_ids]


def schedule_meetings(
    access_can_manage: bool, group: Group, schedule: Schedule, *, by: User
) -> list[Meeting]:
    """One meeting, or every meeting of a series (group leads and coordinators only)."""
    _check_schedule(schedule)
    invitees = _invitees(group, schedule)
    duration = schedule.ends_local - schedule.starts_local
    series = None
    if schedule.pattern is None:
        occurrences = [
            recurrence.Occurrence(schedule.starts_local, recurrence.to_utc(schedule.starts_local))
        ]
    else:
        if not access_can_manage:
            raise MeetingError(
                _("Solo chi guida il gruppo può programmare una serie di incontri."), "pattern"
            )
        if schedule.until is None and schedule.count is None:
            raise MeetingError(_("Indica fino a quando si ripete, o quante volte."), "until")
        if schedule.until is not None and schedule.until < schedule.starts_local.date():
            raise MeetingError(_("La data di fine è prima del primo incontro."), "until")
        rule = recurrence.rule_for(
            schedule.pattern,
            schedule.starts_local.date(),
            until=schedule.until,
            count=schedule.count,
        )
        try:
            occurrences = recurrence.expand(rule, schedule.starts_local)
        except recurrence.RecurrenceError as error:
            raise MeetingError(_("Questa ripetizione non è valida."), "pattern") from error
        series = MeetingSeries(
            group_id=group.id, rule=rule, first_local=schedule.starts_local, created_by_id=by.id
        )
        db.session.add(series)
    meetings = []
    for occurrence in occurrences:
        meeting = Meeting(
            group_id=group.id,
            series=series,
            occurrence_local=occurrence.local if series else None,
            title=schedule.title.strip(),
            starts_at=occurrence.starts_at,
            ends_at=_end_of(occurrence, duration),
            place=schedule.place.strip(),
            online_url=schedule.online_url.strip(),
            is_joint=schedule.is_joint,
            created_by_id=by.id,
        )
        meeting.participants = [Participant(user_id=user.id) for user in invitees]
        db.session.add(meeting)
        meetings.append(meeting)
    db.session.flush()
    first = meetings[0]
    _tell(
        first,
        invitees,
        by=by,
        title=_("Sei invitato a «%(title)s» del %(when)s", title=first.title, when=_when(first)),
        excerpt=first.place or first.online_url,
        source=f"meeting:{first.id}",
    )
    summary = _when(first)
    if len(meetings) > 1:
        summary = _("%(when)s, il primo di %(num)d incontri", when=summary, num=len(meetings))
    _event(EventKind.MEETING_SCHEDULED, first, by=by, summary=summary)
    db.session.commit()
    return meetings


def _end_of(occurrence: recurrence.Occurrence, duration: timedelta) -> datetime:
    """The end of one meeting of a series: its wall-clock end, unless the clocks change
    during it in a way that puts that end before the start (then its length)."""
    end = recurrence.to_utc(occurrence.local + duration)
    return end if end > occurrence.starts_at else occurrence.starts_at + duration


def update_meeting(meeting: Meeting, schedule: Schedule, *, by: User | None = None) -> None:
    """New details for one meeting (a meeting of a series is moved on its own). The invited
    are told when it moves (time, place or link), and whoever is newly invited is invited."""
    _check_open(meeting)
    _check_schedule(schedule)
    wanted = set(schedule.invited_ids)
    # Who came or sent apologies stays on the record, invited or not.
    staying = [
        participant
        for participant in meeting.participants
        if participant.user_id in wanted or participant.attendance != Attendance.INVITED
    ]
    if not schedule.is_joint and any(is_external(p.user) for p in staying):
        raise MeetingError(
            _("Ci sono partecipanti esterni invitati: l'incontro deve restare congiunto."),
            "is_joint",
        )
    invitees = _invitees(meeting.group, schedule)
    starts_at = recurrence.to_utc(schedule.starts_local)
    ends_at = recurrence.to_utc(schedule.ends_local)
    before = (meeting.starts_at, meeting.ends_at, meeting.place, meeting.online_url)
    if meeting.series_id is not None and starts_at != meeting.starts_at:
        meeting.moved = True
    meeting.title = schedule.title.strip()
    meeting.starts_at = starts_at
    meeting.ends_at = ends_at
    meeting.place = schedule.place.strip()
    meeting.online_url = schedule.online_url.strip()
    meeting.is_joint = schedule.is_joint
    meeting.sequence += 1
    for participant in list(meeting.participants):
        if participant not in staying:
            meeting.participants.remove(participant)
    have = {participant.user_id for participant in meeting.participants}
    newcomers = [user for user in invitees if user.id not in have]
    for user in newcomers:
        meeting.participants.append(Participant(user_id=user.id))
    if meeting.minutes is not None:
        meeting.minutes.title = minutes_title(meeting)
    if by is not None:
        _tell_about_changes(
            meeting,
            by=by,
            moved=before != (meeting.starts_at, meeting.ends_at, meeting.place, meeting.online_url),
            newcomers=newcomers,
        )
    db.session.commit()


def _tell_about_changes(meeting: Meeting, *, by: User, moved: bool, newcomers: list[User]):
    where = meeting.place or meeting.online_url
    if moved:
        invited_before = {p.user_id for p in meeting.participants} - {u.id for u in newcomers}
        _tell(
            meeting,
            invited_before,
            by=by,
            title=_(
                "Cambiato: «%(title)s», ora il %(when)s", title=meeting.title, when=_when(meeting)
            ),
            excerpt=where,
            source=f"meeting-changed:{meeting.id}:{meeting.sequence}",
        )
    _tell(
        meeting,
        newcomers,
        by=by,
        title=_(
            "Sei invitato a «%(title)s» del %(when)s", title=meeting.title, when=_when(meeting)
        ),
        excerpt=where,
        source=f"meeting:{meeting.id}",
    )


def cancel(meeting: Meeting, *, reason: str, by: User) -> None:
    if meeting.is_cancelled:
        return
    if meeting.minutes_locked:
        raise MeetingError(_locked_message(meeting))
    if meeting.minutes is not None:
        # Cancelling would close minutes people are writing: the meeting took place.
        raise MeetingError(_("Il verbale è già iniziato: l'incontro non si può annullare."))
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = reason.strip()[:300]
    meeting.sequence += 1
    _tell(
        meeting,
        (p.user_id for p in meeting.participants),
        by=by,
        title=_("Annullato: «%(title)s» del %(when)s", title=meeting.title, when=_when(meeting)),
        excerpt=meeting.cancel_reason,
        source=f"meeting-cancelled:{meeting.id}",
    )
    _event(EventKind.MEETING_CANCELLED, meeting, by=by, summary=meeting.cancel_reason)
    audit.record("meeting.cancelled", actor=by, target=meeting, detail=meeting.cancel_reason)
    db.session.commit()


def next_in_series(meeting: Meeting) -> Meeting | None:
    """The next meeting (not cancelled) of the series, or of the group when there is none."""
    query = select(Meeting).where(
        Meeting.starts_at > meeting.starts_at, Meeting.cancelled_at.is_(None)
    )
    if meeting.series_id is not None:
        query = query.where(Meeting.series_id == meeting.series_id)
    else:
        query = query.where(Meeting.group_id == meeting.group_id)
    if not meeting.is_joint:
        # What an internal meeting discussed is not carried where external participants read.
        query = query.where(Meeting.is_joint.is_(False))
    return db.session.scalar(query.order_by(Meeting.starts_at).limit(1))


# Minutes are approved at a meeting that has begun (or is about to: the lead may open it early).
APPROVAL_LEEWAY = timedelta(hours=1)


def later_meetings(meeting: Meeting, *, limit: int = 12) -> list[Meeting]:
    """Where the minutes may be approved: this meeting or a later one of the group that has
    begun, newest first (the usual one, the meeting being held now, comes first)."""
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.group_id == meeting.group_id, Meeting.starts_at >= meeting.starts_at)
            .where(Meeting.starts_at <= utcnow() + APPROVAL_LEEWAY)
            .where(Meeting.cancelled_at.is_(None))
            .order_by(Meeting.starts_at.desc())
            .limit(limit)
        )
    )


# Agenda


def _participant_user(meeting: Meeting, user_id: int | None, field: str) -> int | None:
    if user_id is None:
        return None
    if user_id not in {user.id for user in audience(meeting)}:
        raise MeetingError(_("Scegli una persona invitata all'incontro."), field)
    return user_id


def add_item(
    meeting: Meeting, *, title: str, owner_id: int | None, duration: int | None, by: User
) -> AgendaItem:
    _check_open(meeting)
    title = title.strip()
    if not title:
        raise MeetingError(_("Questo campo è obbligatorio."), "title")
    if duration is not None and not 1 <= duration <= 600:
        raise MeetingError(_("Indica una durata tra 1 e 600 minuti."), "duration")
    if len(meeting.items) >= MAX_AGENDA_ITEMS:
        raise MeetingError(_("L'ordine del giorno ha già 40 punti."), "title")
    item = AgendaItem(
        title=title,
        owner_id=_participant_user(meeting, owner_id, "owner"),
        duration_minutes=duration,
        added_by_id=by.id,
        position=max((i.position for i in meeting.items), default=0) + 1,
    )
    meeting.items.append(item)
    db.session.commit()
    if meeting.minutes is not None:
        _append_to_minutes(meeting, item, by)
    return item


def _append_to_minutes(meeting: Meeting, item: AgendaItem, by: User) -> None:
    """A part for an item added after the minutes were started, at the end of the text.

    Called once the item is committed: saving the text may roll the session back (someone
    saved meanwhile), which must not take the item with it. Each try starts from the newest
    text, so only someone writing at the very end at that moment can stop it; then the item
    stays and the person is told to add its part by hand.
    """
    text = meeting.minutes.text
    for _attempt in range(3):
        db.session.refresh(text)
        current = revisions.text_at(text, text.head)
        body = current.rstrip("\n") + "\n\n" + _part_heading(item) + "\n\n"
        try:
            outcome = revisions.save(
                text,
                author=by,
                text=body,
                base_number=text.head,
                summary=_("Aggiunto il punto «%(title)s»", title=item.title),
            )
        except revisions.RevisionError:
            db.session.rollback()
            continue
        if outcome.status != "conflict":
            return
    raise MeetingError(
        _(
            "Punto aggiunto, ma la sua parte non è entrata nel verbale perché qualcuno lo "
            "stava salvando proprio ora: aggiungila a mano."
        )
    )


def move_item(meeting: Meeting, item: AgendaItem, direction: int) -> None:
    _check_open(meeting)
    items = list(meeting.items)
    index = items.index(item)
    other = index + direction
    if not 0 <= other < len(items):
        return
    items[index], items[other] = items[other], items[index]
    for position, each in enumerate(items, start=1):
        each.position = position
    db.session.commit()


def remove_item(meeting: Meeting, item: AgendaItem) -> None:
    _check_open(meeting)
    if db.session.scalar(select(func.count()).where(Decision.item_id == item.id)):
        raise MeetingError(_("Il punto ha delle decisioni: eliminale prima."))
    meeting.items.remove(item)
    # Recorded last: the audit head is locked for the shortest time, after the item's row.
    audit.record(
        "agenda_item.removed",
        target=item,
        detail={"meeting_id": meeting.id, "meeting": meeting.title},
    )
    db.session.commit()


def carry_over(meeting: Meeting, item: AgendaItem, *, by: User) -> Meeting:
    """Carry an item not reached to the next meeting; the item stays here, marked."""
    if item.carried_to_id is not None:
        raise MeetingError(_("Questo punto è già stato rinviato."))
    _check_open(meeting)  # approved minutes say what happened to each item: no longer changed
    target = next_in_series(meeting)
    if target is None:
        raise MeetingError(_("Non c'è un incontro successivo: programmalo prima."))
    if target.minutes_locked:
        raise MeetingError(_locked_message(target))
    owner_id = item.owner_id
    if owner_id not in {participant.user_id for participant in target.participants}:
        owner_id = None
    carried = AgendaItem(
        title=item.title,
        owner_id=owner_id,
        duration_minutes=item.duration_minutes,
        added_by_id=by.id,
        carried_from_id=meeting.id,
        position=max((i.position for i in target.items), default=0) + 1,
    )
    target.items.append(carried)
    item.carried_to_id = target.id
    db.session.commit()
    if target.minutes is not None:
        _append_to_minutes(target, carried, by)
    return target


# Attendance


def set_attendance(meeting: Meeting, choices: dict[int, Attendance]) -> None:
    _check_open(meeting)
    by_id = {participant.id: participant for participant in meeting.participants}
    for participant_id, attendance in choices.items():
        participant = by_id.get(participant_id)
        if participant is not None:
            participant.attendance = attendance
    db.session.commit()


def add_guest(meeting: Meeting, *, name: str, organisation: str) -> Guest:
    _check_open(meeting)
    if not name.strip():
        raise MeetingError(_("Questo campo è obbligatorio."), "name")
    guest = Guest(name=name.strip(), organisation=(organisation or "").strip())
    meeting.guests.append(guest)
    db.session.commit()
    return guest


def remove_guest(meeting: Meeting, guest: Guest) -> None:
    _check_open(meeting)
    meeting.guests.remove(guest)
    db.session.commit()


# Minutes


def minutes_title(meeting: Meeting) -> str:
    return _(
        "Verbale: %(title)s, %(when)s",
        title=meeting.title,
        when=format_datetime(meeting.starts_at, "d MMMM y"),
    )[:200]


def _part_heading(item: AgendaItem) -> str:
    # One line: a title with a newline would end the heading early.
    return "## " + " ".join(item.title.split())


def start_minutes(meeting: Meeting, *, by: User) -> Document:
    """The minutes: a document with one part (a section) per agenda item."""
    if meeting.minutes is not None:
        return meeting.minutes
    if meeting.is_cancelled:
        raise MeetingError(_locked_message(meeting))
    parts = [_part_heading(item) + "\n" for item in meeting.items if item.carried_to_id is None]
    body = "\n".join(parts) if parts else "## " + _("Svolgimento") + "\n"
    key = f" minutes:{meeting.id}"
    try:
        document = documents.create_document(
            meeting.group,
            title=minutes_title(meeting),
            description="",
            body=body,
            author=by,
            kind=MINUTES,
            key=key,
        )
    except documents.DocumentError:
        # Someone else started them at the same moment: theirs are the minutes.
        document = db.session.scalar(
            select(Document).where(Document.group_id == meeting.group_id, Document.title_key == key)
        )
        if document is None:
            raise
    if meeting.minutes_document_id != document.id:
        meeting.minutes_document_id = document.id
        _event(
            EventKind.MINUTES_EDITED,
            meeting,
            by=by,
            summary=_("Verbale iniziato"),
            document_id=document.id,
            revision_number=1,
        )
    db.session.commit()
    return document


def meeting_of_minutes(document: Document) -> Meeting | None:
    return db.session.scalar(select(Meeting).where(Meeting.minutes_document_id == document.id))


def circulate(meeting: Meeting, *, by: User) -> None:
    """Send the minutes round to the participants for comments."""
    if meeting.is_cancelled:
        raise MeetingError(_locked_message(meeting))
    if meeting.minutes is None:
        raise MeetingError(_("Il verbale non è ancora stato iniziato."))
    if meeting.minutes_status != MinutesStatus.DRAFT:
        raise MeetingError(_("Il verbale è già stato messo in visione."))
    meeting.minutes_status = MinutesStatus.CIRCULATED
    meeting.circulated_at = utcnow()
    _tell(
        meeting,
        (p.user_id for p in meeting.participants),
        by=by,
        title=_(
            "Il verbale di «%(title)s» è in visione: commenti e correzioni", title=meeting.title
        ),
        excerpt=minutes_title(meeting),
        url=_url(
            "documents.show", slug=meeting.group.slug, document_id=meeting.minutes_document_id
        ),
        source=f"minutes-circulated:{meeting.id}",
    )
    _event(EventKind.MINUTES_CIRCULATED, meeting, by=by, document_id=meeting.minutes_document_id)
    audit.record("minutes.circulated", actor=by, target=meeting)
    db.session.commit()


def approve_minutes(meeting: Meeting, *, by: User, at_meeting: Meeting | None) -> None:
    if meeting.is_cancelled:
        raise MeetingError(_locked_message(meeting))
    if meeting.minutes is None:
        raise MeetingError(_("Il verbale non è ancora stato iniziato."))
    if meeting.minutes_locked:
        raise MeetingError(_("Il verbale è già approvato."))
    if at_meeting is not None and (
        at_meeting.group_id != meeting.group_id
        or at_meeting.starts_at < meeting.starts_at
        or at_meeting.starts_at > utcnow() + APPROVAL_LEEWAY
        or at_meeting.is_cancelled
    ):
        raise MeetingError(_("Scegli questo incontro o uno successivo del gruppo."), "at_meeting")
    meeting.minutes_status = MinutesStatus.APPROVED
    meeting.approved_at = utcnow()
    meeting.approved_by_id = by.id
    meeting.approved_at_meeting_id = at_meeting.id if at_meeting else None
    meeting.approved_revision = meeting.minutes.text.head
    _tell(
        meeting,
        (p.user_id for p in meeting.participants),
        by=by,
        title=_("Verbale approvato: «%(title)s»", title=meeting.title),
        excerpt=minutes_title(meeting),
        source=f"minutes-approved:{meeting.id}",
    )
    _event(
        EventKind.MINUTES_APPROVED,
        meeting,
        by=by,
        summary=minutes_title(meeting),
        document_id=meeting.minutes_document_id,
        revision_number=meeting.approved_revision,
    )
    audit.record(
        "minutes.approved",
        actor=by,
        target=meeting,
        detail={
            "revision": meeting.approved_revision,
            "at_meeting_id": meeting.approved_at_meeting_id,
        },
    )
    db.session.commit()


def corrections(meeting: Meeting) -> list:
    """Revisions of approved minutes saved after the approval: each with its reason."""
    if meeting.approved_revision is None or meeting.minutes is None:
        return []
    query = revisions.history_query(meeting.minutes.text).where(
        Revision.number > meeting.approved_revision
    )
    return list(db.session.scalars(query.limit(200)))[::-1]


# Decisions


def add_decision(
    meeting: Meeting,
    *,
    item_id: int | None,
    text: str,
    document_id: int | None,
    revision_number: int | None,
    by: User,
) -> Decision:
    _check_open(meeting)
    item = next((i for i in meeting.items if i.id == item_id), None)
    if item is None:
        raise MeetingError(_("Scegli il punto all'ordine del giorno."), "item")
    if not text.strip():
        raise MeetingError(_("Questo campo è obbligatorio."), "text")
    if document_id is not None:
        document = db.session.get(Document, document_id)
        if document is None or document.group_id != meeting.group_id or document.kind != "document":
            raise MeetingError(_("Scegli un documento del gruppo."), "document")
        number = revision_number or document.text.head
        if revisions.get_revision(document.text, number) is None:
            raise MeetingError(_("Il documento non ha la versione %(n)d.", n=number), "revision")
        revision_number = number
    elif revision_number is not None:
        raise MeetingError(_("Scegli il documento a cui si riferisce la versione."), "document")
    decision = Decision(
        meeting_id=meeting.id,
        item_id=item.id,
        text=text.strip(),
        document_id=document_id,
        revision_number=revision_number,
        created_by_id=by.id,
    )
    db.session.add(decision)
    db.session.commit()
    return decision


def decisions_of(meeting: Meeting) -> list[Decision]:
    return list(
        db.session.scalars(
            select(Decision)
            .where(Decision.meeting_id == meeting.id)
            .options(selectinload(Decision.document))
            .order_by(Decision.id)
        )
    )


def remove_decision(meeting: Meeting, decision: Decision) -> None:
    _check_open(meeting)
    db.session.delete(decision)
    db.session.flush()
    # Recorded last: the audit head is locked for the shortest time, after the decision's row.
    audit.record(
        "decision.removed",
        target=decision,
        label=meeting.title,
        detail={"meeting_id": meeting.id, "text": decision.text},
    )
    db.session.commit()


def decisions_about(document: Document) -> list[Decision]:
    """The meetings' decisions that point at a document, newest meeting first."""
    return list(
        db.session.scalars(
            select(Decision)
            .join(Meeting, Decision.meeting_id == Meeting.id)
            .where(Decision.document_id == document.id, Meeting.cancelled_at.is_(None))
            .options(selectinload(Decision.meeting))
            .order_by(Meeting.starts_at.desc())
            .limit(20)
        )
    )


# Actions


def assign_action(
    meeting: Meeting,
    *,
    title: str,
    owner_id: int | None,
    due_on: date | None,
    item_id: int | None,
    by: User,
) -> ActionItem:
    _check_open(meeting)
    if not title.strip():
        raise MeetingError(_("Questo campo è obbligatorio."), "title")
    if owner_id is None:
        raise MeetingError(_("Scegli il responsabile."), "owner")
    _participant_user(meeting, owner_id, "owner")
    if due_on is not None and not FIRST_YEAR <= due_on.year <= LAST_YEAR:
        raise MeetingError(_("Indica una data tra il 2000 e il 2100."), "due_on")
    item = next((i for i in meeting.items if i.id == item_id), None) if item_id else None
    if item_id and item is None:
        raise MeetingError(_("Scegli il punto all'ordine del giorno."), "item")
    action = ActionItem(
        meeting_id=meeting.id,
        group_id=meeting.group_id,
        item_id=item.id if item else None,
        title=title.strip(),
        owner_id=owner_id,
        due_on=due_on,
        created_by_id=by.id,
    )
    db.session.add(action)
    db.session.flush()
    _tell(
        meeting,
        [owner_id],
        by=by,
        title=_("Ti è stato assegnato un compito: «%(title)s»", title=action.title),
        excerpt=_("Dall'incontro «%(title)s»", title=meeting.title),
        url=_meeting_url(meeting, f"#azione-{action.id}"),
        source=f"action:{action.id}",
    )
    _event(
        EventKind.ACTION_ASSIGNED,
        meeting,
        by=by,
        summary=action.title,
        action_id=action.id,
        subject_id=owner_id,
    )
    db.session.commit()
    return action


def actions_of(meeting: Meeting) -> list[ActionItem]:
    return list(
        db.session.scalars(
            select(ActionItem).where(ActionItem.meeting_id == meeting.id).order_by(ActionItem.id)
        )
    )


def open_actions(group: Group) -> list[ActionItem]:
    return list(
        db.session.scalars(
            select(ActionItem)
            .where(ActionItem.group_id == group.id, ActionItem.status == ActionStatus.OPEN)
            .options(selectinload(ActionItem.meeting))
            .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
        )
    )


def may_close(action: ActionItem, *, can_manage: bool, user: User) -> bool:
    """Its owner, whoever assigned it, and the group's leads and coordinators."""
    return can_manage or user.id in (action.owner_id, action.created_by_id)


def close_action(action: ActionItem, *, note: str, by: User) -> None:
    if action.status == ActionStatus.DONE:
        raise MeetingError(_("Il compito è già chiuso."))
    if len(note) > 2000:
        raise MeetingError(_("La nota è troppo lunga (al massimo 2000 caratteri)."), "note")
    action.status = ActionStatus.DONE
    action.closed_at = utcnow()
    action.closed_by_id = by.id
    action.closing_note = note.strip()
    _event(
        EventKind.ACTION_CLOSED,
        action.meeting,
        by=by,
        summary=action.title,
        action_id=action.id,
        subject_id=action.owner_id,
    )
    db.session.commit()


def reopen_action(action: ActionItem) -> None:
    action.status = ActionStatus.OPEN
    action.closed_at = None
    action.closed_by_id = None
    db.session.commit()


# Calendar feed


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(user: User) -> str:
    """A new secret calendar address for the person; any previous one stops working."""
    token = secrets.token_urlsafe(32)
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.token_hash = _hash(token)
    feed.created_at = utcnow()
    db.session.commit()
    return token


def revoke_feed(user: User) -> None:
    feed = db.session.get(CalendarFeed, user.id)
    if feed is not None:
        db.session.delete(feed)
        db.session.commit()


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.get(CalendarFeed, user.id)


def user_of_feed(token: str) -> User | None:
    if not token or len(token) > 100:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    if feed is None:
        return None
    user = db.session.get(User, feed.user_id)
    return user if user is not None and user.active else None


def feed_meetings(user: User) -> list[Meeting]:
    """Every meeting of the person's groups, and the joint meetings they are invited to, from
    a year ago on (cancelled ones too, so that calendars remove them)."""
    since = utcnow() - timedelta(days=366)
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.starts_at >= since, _own_meetings(user))
            .order_by(Meeting.starts_at)
            .limit(2000)
        )
    )


# The minutes as one formal text (DOCX and print)


@dataclass(frozen=True)
class Record:
    meeting: Meeting
    present: list
    absent: list
    excused: list
    invited: list
    organisations: list[str]
    decisions: list[Decision]
    actions: list[ActionItem]
    text: str
    revision_number: int | None


def record_of(meeting: Meeting) -> Record:
    groups = {status: [] for status in Attendance}
    organisations = []
    for participant in sorted(meeting.participants, key=lambda p: p.user.name.casefold()):
        groups[participant.attendance].append(participant.user)
        if participant.attendance == Attendance.PRESENT:
            profile = participant.user.profile
            label = profile.affiliation if profile is not None else ""
            if label and label not in organisations:
                organisations.append(label)
    for guest in meeting.guests:
        if guest.organisation and guest.organisation not in organisations:
            organisations.append(guest.organisation)
    text, number = "", None
    if meeting.minutes is not None:
        number = meeting.minutes.text.head
        text = revisions.text_at(meeting.minutes.text, number)
    return Record(
        meeting=meeting,
        present=groups[Attendance.PRESENT],
        absent=groups[Attendance.ABSENT],
        excused=groups[Attendance.EXCUSED],
        invited=groups[Attendance.INVITED],
        organisations=organisations,
        decisions=decisions_of(meeting),
        actions=actions_of(meeting),
        text=text,
        revision_number=number,
    )


def _closed_fences(text: str) -> str:
    """The minutes' text as it is, with a code fence left open closed at its end: otherwise
    the decisions and actions that follow it in the record would read as code."""
    fence = None
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) > 3:
            continue
        marker = stripped[:3]
        if fence is None and marker in ("```", "~~~"):
            fence = stripped[: len(stripped) - len(stripped.lstrip(marker[0]))]
        elif fence is not None and stripped.startswith(fence) and not stripped.strip(fence[0]):
            fence = None
    return text if fence is None else text.rstrip("\n") + "\n" + fence + "\n"


def _escape(text: str) -> str:
    """Plain text (names, titles) inside the generated Markdown: no markup of its own."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|<>~" else c for c in " ".join(text.split()))


def _people_lines(users) -> list[str]:
    lines = []
    for user in users:
        affiliation = user.profile.affiliation if user.profile is not None else ""
        line = f"- {_escape(user.name)}"
        if affiliation:  # a comma: a service's label has its district in brackets already
            line += f", {_escape(affiliation)}"
        lines.append(line)
    return lines


def _status_text(meeting: Meeting) -> str:
    if meeting.minutes_status == MinutesStatus.APPROVED:
        text = _(
            "approvato il %(when)s da %(who)s",
            when=format_datetime(meeting.approved_at, "d MMMM y"),
            who=meeting.approved_by.name if meeting.approved_by else _("persona rimossa"),
        )
        if meeting.approved_at_meeting is not None:
            text += " " + _(
                "nell'incontro del %(when)s",
                when=format_datetime(meeting.approved_at_meeting.starts_at, "d MMMM y"),
            )
        return text
    if meeting.minutes_status == MinutesStatus.CIRCULATED:
        return _("in visione ai partecipanti, non ancora approvato")
    return _("bozza, non ancora approvato")


def coordinations(meeting: Meeting) -> str:
    table = _("Tavolo di coordinamento Spazio Neutro")
    if meeting.is_joint:
        return _("%(table)s e Coordinamento affidi (incontro congiunto)", table=table)
    return table


def record_subtitle(record: Record, *, with_coordinations: bool = True) -> str:
    """Coordinations, group, date and place on one line; the print view shows the
    coordinations on a line of their own, as a letterhead, and leaves them out here."""
    meeting = record.meeting
    return " · ".join(
        part
        for part in (
            coordinations(meeting) if with_coordinations else "",
            meeting.group.name,
            format_datetime(meeting.starts_at, "d MMMM y, HH:mm")
            + "–"
            + format_datetime(meeting.ends_at, "HH:mm"),
            meeting.place,
        )
        if part
    )


def _heading(text: str) -> str:
    # The record's sections are the top level (rendered one level down, under the page's
    # title); the minutes' parts ("## item") sit right under "Svolgimento".
    return "# " + text


def _fact(label: str, value: str) -> str:
    return f"- **{label}:** {_escape(value)}"


def record_markdown(record: Record) -> str:
    """The minutes in the usual formal layout, as Markdown: the DOCX and the print view are
    both made from it. Names and titles typed by people are escaped; the minutes' own text
    is the part people wrote in Markdown."""
    meeting = record.meeting
    out = [_heading(_("Dati dell'incontro")), ""]
    out.append(_fact(_("Coordinamento"), coordinations(meeting)))
    out.append(_fact(_("Gruppo di lavoro"), meeting.group.name))
    when = format_datetime(meeting.starts_at, "EEEE d MMMM y, HH:mm") + "–"
    out.append(_fact(_("Data"), when + format_datetime(meeting.ends_at, "HH:mm")))
    if meeting.place:
        out.append(_fact(_("Luogo"), meeting.place))
    if meeting.online_url:
        out.append(_fact(_("A distanza"), meeting.online_url))
    if record.organisations:
        out.append(_fact(_("Servizi ed enti presenti"), ", ".join(record.organisations)))
    out.append(_fact(_("Stato del verbale"), _status_text(meeting)))
    out += ["", _heading(_("Presenti")), ""]
    present = _people_lines(record.present) + [
        f"- {_escape(guest.name)}"
        + (f" ({_escape(guest.organisation)})" if guest.organisation else "")
        + ", "
        + _("ospite")
        for guest in meeting.guests
    ]
    out += present or [_("Nessuna presenza registrata.")]
    if record.excused:
        out += ["", _heading(_("Assenti giustificati")), ""] + _people_lines(record.excused)
    if record.absent:
        out += ["", _heading(_("Assenti")), ""] + _people_lines(record.absent)
    if record.invited:
        out += ["", _heading(_("Invitati senza presenza registrata")), ""]
        out += _people_lines(record.invited)
    out += ["", _heading(_("Ordine del giorno")), ""]
    if not meeting.items:
        out.append(_("Nessun punto."))
    for number, item in enumerate(meeting.items, start=1):
        details = []
        if item.owner is not None:
            details.append(_("presenta %(name)s", name=item.owner.name))
        if item.duration_minutes:
            details.append(_("%(n)d minuti", n=item.duration_minutes))
        if item.carried_to is not None:
            details.append(
                _(
                    "rinviato all'incontro del %(when)s",
                    when=format_datetime(item.carried_to.starts_at, "d MMMM y"),
                )
            )
        line = f"{number}. {_escape(item.title)}"
        if details:
            line += f" ({_escape(', '.join(details))})"
        out.append(line)
    out += ["", _heading(_("Svolgimento")), "", _closed_fences(record.text).strip(), ""]
    out += [_heading(_("Decisioni")), ""]
    if not record.decisions:
        out.append(_("Nessuna decisione registrata."))
    positions = {item.id: n for n, item in enumerate(meeting.items, start=1)}
    for decision in record.decisions:
        line = "- **" + _("Punto %(n)d", n=positions.get(decision.item_id, 0)) + ":** "
        line += _escape(decision.text)
        if decision.document is not None:
            line += " " + _escape(
                _(
                    "(documento «%(title)s», versione %(n)d)",
                    title=decision.document.title,
                    n=decision.revision_number or 0,
                )
            )
        out.append(line)
    out += ["", _heading(_("Compiti")), ""]
    if not record.actions:
        out.append(_("Nessun compito assegnato."))
    else:
        columns = (_("Compito"), _("Responsabile"), _("Scadenza"), _("Stato"))
        out.append("| " + " | ".join(columns) + " |")
        out.append("| --- | --- | --- | --- |")
        for action in record.actions:
            due = format_date(action.due_on, "d MMMM y") if action.due_on else "–"
            state = _("chiuso") if action.status == ActionStatus.DONE else _("aperto")
            out.append(
                f"| {_escape(action.title)} | {_escape(action.owner.name)} | {due} | {state} |"
            )
    if record.revision_number is not None:
        out += [
            "",
            "_" + _escape(_("Testo del verbale: versione %(n)d.", n=record.revision_number)) + "_",
        ]
    return "\n".join(out) + "\n"


def minutes_html(record: Record) -> str:
    from workspace.texts.markdown import render

    return render(record_markdown(record), anchors=False).html


# Comments on the minutes in view

MAX_COMMENT_CHARS = 2000


def comments_of(meeting: Meeting) -> list[MinutesComment]:
    return list(
        db.session.scalars(
            select(MinutesComment)
            .where(MinutesComment.meeting_id == meeting.id)
            .order_by(MinutesComment.created_at, MinutesComment.id)
        )
    )


def add_comment(meeting: Meeting, *, body: str, by: User) -> MinutesComment:
    """A remark on the minutes while they are in view; the organiser and the group's leads
    are told (those who will approve them)."""
    if meeting.minutes is None or meeting.minutes_status != MinutesStatus.CIRCULATED:
        raise MeetingError(_("Si commenta il verbale quando è in visione ai partecipanti."))
    body = body.strip()
    if not body:
        raise MeetingError(_("Questo campo è obbligatorio."), "body")
    if len(body) > MAX_COMMENT_CHARS:
        raise MeetingError(_("Al massimo %(max)d caratteri.", max=MAX_COMMENT_CHARS), "body")
    comment = MinutesComment(meeting_id=meeting.id, author_id=by.id, body=body)
    db.session.add(comment)
    db.session.flush()
    leads = select(Membership.user_id).where(
        Membership.group_id == meeting.group_id, Membership.role == GroupRole.LEAD
    )
    recipients = set(db.session.scalars(leads))
    if meeting.created_by_id is not None:
        recipients.add(meeting.created_by_id)
    _tell(
        meeting,
        recipients,
        by=by,
        title=_(
            "%(name)s ha commentato il verbale di «%(title)s»", name=by.name, title=meeting.title
        ),
        excerpt=body,
        url=_meeting_url(meeting, "#minutes"),
        source=f"minutes-comment:{comment.id}",
    )
    db.session.commit()
    return comment
