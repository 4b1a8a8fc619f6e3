"""Downloading an attachment: only for those who may read the message it belongs to."""

import io

from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user, login_required

from workspace.attachments import content, service
from workspace.attachments.models import Attachment
from workspace.database import get_or_404
from workspace.discussions.models import Message, Thread
from workspace.extensions import db
from workspace.groups.access import group_access
from workspace.groups.models import Group

bp = Blueprint("attachments", __name__, url_prefix="/allegati")

# The file is never a page of ours: nothing in it may run, load or reach the session.
FILE_POLICY = "default-src 'none'; sandbox"


def load_attachment_or_404(attachment_id: int) -> Attachment:
    """The attachment, for someone who may read its message's thread; 404 for anyone else,
    as for an attachment that does not exist. An upload not yet in a message is its
    uploader's alone; a withdrawn message takes its files with it."""
    attachment = get_or_404(Attachment, attachment_id)
    if attachment.message_id is None:
        if attachment.uploaded_by_id != current_user.id:
            abort(404)
        return attachment
    message = db.session.get(Message, attachment.message_id)
    if message is None or message.withdrawn_at is not None:
        abort(404)
    thread = db.session.get(Thread, message.thread_id)
    group = db.session.get(Group, thread.group_id) if thread is not None else None
    if group is None or group_access(group, current_user) is None:
        abort(404)
    return attachment


@bp.get("/<int:attachment_id>/<path:filename>")
@login_required
def download(attachment_id: int, filename: str):
    # The name in the address is only for the person reading it: the stored one is served.
    attachment = load_attachment_or_404(attachment_id)
    try:
        data = service.read_bytes(attachment)
    except FileNotFoundError:
        current_app.logger.error(
            "Attachment %s: file %s missing from ATTACHMENTS_FOLDER",
            attachment.id,
            attachment.storage_path,
        )
        abort(404)
    content_type = attachment.content_type
    if content_type not in content.ALLOWED:  # only ever what detect() said
        content_type = "application/octet-stream"
    response = send_file(
        io.BytesIO(data),
        mimetype=content_type,
        # Images open in the browser; everything else is saved, never rendered by us.
        as_attachment=content_type not in content.IMAGES,
        download_name=attachment.filename,
        etag=attachment.sha256,
        last_modified=attachment.created_at,
    )
    response.headers["Content-Security-Policy"] = FILE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    # Like every signed-in page: nothing of a group's files left in a shared computer's cache.
    response.headers["Cache-Control"] = "no-store"
    return response
