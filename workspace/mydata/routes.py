"""The person's own data as a download (linked from the profile page)."""

from flask import Blueprint
from flask_login import current_user, login_required

from workspace import audit
from workspace.extensions import db
from workspace.mydata import service
from workspace.rendering import download

bp = Blueprint("mydata", __name__)


@bp.get("/profilo/i-miei-dati.json")
@login_required
def export():
    user = current_user._get_current_object()
    body = service.export_json(user)
    # Recorded once the file is built: an export that failed gave nobody anything.
    audit.record("person.data_exported", target=user, detail={"bytes": len(body)})
    db.session.commit()
    response = download(body, "application/json", service.filename())
    response.headers["Cache-Control"] = "no-store"
    return response
