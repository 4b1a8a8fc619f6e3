"""Invitations: coordinators invite and follow up; the invited person accepts."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workspace.accounts.forms import NewPasswordForm
from workspace.accounts.service import start_session
from workspace.clock import utcnow
from workspace.database import get_or_404
from workspace.directory import service as directory_service
from workspace.groups import service as groups_service
from workspace.invitations import service
from workspace.invitations.forms import InvitationForm
from workspace.invitations.models import Invitation
from workspace.mail import MailError
from workspace.people.access import coordinator_required
from workspace.people.models import Role
from workspace.rendering import render, see_other

bp = Blueprint("invitations", __name__)


def load_invitation_or_404(invitation_id: int) -> Invitation:
    return get_or_404(Invitation, invitation_id)


def invitation_form() -> InvitationForm:
    form = InvitationForm()
    form.service_id.choices = directory_service.service_choices(_("— nessun servizio —"))
    form.group_ids.choices = [(g.id, g.name) for g in groups_service.active_groups()]
    return form


def _send(invitation: Invitation, token: str) -> bool:
    try:
        service.send_invitation_mail(invitation, token)
    except MailError:
        flash(
            _(
                "L'invito per %(email)s è salvato ma l'e-mail non è partita: il server di posta "
                "non risponde. Riprova con «Invia di nuovo».",
                email=invitation.email,
            ),
            "error",
        )
        return False
    return True


@bp.get("/inviti")
@coordinator_required
def index():
    return render(
        "invitations/index.html",
        "invitations/_list.html",
        invitations=service.invitations_list(),
        now=utcnow(),
    )


@bp.route("/inviti/nuovo", methods=["GET", "POST"])
@coordinator_required
def create():
    form = invitation_form()
    if form.validate_on_submit():
        try:
            invitation, token = service.create_invitation(
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                service=directory_service.find_service(form.service_id.data),
                organisation=form.organisation.data,
                groups=groups_service.active_groups(ids=form.group_ids.data),
                invited_by=current_user,
            )
        except service.InvitationError as error:
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            if _send(invitation, token):
                flash(
                    _(
                        "Invito inviato a %(email)s. Il link vale %(days)d giorni.",
                        email=invitation.email,
                        days=(invitation.expires_at - invitation.created_at).days,
                    ),
                    "success",
                )
            return redirect(url_for("invitations.index"))
    return render(
        "invitations/new.html",
        "invitations/_form.html",
        form=form,
        status=422 if form.errors else 200,
    )


@bp.post("/inviti/<int:invitation_id>/invia-di-nuovo")
@coordinator_required
def resend(invitation_id: int):
    invitation = load_invitation_or_404(invitation_id)
    try:
        token = service.renew_token(invitation)
    except service.InvitationError as error:
        flash(str(error), "error")
    else:
        if _send(invitation, token):
            flash(_("Invito inviato di nuovo a %(email)s.", email=invitation.email), "success")
    return see_other(url_for("invitations.index"))


@bp.post("/inviti/<int:invitation_id>/revoca")
@coordinator_required
def revoke(invitation_id: int):
    invitation = load_invitation_or_404(invitation_id)
    service.revoke(invitation)
    flash(
        _("Invito a %(email)s revocato: il link non funziona più.", email=invitation.email), "info"
    )
    return see_other(url_for("invitations.index"))


@bp.route("/invito/<token>", methods=["GET", "POST"])
def accept(token: str):
    invitation, reason = service.find_usable(token)
    if invitation is None:
        return render_template("invitations/unusable.html", reason=reason), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = service.accept(invitation, form.password.data)
        except service.InvitationError as error:
            if error.field != "password":
                flash(str(error), "error")
                return redirect(url_for("accounts.login"))
            form.password.errors.append(str(error))
        else:
            start_session(user)
            flash(_("Benvenuto in Tavolo, %(name)s!", name=user.name), "success")
            return redirect(url_for("home.index"))
    return (
        render_template("invitations/accept.html", form=form, invitation=invitation, token=token),
        422 if form.errors else 200,
    )
