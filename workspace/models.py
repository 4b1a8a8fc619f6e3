"""Every model, imported in one place so that Alembic and the app see the whole schema."""

from workspace.accounts.models import LoginAttempt, PasswordReset, User
from workspace.activity.models import Event, GroupVisit, WeeklySummary
from workspace.attachments.models import Attachment
from workspace.audit.models import AuditChainHead, AuditEntry
from workspace.directory.models import Scope, Service
from workspace.discussions.models import Message, MessageVersion, Thread, ThreadRead
from workspace.documents.models import Approval, Document
from workspace.groups.models import Group, GroupRole, Membership
from workspace.invitations.models import Invitation, invitation_groups
from workspace.meetings.models import (
    ActionItem,
    AgendaItem,
    CalendarFeed,
    Decision,
    Guest,
    Meeting,
    MeetingSeries,
    MinutesComment,
    Participant,
)
from workspace.notifications.models import MailPreference, Notification, Subscription
from workspace.people.models import Profile, Role
from workspace.revisions.models import Draft, PendingSave, Presence, Revision, VersionedText
from workspace.search.models import SearchEntry
from workspace.twofactor.models import RecoveryCode, TwoFactor

__all__ = [
    "Event",
    "GroupVisit",
    "WeeklySummary",
    "ActionItem",
    "AgendaItem",
    "CalendarFeed",
    "Decision",
    "Guest",
    "Meeting",
    "MeetingSeries",
    "MinutesComment",
    "Participant",
    "Attachment",
    "AuditChainHead",
    "AuditEntry",
    "MailPreference",
    "Message",
    "MessageVersion",
    "Notification",
    "Subscription",
    "Thread",
    "ThreadRead",
    "Approval",
    "Document",
    "Draft",
    "PendingSave",
    "Presence",
    "Revision",
    "SearchEntry",
    "VersionedText",
    "Group",
    "GroupRole",
    "Invitation",
    "LoginAttempt",
    "Membership",
    "PasswordReset",
    "Profile",
    "Role",
    "Scope",
    "Service",
    "User",
    "invitation_groups",
    "RecoveryCode",
    "TwoFactor",
]
