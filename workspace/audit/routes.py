"""The coordinators' register: the filtered log, page by page, and its CSV export."""

from flask import Blueprint, request, url_for

from workspace.audit import service
from workspace.audit.forms import FilterForm
from workspace.clock import utcnow
from workspace.extensions import db
from workspace.forms import parse_number
from workspace.people.access import coordinator_required
from workspace.rendering import download, render

bp = Blueprint("audit", __name__)

PAGE_SIZE = 50


def _read_filters() -> tuple[FilterForm, service.Filters | None]:
    """The filter form from the query string, and the filters when it is valid."""
    form = FilterForm(request.args, people=service.actors())
    if not form.validate():
        return form, None
    return form, service.Filters(
        action=form.azione.data or "",
        actor_id=form.persona.data,
        since=form.dal.data,
        until=form.al.data,
    )


def _query_args(form: FilterForm) -> dict:
    return {
        name: request.args.get(name)
        for name in ("azione", "persona", "dal", "al")
        if request.args.get(name)
    }


@bp.get("/registro")
@coordinator_required
def index():
    form, filters = _read_filters()
    page = None
    if filters is not None:
        page = service.entries(
            filters, before=parse_number(request.args.get("prima")), limit=PAGE_SIZE
        )
    args = _query_args(form)
    return render(
        "audit/index.html",
        "audit/_log.html",
        target="audit-log",
        form=form,
        log_page=page,
        older_url=url_for("audit.index", **args, prima=page.next_before)
        if page is not None and page.next_before
        else None,
        csv_url=url_for("audit.export", **args),
        newest_url=url_for("audit.index", **args) if request.args.get("prima") else None,
        status=200 if filters is not None else 422,
    )


@bp.get("/registro.csv")
@coordinator_required
def export():
    form, filters = _read_filters()
    if filters is None:
        # Filters that make no sense: the page says which and why.
        return index()
    service.record("audit.exported", detail={"filters": _query_args(form)})
    db.session.commit()
    filename = f"registro-{utcnow():%Y%m%d-%H%M%S}.csv"
    # Built whole, not streamed: a year of entries is a few megabytes, and the request's
    # session is still there to read them.
    body = "".join(service.csv_lines(filters)).encode("utf-8")
    return download(body, "text/csv", filename)
