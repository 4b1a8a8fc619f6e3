"""Every model, imported in one place so that Alembic and the app see the whole schema."""

from workspace.accounts.models import LoginAttempt, PasswordReset, User
from workspace.directory.models import Scope, Service
from workspace.groups.models import Group, GroupRole, Membership
from workspace.invitations.models import Invitation, invitation_groups
from workspace.people.models import Profile, Role

__all__ = [
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
]
