"""The directory of the network's services and their people; coordinators keep it current."""

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _

from workspace.database import get_or_404
from workspace.directory import service as directory_service
from workspace.directory.forms import ServiceForm
from workspace.directory.models import Scope, Service
from workspace.people.access import coordinator_required, table_member_required
from workspace.rendering import render

bp = Blueprint("directory", __name__, url_prefix="/servizi")


def load_service_or_404(service_id: int) -> Service:
    return get_or_404(Service, service_id)


@bp.get("/")
@table_member_required
def index():
    return render(
        "directory/index.html",
        "directory/_tables.html",
        tables=directory_service.directory(),
        retired=directory_service.retired_services(),
        Scope=Scope,
    )


@bp.route("/nuovo", methods=["GET", "POST"])
@coordinator_required
def create():
    form = ServiceForm()
    if form.validate_on_submit():
        service = directory_service.create_service(
            name=form.name.data,
            district=form.district.data,
            health_authority=form.health_authority.data,
            scope=Scope(form.scope.data),
        )
        flash(_("Servizio «%(name)s» aggiunto.", name=service.name), "success")
        return redirect(url_for("directory.index", _anchor=f"service-{service.id}"))
    return render(
        "directory/edit.html",
        "directory/_form.html",
        form=form,
        service=None,
        status=422 if form.errors else 200,
    )


@bp.route("/<int:service_id>/modifica", methods=["GET", "POST"])
@coordinator_required
def edit(service_id: int):
    service = load_service_or_404(service_id)
    form = ServiceForm(obj=service)
    if not form.is_submitted():
        form.scope.data = service.scope.value
    if form.validate_on_submit():
        directory_service.update_service(
            service,
            name=form.name.data,
            district=form.district.data,
            health_authority=form.health_authority.data,
            scope=Scope(form.scope.data),
        )
        flash(_("Servizio «%(name)s» aggiornato.", name=service.name), "success")
        return redirect(url_for("directory.index", _anchor=f"service-{service.id}"))
    return render(
        "directory/edit.html",
        "directory/_form.html",
        form=form,
        service=service,
        status=422 if form.errors else 200,
    )


@bp.post("/<int:service_id>/ritira")
@coordinator_required
def retire(service_id: int):
    service = load_service_or_404(service_id)
    directory_service.retire_service(service)
    flash(
        _("Servizio «%(name)s» ritirato: non compare più nell'elenco.", name=service.name), "info"
    )
    return redirect(url_for("directory.index"), code=303)


@bp.post("/<int:service_id>/ripristina")
@coordinator_required
def restore(service_id: int):
    service = load_service_or_404(service_id)
    directory_service.restore_service(service)
    flash(_("Servizio «%(name)s» di nuovo attivo.", name=service.name), "success")
    return redirect(url_for("directory.index", _anchor=f"service-{service.id}"), code=303)
