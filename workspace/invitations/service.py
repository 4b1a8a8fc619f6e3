"""Invitations: a coordinator invites a person; the person chooses a password and is in.

The link carries a random token; only its hash is stored, it expires, and it works once.
"""

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workspace import audit
from workspace.accounts.models import User
from workspace.accounts.service import (
    PasswordRuleError,
    check_new_password,
    hash_password,
    normalise_email,
)
from workspace.clock import utcnow
from workspace.directory.models import Service
from workspace.extensions import db
from workspace.groups import service as groups_service
from workspace.groups.models import Group, GroupRole
from workspace.invitations.models import Invitation
from workspace.mail import absolute_url, send_mail
from workspace.people.models import Role
from workspace.people.service import create_person
from workspace.tokens import hash_token, new_token


class InvitationError(Exception):
    """The invitation cannot be made or used; the message says why, for the person at hand."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def pending_for(email: str) -> Invitation | None:
    now = utcnow()
    return db.session.scalar(
        select(Invitation).where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
    )


def create_invitation(
    *,
    email: str,
    name: str,
    role: Role,
    service: Service | None,
    organisation: str | None,
    groups: list[Group],
    invited_by: User,
) -> tuple[Invitation, str]:
    email = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise InvitationError(_("Esiste già un account con questo indirizzo."), field="email")
    if pending_for(email) is not None:
        raise InvitationError(
            _(
                "C'è già un invito in attesa per questo indirizzo: puoi inviarlo di nuovo "
                "dall'elenco degli inviti."
            ),
            field="email",
        )
    if role != Role.EXTERNAL and service is None and role != Role.COORDINATOR:
        raise InvitationError(_("Scegli il servizio in cui lavora la persona."), field="service_id")
    if role == Role.EXTERNAL and not (organisation or "").strip():
        raise InvitationError(
            _("Indica l'ente o il coordinamento da cui viene il partecipante esterno."),
            field="organisation",
        )
    token, token_hash = new_token()
    now = utcnow()
    invitation = Invitation(
        email=email,
        name=name.strip(),
        role=role,
        service=None if role == Role.EXTERNAL else service,
        organisation=(organisation or "").strip() or None if role == Role.EXTERNAL else None,
        token_hash=token_hash,
        invited_by=invited_by,
        created_at=now,
        expires_at=now + current_app.config["INVITATION_LIFETIME"],
        groups=list(groups),
    )
    db.session.add(invitation)
    audit.record(
        "invitation.created",
        actor=invited_by,
        target=invitation,
        label=email,
        detail={"role": role.value, "groups": [group.slug for group in groups]},
    )
    db.session.commit()
    return invitation, token


def renew_token(invitation: Invitation) -> str:
    """A new link (the old one stops working) valid for a full period again."""
    if invitation.accepted_at is not None:
        raise InvitationError(_("Questo invito è già stato accettato."))
    token, token_hash = new_token()
    now = utcnow()
    invitation.token_hash = token_hash
    invitation.revoked_at = None
    invitation.expires_at = now + current_app.config["INVITATION_LIFETIME"]
    audit.record("invitation.renewed", target=invitation, label=invitation.email)
    db.session.commit()
    return token


def revoke(invitation: Invitation) -> None:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit.record("invitation.revoked", target=invitation, label=invitation.email)
        db.session.commit()


def send_invitation_mail(invitation: Invitation, token: str) -> None:
    """Raises workspace.mail.MailError when the mail server refuses."""
    link = absolute_url("invitations.accept", token=token)
    # The invitee has no language yet: the mail is in the table's language, Italian.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = render_template("invitations/mail/invitation.txt", invitation=invitation, link=link)
        subject = _("Invito a Tavolo, lo spazio di lavoro del coordinamento Spazio Neutro")
    send_mail(invitation.email, subject, body)


def find_usable(token: str) -> tuple[Invitation | None, str | None]:
    """The invitation for a token, or None and the reason it cannot be used."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None:
        return None, "unknown"
    status = invitation.status(utcnow())
    if status != "pending":
        return None, status
    return invitation, None


def accept(invitation: Invitation, password: str) -> User:
    """Create the account, put the person in the groups of the invitation; all or nothing.

    InvitationError with ``field="password"`` when the password breaks a rule (the person
    chooses another); without a field when the invitation cannot be used any more.
    """
    try:
        check_new_password(password, personal=(invitation.email, invitation.name))
    except PasswordRuleError as error:
        raise InvitationError(str(error), field="password") from error
    if db.session.scalar(select(User.id).where(User.email == invitation.email)) is not None:
        raise InvitationError(_("Esiste già un account con questo indirizzo: accedi con quello."))
    user = create_person(
        email=invitation.email,
        name=invitation.name,
        role=invitation.role,
        password_hash=hash_password(password),
        service=invitation.service,
        organisation=invitation.organisation,
    )
    db.session.flush()
    for group in invitation.groups:
        groups_service.join(group, user, GroupRole.MEMBER, added_by=invitation.invited_by)
    now = utcnow()
    invitation.accepted_at = now
    invitation.user_id = user.id
    user.last_login_at = now
    audit.record(
        "invitation.accepted",
        actor=user,
        target=invitation,
        label=invitation.email,
        detail={"user_id": user.id, "groups": [group.slug for group in invitation.groups]},
    )
    db.session.commit()
    return user


def invitations_list() -> list[Invitation]:
    """Newest first, with what the list shows of each loaded in a few queries, not one each."""
    return list(
        db.session.scalars(
            select(Invitation)
            .options(
                selectinload(Invitation.service),
                selectinload(Invitation.invited_by),
                selectinload(Invitation.groups),
            )
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )
