"""Group spaces: the list, a group's page with its members, and their management."""

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workspace.accounts.models import User
from workspace.database import get_or_404
from workspace.groups import service as groups_service
from workspace.groups.access import GroupAccess, load_group_or_404
from workspace.groups.forms import AddMemberForm, GroupForm, MemberRoleForm, group_role_choices
from workspace.groups.models import GroupRole, Membership
from workspace.groups.panels import group_panels
from workspace.people.access import coordinator_required
from workspace.people.display import person_text
from workspace.rendering import render, see_other, wants_fragment

bp = Blueprint("groups", __name__, url_prefix="/gruppi")


def members_target(access: GroupAccess) -> str:
    return f"group-{access.group.id}-members"


def load_membership_or_404(access: GroupAccess, membership_id: int) -> Membership:
    membership = get_or_404(Membership, membership_id)
    if membership.group_id != access.group.id:
        abort(404)
    return membership


def add_member_form(access: GroupAccess, form: AddMemberForm | None = None) -> AddMemberForm:
    form = form or AddMemberForm(formdata=None)
    form.user_id.choices = [(u.id, person_text(u)) for u in groups_service.candidates(access.group)]
    return form


def render_members(
    access: GroupAccess,
    *,
    add_form: AddMemberForm | None = None,
    error: str | None = None,
    role_error: tuple[int, str] | None = None,
    status: int = 200,
):
    """The group page, or only its members region when htmx asked for that.

    ``role_error`` is (membership id, message): shown next to that member's role select.
    """
    context = {
        "access": access,
        "group": access.group,
        "members": groups_service.members(access.group),
        "add_form": add_member_form(access, add_form) if access.can_manage else None,
        "role_choices": group_role_choices(),
        "members_error": error,
        "role_error": role_error,
        "panels": [(panel, panel.context(access)) for panel in group_panels(current_app)],
    }
    return render(
        "groups/show.html",
        "groups/_members.html",
        target=members_target(access),
        status=status,
        **context,
    )


def members_changed(access: GroupAccess):
    """htmx swaps the members region in place; a plain form post goes back to the page."""
    if wants_fragment(members_target(access)):
        return render_members(access)
    return see_other(url_for("groups.show", slug=access.group.slug, _anchor=members_target(access)))


@bp.get("/")
@login_required
def index():
    groups = groups_service.visible_groups(current_user, include_archived=True)
    return render(
        "groups/index.html",
        "groups/_list.html",
        groups=groups,
        memberships=groups_service.my_memberships(current_user),
    )


@bp.route("/nuovo", methods=["GET", "POST"])
@coordinator_required
def create():
    form = GroupForm()
    if form.validate_on_submit():
        group = groups_service.create_group(
            name=form.name.data,
            purpose=form.purpose.data or "",
            is_joint=form.is_joint.data,
        )
        flash(_("Gruppo «%(name)s» creato. Ora aggiungi i componenti.", name=group.name), "success")
        return redirect(url_for("groups.show", slug=group.slug))
    return render(
        "groups/edit.html",
        "groups/_form.html",
        form=form,
        group=None,
        status=422 if form.errors else 200,
    )


@bp.get("/<slug>")
@login_required
def show(slug: str):
    return render_members(load_group_or_404(slug))


@bp.route("/<slug>/modifica", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    access = load_group_or_404(slug, manage=True)
    group = access.group
    form = GroupForm(obj=group)
    if form.validate_on_submit():
        groups_service.update_group(
            group, name=form.name.data, purpose=form.purpose.data or "", is_joint=form.is_joint.data
        )
        flash(_("Gruppo aggiornato."), "success")
        return redirect(url_for("groups.show", slug=group.slug))
    return render(
        "groups/edit.html",
        "groups/_form.html",
        form=form,
        group=group,
        status=422 if form.errors else 200,
    )


@bp.post("/<slug>/archivia")
@coordinator_required
def archive(slug: str):
    access = load_group_or_404(slug)
    groups_service.set_archived(access.group, True)
    flash(
        _("Gruppo archiviato: resta consultabile ma non compare più tra i gruppi attivi."), "info"
    )
    return redirect(url_for("groups.show", slug=slug), code=303)


@bp.post("/<slug>/riattiva")
@coordinator_required
def unarchive(slug: str):
    access = load_group_or_404(slug)
    groups_service.set_archived(access.group, False)
    flash(_("Gruppo di nuovo attivo."), "success")
    return redirect(url_for("groups.show", slug=slug), code=303)


@bp.post("/<slug>/componenti")
@login_required
def add_member(slug: str):
    access = load_group_or_404(slug, manage=True)
    form = add_member_form(access, AddMemberForm())
    if not form.validate_on_submit():
        error = None
        if form.user_id.errors:
            error = _("La persona scelta non si può aggiungere: forse fa già parte del gruppo.")
        return render_members(access, add_form=form, error=error, status=422)
    user = get_or_404(User, form.user_id.data)
    try:
        membership = groups_service.add_member(
            access.group, user, GroupRole(form.role.data), added_by=current_user
        )
    except groups_service.GroupRuleError as error:
        if error.field == "role":
            form.role.errors = [*form.role.errors, str(error)]
            return render_members(access, add_form=form, status=422)
        return render_members(access, add_form=form, error=str(error), status=422)
    flash(_("%(name)s aggiunto al gruppo.", name=membership.user.name), "success")
    return members_changed(access)


@bp.post("/<slug>/componenti/<int:membership_id>/ruolo")
@login_required
def change_role(slug: str, membership_id: int):
    access = load_group_or_404(slug, manage=True)
    membership = load_membership_or_404(access, membership_id)
    form = MemberRoleForm()
    if not form.validate_on_submit():
        return render_members(
            access, role_error=(membership.id, _("Ruolo non valido.")), status=422
        )
    try:
        groups_service.change_role(membership, GroupRole(form.role.data))
    except groups_service.GroupRuleError as error:
        return render_members(access, role_error=(membership.id, str(error)), status=422)
    flash(_("Ruolo di %(name)s aggiornato.", name=membership.user.name), "success")
    return members_changed(load_group_or_404(slug))


@bp.post("/<slug>/componenti/<int:membership_id>/rimuovi")
@login_required
def remove_member(slug: str, membership_id: int):
    access = load_group_or_404(slug, manage=True)
    membership = load_membership_or_404(access, membership_id)
    name = membership.user.name
    leaving_self = membership.user_id == current_user.id
    groups_service.remove_member(membership, by=current_user)
    flash(_("%(name)s non fa più parte del gruppo.", name=name), "info")
    if leaving_self and not access.is_coordinator:
        return see_other(url_for("home.index"))
    return members_changed(load_group_or_404(slug))
