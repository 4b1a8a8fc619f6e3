"""The coordination overview: what waits for the table, group by group."""

from flask import Blueprint

from workspace.overview import service
from workspace.people.access import coordinator_required
from workspace.rendering import render

bp = Blueprint("overview", __name__)


@bp.get("/panoramica")
@coordinator_required
def index():
    return render(
        "overview/index.html",
        "overview/_overview.html",
        target="overview",
        overview=service.overview(),
    )
