"""Who sees a meeting and what they may do with it. One loader for every meeting route.

Members of the group (and coordinators) see all its meetings. An external participant of the
foster-care coordination who is not a member sees a joint meeting they were invited to, its
agenda and its minutes, and nothing else of the group: for every other meeting, and for the
group's pages, they get 404, exactly as for something that does not exist.
"""

from dataclasses import dataclass

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from workspace.database import get_or_404
from workspace.extensions import db
from workspace.groups.access import GroupAccess, group_access
from workspace.groups.models import Group
from workspace.meetings.models import Meeting, Participant
from workspace.people.access import is_external


@dataclass(frozen=True)
class MeetingAccess:
    meeting: Meeting
    group_access: GroupAccess
    participant: Participant | None
    # True for an external participant who is not in the group: this meeting only.
    guest_only: bool

    @property
    def group(self) -> Group:
        return self.meeting.group

    @property
    def can_manage(self) -> bool:
        """Group leads and coordinators: move, cancel, reorder, circulate, approve."""
        return self.group_access.can_manage

    @property
    def can_organise(self) -> bool:
        """Change the meeting's details: its managers and whoever scheduled it."""
        user_id = getattr(current_user, "id", None)
        return self.can_manage or (
            not self.guest_only and user_id is not None and self.meeting.created_by_id == user_id
        )

    @property
    def can_contribute(self) -> bool:
        """Add to the agenda, record attendance, decisions and actions, write the minutes."""
        return not self.meeting.is_cancelled and not self.meeting.minutes_locked


def _participant(meeting: Meeting, user) -> Participant | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Participant).where(
            Participant.meeting_id == meeting.id, Participant.user_id == user.id
        )
    )


def guest_meeting_ids(user):
    """The ids of the joint meetings the person takes part in, as a subquery: what an
    external participant sees of a group they are not in (see ``meeting_access``)."""
    return (
        select(Participant.meeting_id)
        .join(Meeting, Participant.meeting_id == Meeting.id)
        .where(Participant.user_id == user.id, Meeting.is_joint.is_(True))
    )


def meeting_access(meeting: Meeting, user) -> MeetingAccess | None:
    """None when the person may not see the meeting at all."""
    if not user.is_authenticated:
        return None
    participant = _participant(meeting, user)
    access = group_access(meeting.group, user)
    if access is not None:
        return MeetingAccess(meeting, access, participant, guest_only=False)
    if meeting.is_joint and participant is not None and is_external(user):
        guest = GroupAccess(group=meeting.group, membership=None, is_coordinator=False)
        return MeetingAccess(meeting, guest, participant, guest_only=True)
    return None


def load_meeting_or_404(
    slug: str, meeting_id: int, *, manage: bool = False, organise: bool = False
) -> MeetingAccess:
    meeting = get_or_404(Meeting, meeting_id)
    if meeting.group.slug != slug:
        abort(404)
    access = meeting_access(meeting, current_user)
    if access is None:
        abort(404)
    if manage and not access.can_manage:
        abort(403)
    if organise and not access.can_organise:
        abort(403)
    return access
