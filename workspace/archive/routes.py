"""The group's archive as a download, for the table's coordinators."""

from flask import Blueprint, abort, send_file
from flask_login import login_required

from workspace.archive import service
from workspace.audit import service as audit
from workspace.extensions import db
from workspace.groups.access import load_group_or_404
from workspace.rendering import content_disposition

bp = Blueprint("archive", __name__)


@bp.get("/gruppi/<slug>/archivio.zip")
@login_required
def download(slug: str):
    # Outside the group: 404 as for any of its pages; a member who is not a coordinator: 403.
    access = load_group_or_404(slug)
    if not access.is_coordinator:
        abort(403)
    group = access.group
    archive = service.export(group)
    size = archive.seek(0, 2)
    archive.seek(0)
    # Recorded once the archive is built: an export that failed gave nobody anything.
    try:
        audit.record(
            "group.exported",
            target_type="group",
            target_id=group.id,
            label=group.name,
            detail={"bytes": size},
        )
        db.session.commit()
    except BaseException:
        archive.close()
        raise
    response = send_file(archive, mimetype="application/zip", max_age=0)
    response.headers["Content-Disposition"] = content_disposition(service.filename(group))
    response.content_length = size
    response.headers["Cache-Control"] = "no-store"
    return response
