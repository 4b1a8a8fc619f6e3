"""What the charts and the coordination overview show, read with aggregate queries.

A document may have thousands of revisions and the table hundreds of meetings: every query
here either aggregates in SQL or selects a few narrow columns, and none runs once per row.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select

from workspace.clock import utcnow
from workspace.directory.models import Service
from workspace.documents.models import Approval, Document
from workspace.extensions import db
from workspace.groups.models import Group
from workspace.i18n import ROME
from workspace.meetings.models import ActionItem, ActionStatus, Meeting, MinutesStatus
from workspace.overview import charts
from workspace.people.models import Profile, Role
from workspace.revisions.models import Revision, VersionedText

DOCUMENT = "document"
TOP_SERVICES = 5


def today() -> date:
    return utcnow().astimezone(ROME).date()


# -- A document's history at a glance ---------------------------------------------------------


@dataclass(frozen=True)
class DocumentCharts:
    edits: charts.ColumnChart
    contributors: charts.RowChart


def _period_label(period: charts.Period, unit: str) -> str:
    if unit == charts.WEEK:
        return _("settimana del %(day)s", day=format_date(period.start, "d MMMM y"))
    if unit == charts.MONTH:
        return format_date(period.start, "LLLL y")
    return format_date(period.start, "y")


def _period_short(period: charts.Period, unit: str) -> str:
    if unit == charts.WEEK:
        return format_date(period.start, "d MMM")
    if unit == charts.MONTH:
        return format_date(period.start, "LLL yy")
    return format_date(period.start, "y")


def _utc_hour(column):
    """``YYYY-MM-DD HH`` of a UTC timestamp column, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def edit_days(text_id: int) -> list[date]:
    """The day (in Rome) of every revision, counted in the database per UTC hour.

    Rome is a whole number of hours from UTC, so each hour falls in one Rome day: a few rows
    per day of work come back, not one per revision (2,000 revisions of the guidelines were
    2,000 rows converted one by one on every view of the history).
    """
    hour = _utc_hour(Revision.created_at)
    rows = db.session.execute(
        select(hour, func.count()).where(Revision.text_id == text_id).group_by(hour)
    )
    days: list[date] = []
    for stamp, count in rows:
        moment = datetime.strptime(stamp, "%Y-%m-%d %H").replace(tzinfo=UTC)
        days.extend([moment.astimezone(ROME).date()] * count)
    return days


def edits_chart(text_id: int, *, until: date | None = None) -> charts.ColumnChart:
    found = charts.periods(edit_days(text_id), until=until or today())
    unit = charts.unit_of(found)
    return charts.column_chart(
        found,
        label=lambda period: _period_label(period, unit),
        short=lambda period: _period_short(period, unit),
    )


def _contributor_label(role, service_name, district, organisation) -> str:
    if service_name is not None:
        return f"{service_name} ({district})"
    if role is None:  # the author's account was deleted
        return _("Account rimossi")
    if role == Role.EXTERNAL:
        return organisation or _("Partecipanti esterni")
    if role == Role.COORDINATOR:
        return _("Coordinamento del tavolo")
    return _("Senza servizio")


def contributors(text_id: int) -> list[charts.Row]:
    """Edits and people per service (or organisation, for external participants)."""
    query = (
        select(
            Profile.role,
            Service.name,
            Service.district,
            Profile.organisation,
            func.count(Revision.id),
            func.count(Revision.author_id.distinct()),
        )
        .select_from(Revision)
        .outerjoin(Profile, Profile.user_id == Revision.author_id)
        .outerjoin(Service, Service.id == Profile.service_id)
        .where(Revision.text_id == text_id)
        .group_by(Profile.role, Service.id, Service.name, Service.district, Profile.organisation)
    )
    return [
        charts.Row(_contributor_label(role, name, district, organisation), edits, people)
        for role, name, district, organisation, edits, people in db.session.execute(query)
    ]


def contributors_chart(text_id: int, *, top: int = TOP_SERVICES) -> charts.RowChart:
    rows = charts.top_rows(contributors(text_id), top=top, others=_("altri"))
    return charts.row_chart(rows)


def document_charts(document: Document) -> DocumentCharts:
    return DocumentCharts(
        edits=edits_chart(document.text_id), contributors=contributors_chart(document.text_id)
    )


# -- The coordination overview -------------------------------------------------------------------


@dataclass(frozen=True)
class GroupActions:
    slug: str
    name: str
    open: int
    overdue: int


@dataclass(frozen=True)
class PendingMinutes:
    meeting_id: int
    title: str
    starts_at: datetime
    slug: str
    group_name: str
    status: MinutesStatus
    document_id: int
    head: int


@dataclass(frozen=True)
class UnapprovedDocument:
    document_id: int
    title: str
    slug: str
    group_name: str
    head: int
    approved: int | None  # the revision of the latest approval, None when never approved
    approved_at: datetime | None
    changed_at: datetime | None  # when the head revision was saved

    @property
    def changes(self) -> int:
        return self.head - (self.approved or 0)


@dataclass(frozen=True)
class Overview:
    actions: list[GroupActions]
    minutes: list[PendingMinutes]
    documents: list[UnapprovedDocument]

    @property
    def open_actions(self) -> int:
        return sum(row.open for row in self.actions)

    @property
    def overdue_actions(self) -> int:
        return sum(row.overdue for row in self.actions)


def _active_groups():
    # Archived groups have stopped working: their leftovers are not the table's to chase.
    return Group.archived_at.is_(None)


def open_actions_by_group(*, on: date | None = None) -> list[GroupActions]:
    """Open actions per group, with how many are past their due date (in Rome)."""
    on = on or today()
    overdue = func.sum(
        case((and_(ActionItem.due_on.is_not(None), ActionItem.due_on < on), 1), else_=0)
    )
    query = (
        select(Group.slug, Group.name, func.count(ActionItem.id), overdue)
        .join(ActionItem, ActionItem.group_id == Group.id)
        .where(ActionItem.status == ActionStatus.OPEN, _active_groups())
        .group_by(Group.id, Group.slug, Group.name)
        .order_by(overdue.desc(), func.count(ActionItem.id).desc(), Group.name)
    )
    return [
        GroupActions(slug, name, count, int(late or 0))
        for slug, name, count, late in db.session.execute(query)
    ]


def minutes_awaiting_approval() -> list[PendingMinutes]:
    """Minutes started and not approved, of meetings that were not cancelled; oldest first."""
    query = (
        select(
            Meeting.id,
            Meeting.title,
            Meeting.starts_at,
            Group.slug,
            Group.name,
            Meeting.minutes_status,
            Document.id,
            VersionedText.head,
        )
        .join(Group, Group.id == Meeting.group_id)
        .join(Document, Document.id == Meeting.minutes_document_id)
        .join(VersionedText, VersionedText.id == Document.text_id)
        .where(
            Meeting.minutes_status != MinutesStatus.APPROVED,
            Meeting.cancelled_at.is_(None),
            _active_groups(),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [PendingMinutes(*row) for row in db.session.execute(query)]


def documents_with_unapproved_changes() -> list[UnapprovedDocument]:
    """Documents whose newest revision is after their latest approval, or never approved.

    "Latest" as on the document's page: the most recent approval, whichever revision it names.
    """
    ranked = select(
        Approval.document_id,
        Approval.revision_number,
        Approval.approved_at,
        func.row_number()
        .over(
            partition_by=Approval.document_id,
            order_by=(Approval.approved_at.desc(), Approval.id.desc()),
        )
        .label("rank"),
    ).subquery()
    latest = (
        select(ranked.c.document_id, ranked.c.revision_number, ranked.c.approved_at)
        .where(ranked.c.rank == 1)
        .subquery()
    )
    query = (
        select(
            Document.id,
            Document.title,
            Group.slug,
            Group.name,
            VersionedText.head,
            latest.c.revision_number,
            latest.c.approved_at,
            Revision.created_at,
        )
        .join(Group, Group.id == Document.group_id)
        .join(VersionedText, VersionedText.id == Document.text_id)
        .outerjoin(latest, latest.c.document_id == Document.id)
        .outerjoin(
            Revision,
            and_(Revision.text_id == Document.text_id, Revision.number == VersionedText.head),
        )
        .where(
            Document.kind == DOCUMENT,
            VersionedText.head > 0,
            or_(latest.c.revision_number.is_(None), VersionedText.head > latest.c.revision_number),
            _active_groups(),
        )
        .order_by(Group.name, Document.title, Document.id)
    )
    return [UnapprovedDocument(*row) for row in db.session.execute(query)]


def overview() -> Overview:
    return Overview(
        actions=open_actions_by_group(),
        minutes=minutes_awaiting_approval(),
        documents=documents_with_unapproved_changes(),
    )
