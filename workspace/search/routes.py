"""The search page, /cerca: a plain GET form; with htmx, results follow the typing."""

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workspace.forms import parse_number
from workspace.rendering import render
from workspace.search import service
from workspace.search.deadline import SearchTimeout
from workspace.search.forms import SearchForm

bp = Blueprint("search", __name__)

RESULTS_TARGET = "search-results"


@bp.get("/cerca")
@login_required
def index():
    groups = service.group_choices(current_user)
    form = SearchForm(request.args)
    form.set_choices(groups, service.kind_labels())
    results, status = None, 200
    if form.q.data and form.validate():
        group_id = next((g.id for g in groups if g.slug == form.gruppo.data), None)
        try:
            results = service.search(
                current_user,
                form.q.data,
                group_id=group_id,
                kind=form.tipo.data or None,
                page=parse_number(request.args.get("pagina")) or 1,
            )
        except SearchTimeout:
            form.q.errors = [
                *form.q.errors,
                _("La ricerca richiede troppo tempo: prova parole più precise."),
            ]
            status = 503
    return render(
        "search/index.html",
        "search/_results.html",
        target=RESULTS_TARGET,
        form=form,
        results=results,
        oob=True,
        status=status,
    )
