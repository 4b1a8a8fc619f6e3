"""What Tavolo holds about one person, gathered into one JSON document (GDPR, right of access).

Everything is selected by the person's own id: rows that belong to them (account, profile,
memberships, preferences, notifications, drafts, invitations to meetings, actions assigned to
them) and rows they wrote (messages with their earlier versions, attachments, revisions,
minutes comments, audit entries where they are the actor). Other people appear only as far as
those rows name them already (a group, a thread's title, a notification's text), never with
their own data. Revisions give their facts and edit summary, not the document's text, which is
the group's; a draft is the person's unsaved text and is given whole. Secrets (password hash,
session id, tokens) are never part of it.

Times are ISO 8601 in UTC (with a Z). The whole document is built in memory: a person writes at
most thousands of messages, a few megabytes.
"""

import json
from collections import defaultdict
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from workspace.accounts.models import User
from workspace.activity.models import GroupVisit, WeeklySummary
from workspace.attachments.models import Attachment
from workspace.audit.actions import label as action_label
from workspace.audit.models import AuditEntry
from workspace.clock import utcnow
from workspace.discussions.models import Message, MessageVersion, Thread, ThreadRead
from workspace.documents.models import Document
from workspace.extensions import db
from workspace.groups.models import Group, Membership
from workspace.i18n import ROME
from workspace.meetings.models import ActionItem, CalendarFeed, Meeting, MinutesComment, Participant
from workspace.notifications.models import MailPreference, Notification, Subscription, Target
from workspace.revisions.models import Draft, Revision

FORMAT = "tavolo-personal-data"
FORMAT_VERSION = 1


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601; datetimes in UTC with a Z."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def filename(today: date | None = None) -> str:
    day = today or utcnow().astimezone(ROME).date()
    return f"tavolo-i-miei-dati-{day:%Y-%m-%d}.json"


def export_json(user: User) -> bytes:
    return json.dumps(export(user), ensure_ascii=False, indent=2).encode("utf-8")


def export(user: User) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": iso(utcnow()),
        "about": _(
            "I dati personali che Tavolo conserva su di te. Gli orari sono in UTC (ISO 8601). "
            "Delle versioni dei documenti che hai salvato sono indicati i dati e la nota di "
            "modifica, non il testo del documento, che è del gruppo."
        ),
        "account": _account(user),
        "memberships": _memberships(user),
        "preferences": _preferences(user),
        "subscriptions": _subscriptions(user),
        "messages": _messages(user),
        "attachments": _attachments(user),
        "document_revisions": _revisions(user),
        "drafts": _drafts(user),
        "meetings": _meetings(user),
        "actions": _actions(user),
        "minutes_comments": _minutes_comments(user),
        "notifications": _notifications(user),
        "reading": _reading(user),
        "audit_log": _audit_entries(user),
    }


def _account(user: User) -> dict:
    profile = user.profile
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": str(profile.role) if profile else None,
        "service": profile.service.label if profile and profile.service else None,
        "organisation": profile.organisation if profile else None,
        "phone": profile.phone if profile else None,
        "language": profile.locale if profile else None,
        "active": user.active,
        "created_at": iso(user.created_at),
        "last_login_at": iso(user.last_login_at),
        "previous_login_at": iso(user.previous_login_at),
    }


def _memberships(user: User) -> list[dict]:
    rows = db.session.execute(
        select(Membership.role, Membership.created_at, Group.slug, Group.name, Group.archived_at)
        .join(Group, Group.id == Membership.group_id)
        .where(Membership.user_id == user.id)
        .order_by(Group.name, Group.id)
    )
    return [
        {
            "group": row.name,
            "group_slug": row.slug,
            "role": str(row.role),
            "since": iso(row.created_at),
            "group_archived_at": iso(row.archived_at),
        }
        for row in rows
    ]


def _preferences(user: User) -> dict:
    mail = db.session.get(MailPreference, user.id)
    weekly = db.session.get(WeeklySummary, user.id)
    feed = db.session.get(CalendarFeed, user.id)
    return {
        # No row yet: the defaults apply (mail at once, no weekly summary).
        "notification_mail": mail.mode if mail else "immediate",
        "last_digest_at": iso(mail.last_digest_at) if mail else None,
        "weekly_summary": bool(weekly and weekly.enabled),
        "weekly_summary_last_sent_at": iso(weekly.last_sent_at) if weekly else None,
        "calendar_feed_created_at": iso(feed.created_at) if feed else None,
    }


def _subscriptions(user: User) -> list[dict]:
    subscriptions = list(
        db.session.scalars(
            select(Subscription).where(Subscription.user_id == user.id).order_by(Subscription.id)
        )
    )
    thread_ids = [s.target_id for s in subscriptions if s.target == Target.THREAD]
    group_ids = [s.target_id for s in subscriptions if s.target == Target.GROUP]
    threads = {
        row.id: row
        for row in db.session.execute(
            select(Thread.id, Thread.title, Group.name.label("group"))
            .join(Group, Group.id == Thread.group_id)
            .where(Thread.id.in_(thread_ids))
        )
    }
    groups = {
        row.id: row.name
        for row in db.session.execute(select(Group.id, Group.name).where(Group.id.in_(group_ids)))
    }
    result = []
    for subscription in subscriptions:
        entry = {
            "state": subscription.state,  # follow / mute
            "target": subscription.target,  # thread / group
            "since": iso(subscription.created_at),
        }
        if subscription.target == Target.THREAD:
            thread = threads.get(subscription.target_id)
            entry["thread"] = thread.title if thread else None
            entry["group"] = thread.group if thread else None
        else:
            entry["group"] = groups.get(subscription.target_id)
        result.append(entry)
    return result


def _messages(user: User) -> list[dict]:
    mine = select(Message.id).where(Message.author_id == user.id)
    versions = defaultdict(list)
    for version in db.session.scalars(
        select(MessageVersion)
        .where(MessageVersion.message_id.in_(mine))
        .order_by(MessageVersion.message_id, MessageVersion.id)
    ):
        versions[version.message_id].append(
            {
                "body": version.body,
                "written_at": iso(version.written_at),
                "replaced_at": iso(version.replaced_at),
            }
        )
    rows = db.session.execute(
        select(
            Message.id,
            Message.number,
            Message.body,
            Message.created_at,
            Message.edited_at,
            Message.withdrawn_at,
            Thread.id.label("thread_id"),
            Thread.title.label("thread"),
            Group.name.label("group"),
        )
        .join(Thread, Thread.id == Message.thread_id)
        .join(Group, Group.id == Thread.group_id)
        .where(Message.author_id == user.id)
        .order_by(Message.created_at, Message.id)
        .execution_options(yield_per=1000)
    )
    return [
        {
            "group": row.group,
            "thread": row.thread,
            "thread_id": row.thread_id,
            "number": row.number,
            "created_at": iso(row.created_at),
            "edited_at": iso(row.edited_at),
            "withdrawn": row.withdrawn_at is not None,
            "withdrawn_at": iso(row.withdrawn_at),
            "body": row.body,
            "earlier_versions": versions.get(row.id, []),
        }
        for row in rows
    ]


def _attachments(user: User) -> list[dict]:
    rows = db.session.execute(
        select(
            Attachment.filename,
            Attachment.content_type,
            Attachment.size,
            Attachment.created_at,
            Message.number,
            Thread.title.label("thread"),
            Group.name.label("group"),
        )
        .outerjoin(Message, Message.id == Attachment.message_id)
        .outerjoin(Thread, Thread.id == Message.thread_id)
        .outerjoin(Group, Group.id == Thread.group_id)
        .where(Attachment.uploaded_by_id == user.id)
        .order_by(Attachment.created_at, Attachment.id)
    )
    return [
        {
            "filename": row.filename,
            "content_type": row.content_type,
            "size": row.size,
            "uploaded_at": iso(row.created_at),
            "group": row.group,
            "thread": row.thread,
            "message_number": row.number,
        }
        for row in rows
    ]


def _revisions(user: User) -> list[dict]:
    # The columns only: never the stored payload (the document's text).
    rows = db.session.execute(
        select(
            Revision.number,
            Revision.created_at,
            Revision.summary,
            Revision.base_number,
            Revision.restored_from,
            Revision.merged,
            Revision.size,
            Revision.size_change,
            Document.id.label("document_id"),
            Document.title.label("document"),
            Document.kind,
            Group.name.label("group"),
        )
        .outerjoin(Document, Document.text_id == Revision.text_id)
        .outerjoin(Group, Group.id == Document.group_id)
        .where(Revision.author_id == user.id)
        .order_by(Revision.created_at, Revision.id)
        .execution_options(yield_per=1000)
    )
    return [
        {
            "group": row.group,
            "document": row.document,
            "document_id": row.document_id,
            "kind": row.kind,  # document / minutes
            "number": row.number,
            "created_at": iso(row.created_at),
            "summary": row.summary,
            "base_number": row.base_number,
            "restored_from": row.restored_from,
            "merged": row.merged,
            "size": row.size,
            "size_change": row.size_change,
        }
        for row in rows
    ]


def _drafts(user: User) -> list[dict]:
    rows = db.session.execute(
        select(
            Draft.updated_at,
            Draft.section,
            Draft.base_number,
            Draft.summary,
            Draft.body,
            Document.title.label("document"),
            Group.name.label("group"),
        )
        .outerjoin(Document, Document.text_id == Draft.text_id)
        .outerjoin(Group, Group.id == Document.group_id)
        .where(Draft.user_id == user.id)
        .order_by(Draft.updated_at, Draft.id)
    )
    return [
        {
            "group": row.group,
            "document": row.document,
            "updated_at": iso(row.updated_at),
            "section": row.section,
            "base_number": row.base_number,
            "summary": row.summary,
            "body": row.body,
        }
        for row in rows
    ]


def _meetings(user: User) -> list[dict]:
    rows = db.session.execute(
        select(
            Participant.attendance,
            Meeting.title,
            Meeting.starts_at,
            Meeting.ends_at,
            Meeting.place,
            Meeting.is_joint,
            Meeting.cancelled_at,
            Group.name.label("group"),
        )
        .join(Meeting, Meeting.id == Participant.meeting_id)
        .join(Group, Group.id == Meeting.group_id)
        .where(Participant.user_id == user.id)
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [
        {
            "group": row.group,
            "meeting": row.title,
            "starts_at": iso(row.starts_at),
            "ends_at": iso(row.ends_at),
            "place": row.place,
            "joint": row.is_joint,
            "cancelled_at": iso(row.cancelled_at),
            "attendance": str(row.attendance),  # invited / present / absent / excused
        }
        for row in rows
    ]


def _actions(user: User) -> list[dict]:
    rows = db.session.execute(
        select(
            ActionItem.title,
            ActionItem.due_on,
            ActionItem.status,
            ActionItem.created_at,
            ActionItem.closed_at,
            ActionItem.closing_note,
            Meeting.title.label("meeting"),
            Meeting.starts_at,
            Group.name.label("group"),
        )
        .join(Meeting, Meeting.id == ActionItem.meeting_id)
        .join(Group, Group.id == ActionItem.group_id)
        .where(ActionItem.owner_id == user.id)
        .order_by(ActionItem.created_at, ActionItem.id)
    )
    return [
        {
            "group": row.group,
            "meeting": row.meeting,
            "meeting_starts_at": iso(row.starts_at),
            "title": row.title,
            "due_on": iso(row.due_on),
            "status": str(row.status),
            "assigned_at": iso(row.created_at),
            "closed_at": iso(row.closed_at),
            "closing_note": row.closing_note,
        }
        for row in rows
    ]


def _minutes_comments(user: User) -> list[dict]:
    rows = db.session.execute(
        select(
            MinutesComment.body,
            MinutesComment.created_at,
            Meeting.title.label("meeting"),
            Meeting.starts_at,
            Group.name.label("group"),
        )
        .join(Meeting, Meeting.id == MinutesComment.meeting_id)
        .join(Group, Group.id == Meeting.group_id)
        .where(MinutesComment.author_id == user.id)
        .order_by(MinutesComment.created_at, MinutesComment.id)
    )
    return [
        {
            "group": row.group,
            "meeting": row.meeting,
            "meeting_starts_at": iso(row.starts_at),
            "created_at": iso(row.created_at),
            "body": row.body,
        }
        for row in rows
    ]


def _notifications(user: User) -> list[dict]:
    rows = db.session.execute(
        select(
            Notification.kind,
            Notification.title,
            Notification.excerpt,
            Notification.url,
            Notification.created_at,
            Notification.read_at,
            Notification.emailed_at,
            Group.name.label("group"),
        )
        .outerjoin(Group, Group.id == Notification.group_id)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at, Notification.id)
    )
    return [
        {
            "kind": row.kind,
            "group": row.group,
            "title": row.title,
            "excerpt": row.excerpt,
            "url": row.url,
            "created_at": iso(row.created_at),
            "read_at": iso(row.read_at),
            "emailed_at": iso(row.emailed_at),
        }
        for row in rows
    ]


def _reading(user: User) -> dict:
    """How far the person has read each thread, and when they last opened each group."""
    threads = db.session.execute(
        select(ThreadRead.last_read_number, ThreadRead.updated_at, Thread.title, Group.name)
        .join(Thread, Thread.id == ThreadRead.thread_id)
        .join(Group, Group.id == Thread.group_id)
        .where(ThreadRead.user_id == user.id)
        .order_by(ThreadRead.updated_at, ThreadRead.id)
    )
    visits = db.session.execute(
        select(GroupVisit.seen_at, GroupVisit.previous_at, Group.name)
        .join(Group, Group.id == GroupVisit.group_id)
        .where(GroupVisit.user_id == user.id)
        .order_by(Group.name, Group.id)
    )
    return {
        "threads": [
            {
                "group": row.name,
                "thread": row.title,
                "last_read_number": row.last_read_number,
                "updated_at": iso(row.updated_at),
            }
            for row in threads
        ],
        "group_visits": [
            {"group": row.name, "seen_at": iso(row.seen_at), "previous_at": iso(row.previous_at)}
            for row in visits
        ],
    }


def _audit_entries(user: User) -> list[dict]:
    rows = db.session.execute(
        select(
            AuditEntry.created_at,
            AuditEntry.action,
            AuditEntry.target_type,
            AuditEntry.target_label,
            AuditEntry.detail,
            AuditEntry.address,
        )
        .where(AuditEntry.actor_id == user.id)
        .order_by(AuditEntry.id)
        .execution_options(yield_per=1000)
    )
    return [
        {
            "at": iso(row.created_at),
            "action": row.action,
            "description": action_label(row.action),
            "target_type": row.target_type,
            "target": row.target_label,
            "detail": row.detail,
            "address": row.address,
        }
        for row in rows
    ]
