"""A person's own profile, and the coordinators' list of people with their accounts."""

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required

from workspace.accounts.models import User
from workspace.database import get_or_404
from workspace.directory import service as directory_service
from workspace.people import erasure, service
from workspace.people.access import coordinator_required
from workspace.people.forms import EraseForm, PersonForm, ProfileForm
from workspace.people.models import Role
from workspace.rendering import render, see_other

bp = Blueprint("people", __name__)


def load_person_or_404(user_id: int) -> User:
    user = get_or_404(User, user_id)
    if user.profile is None:
        abort(404)
    return user


def service_choices(person: User) -> list[tuple]:
    return directory_service.service_choices(
        _("— nessun servizio —"), current=person.profile.service
    )


@bp.route("/profilo", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user.profile, name=user.name)
    form.service_id.choices = service_choices(user)
    if form.validate_on_submit():
        service.update_profile(
            user,
            name=form.name.data,
            phone=form.phone.data,
            locale=form.locale.data,
            service_id=form.service_id.data,
            organisation=form.organisation.data,
        )
        refresh()  # the confirmation speaks the language just chosen
        flash(_("Profilo aggiornato."), "success")
        return redirect(url_for("people.profile"))
    return render(
        "people/profile.html",
        "people/_profile_form.html",
        form=form,
        memberships=service.memberships_of(user),
        status=422 if form.errors else 200,
    )


@bp.get("/persone")
@coordinator_required
def index():
    return render("people/index.html", "people/_list.html", people=service.people_list())


@bp.route("/persone/<int:user_id>", methods=["GET", "POST"])
@coordinator_required
def edit(user_id: int):
    person = load_person_or_404(user_id)
    form = PersonForm(obj=person.profile, name=person.name)
    form.service_id.choices = service_choices(person)
    if not form.is_submitted():
        form.role.data = person.profile.role.value
    if form.validate_on_submit():
        try:
            demoted = service.update_person(
                person,
                name=form.name.data,
                role=Role(form.role.data),
                service_id=form.service_id.data,
                organisation=form.organisation.data,
            )
        except service.PeopleRuleError as error:
            getattr(form, error.field or "role").errors.append(str(error))
        else:
            flash(_("Dati di %(name)s aggiornati.", name=person.name), "success")
            if demoted:
                flash(
                    _(
                        "Un partecipante esterno non può essere referente: %(name)s ora è "
                        "componente di %(groups)s.",
                        name=person.name,
                        groups=", ".join(m.group.name for m in demoted),
                    ),
                    "info",
                )
            return redirect(url_for("people.edit", user_id=person.id))
    return render(
        "people/edit.html",
        "people/_person_form.html",
        form=form,
        person=person,
        memberships=service.memberships_of(person),
        status=422 if form.errors else 200,
    )


@bp.post("/persone/<int:user_id>/disattiva")
@coordinator_required
def deactivate(user_id: int):
    person = load_person_or_404(user_id)
    try:
        service.set_active(person, False, by=current_user)
    except service.PeopleRuleError as error:
        flash(str(error), "error")
    else:
        flash(
            _(
                "Account di %(name)s disattivato: non può più accedere e le sue sessioni sono "
                "state chiuse.",
                name=person.name,
            ),
            "info",
        )
    return see_other(url_for("people.edit", user_id=person.id))


@bp.post("/persone/<int:user_id>/riattiva")
@coordinator_required
def reactivate(user_id: int):
    person = load_person_or_404(user_id)
    try:
        service.set_active(person, True, by=current_user)
    except service.PeopleRuleError as error:
        flash(str(error), "error")
    else:
        flash(_("Account di %(name)s riattivato.", name=person.name), "success")
    return see_other(url_for("people.edit", user_id=person.id))


@bp.route("/persone/<int:user_id>/elimina", methods=["GET", "POST"])
@coordinator_required
def erase(user_id: int):
    """The confirmation page, and the erasure itself (workspace.people.erasure)."""
    person = load_person_or_404(user_id)
    form = EraseForm()
    if form.validate_on_submit():
        try:
            label = erasure.erase(person, by=current_user, confirmation=form.confirmation.data)
        except service.PeopleRuleError as error:
            getattr(form, error.field or "confirmation").errors.append(str(error))
        else:
            flash(
                _(
                    "Dati personali eliminati: nella cronologia la persona ora compare come "
                    "«%(label)s».",
                    label=label,
                ),
                "success",
            )
            return see_other(url_for("people.edit", user_id=person.id))
    return render(
        "people/erase.html",
        "people/_erase_form.html",
        target="erase-form",
        form=form,
        person=person,
        obstacle=erasure.obstacle(person, by=current_user),
        label=erasure.neutral_label(person),
        status=422 if form.errors else 200,
    )
