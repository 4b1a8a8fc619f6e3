"""Discussions of a group: list, open, read, reply, quote, edit, withdraw, moderate, follow."""

import secrets

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workspace.database import get_or_404
from workspace.discussions import service
from workspace.discussions.forms import MessageForm, ThreadForm
from workspace.discussions.models import Message, Thread
from workspace.extensions import db
from workspace.forms import MAX_NUMBER, parse_number
from workspace.groups.access import GroupAccess, load_group_or_404
from workspace.rendering import is_htmx, render, render_fragment, see_other

bp = Blueprint("discussions", __name__, url_prefix="/gruppi/<slug>/discussioni")


def load_thread_or_404(
    slug: str, thread_id: int, *, manage: bool = False
) -> tuple[GroupAccess, Thread]:
    access = load_group_or_404(slug, manage=manage)
    thread = get_or_404(Thread, thread_id)
    if thread.group_id != access.group.id:
        abort(404)
    return access, thread


def load_message_or_404(thread: Thread, number: int) -> Message:
    message = service.get_message(thread, number) if 0 < number <= MAX_NUMBER else None
    if message is None:
        abort(404)
    return message


def _attachments():
    from workspace.attachments import service

    return service


def _number(raw: str | None) -> int | None:
    """A positive number from a form or a query string, or None."""
    return parse_number(raw) or None


def _keep_files(files, message: Message) -> None:
    """Attach the uploaded files to the message just saved (re-added: a retried save may
    have rolled their first insert back)."""
    if not files:
        return
    for attachment in files:
        db.session.add(attachment)
    _attachments().attach(files, message.id)
    db.session.commit()


def _page_arg() -> int | None:
    value = request.args.get("pagina", type=int)
    return value if value is not None and 0 < value <= MAX_NUMBER else None


def _reply_form(thread: Thread, quoted: Message | None = None) -> MessageForm:
    form = MessageForm(formdata=None)
    form.client_token.data = secrets.token_urlsafe(16)
    if quoted is not None and quoted.withdrawn_at is None:
        form.quoted.data = str(quoted.number)
        name = quoted.author.name if quoted.author else "—"
        lines = quoted.body.strip().splitlines()[:20]
        form.body.data = (
            f"> **{name}** ({_('messaggio %(n)d', n=quoted.number)}):\n>\n"
            + "\n".join(f"> {line}" for line in lines)
            + "\n\n"
        )
    return form


@bp.get("/")
@login_required
def index(slug: str):
    access = load_group_or_404(slug)
    pagination, rows = service.threads_page(access.group, current_user, _page_arg() or 1)
    return render(
        "discussions/index.html",
        "discussions/_threads.html",
        access=access,
        group=access.group,
        pagination=pagination,
        rows=rows,
    )


@bp.route("/nuova", methods=["GET", "POST"])
@login_required
def create(slug: str):
    access = load_group_or_404(slug)
    form = ThreadForm()
    attachments_error = None
    document, section_title = _linked_document(access, form)
    if request.method == "GET":
        form.client_token.data = secrets.token_urlsafe(16)
        if section_title:
            form.title.data = _("Sezione «%(title)s»", title=section_title)
    elif form.validate_on_submit():
        duplicate = service.sent_before(current_user, form.client_token.data or None)
        if duplicate is not None:
            return redirect(url_for("discussions.show", slug=slug, thread_id=duplicate.thread_id))
        try:
            files = _attachments().store(request.files.getlist("allegati"), uploader=current_user)
            thread = service.open_thread(
                access.group,
                author=current_user,
                title=form.title.data,
                body=form.body.data,
                document=document,
                section_anchor=form.section.data or None,
                section_title=section_title,
                client_token=form.client_token.data or None,
            )
        except service.DiscussionError as error:
            db.session.rollback()
            getattr(form, error.field or "body").errors.append(str(error))
        except _attachments().AttachmentError as error:
            db.session.rollback()
            attachments_error = str(error)
        else:
            _keep_files(files, service.get_message(thread, 1))
            flash(_("Discussione aperta."), "success")
            return redirect(url_for("discussions.show", slug=slug, thread_id=thread.id))
    return render(
        "discussions/new.html",
        "discussions/_new_form.html",
        access=access,
        group=access.group,
        form=form,
        document=document,
        section_title=section_title,
        people=service.mentionable(access.group),
        attachments_error=attachments_error,
        status=422 if form.errors or attachments_error else 200,
    )


def _linked_document(access: GroupAccess, form: ThreadForm):
    """The document (and section) a new thread is about, from ?documento=&sezione=."""
    from workspace.documents.models import Document
    from workspace.revisions import service as revisions

    raw = request.values.get("documento") or form.document.data
    number = parse_number(str(raw)) if raw else None
    if not number:
        return None, None
    document = db.session.get(Document, number)
    if document is None or document.group_id != access.group.id:
        return None, None
    form.document.data = str(document.id)
    anchor = request.values.get("sezione") or form.section.data or ""
    toc = revisions.content_at(document.text, document.text.head).toc
    title = next((t for _level, t, a, _section in toc if a == anchor), None)
    form.section.data = anchor if title else ""
    return document, title


@bp.get("/<int:thread_id>")
@login_required
def show(slug: str, thread_id: int):
    access, thread = load_thread_or_404(slug, thread_id)
    already_read = service.last_read(thread, current_user)
    page = _page_arg()
    if page is None:
        # Open at the first unread message.
        page = service.page_of(min(already_read + 1, max(thread.last_number, 1)))
    pagination = service.messages_page(thread, page)
    quoted = None
    if _number(request.args.get("cita")) is not None:
        quoted = service.get_message(thread, _number(request.args.get("cita")))
    response = render(
        "discussions/show.html",
        "discussions/_messages.html",
        target=f"thread-{thread.id}-messages",
        access=access,
        group=access.group,
        thread=thread,
        pagination=pagination,
        first_unread=already_read + 1 if already_read < thread.last_number else None,
        attachments=_attachments().for_messages([m.id for m in pagination.items]),
        form=_reply_form(thread, quoted),
        people=service.mentionable(access.group),
        follow_state=_follow_state(thread),
        document=_document_of(thread),
    )
    if pagination.items:
        # After rendering: the commit would expire every message loaded for the page.
        service.mark_read(thread, current_user, pagination.items[-1].number)
    return response


def _document_of(thread: Thread):
    if thread.document_id is None:
        return None
    from workspace.documents.models import Document

    return db.session.get(Document, thread.document_id)


def _follow_state(thread: Thread):
    from workspace.notifications import service as notifications
    from workspace.notifications.models import Target

    return notifications.state_of(current_user, Target.THREAD, thread.id)


@bp.get("/<int:thread_id>/nuovi")
@login_required
def poll(slug: str, thread_id: int):
    """New messages after ?dopo=N, for a reader's open page. Answered with an ETag, so an
    unchanged thread costs a 304 and no rendering."""
    access, thread = load_thread_or_404(slug, thread_id)
    if not is_htmx():
        return redirect(url_for("discussions.show", slug=slug, thread_id=thread_id))
    after = min(max(request.args.get("dopo", 0, type=int), 0), MAX_NUMBER)
    etag = f"t{thread.id}-{thread.last_number}-{after}"
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
        response.headers["HX-Reswap"] = "none"
    else:
        messages = service.messages_after(thread, after)
        response = make_response(
            render_template(
                "discussions/_poll.html",
                access=access,
                group=access.group,
                thread=thread,
                messages=messages,
                after=messages[-1].number if messages else after,
                attachments=_attachments().for_messages([m.id for m in messages]),
            )
        )
        if messages:
            # Seen on the page, so not unread; but a tab polling in the background must not
            # clear the bell: notifications are marked read when the thread is opened.
            service.mark_read(thread, current_user, messages[-1].number, notifications=False)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("HX-Request")
    return response


@bp.post("/<int:thread_id>/rispondi")
@login_required
def reply(slug: str, thread_id: int):
    access, thread = load_thread_or_404(slug, thread_id)
    form = MessageForm()
    quoted = None
    if _number(form.quoted.data) is not None:
        quoted = service.get_message(thread, _number(form.quoted.data))
    attachments_error = None
    if form.validate_on_submit():
        message = service.sent_before(current_user, form.client_token.data or None)
        try:
            if message is None:
                files = _attachments().store(
                    request.files.getlist("allegati"), uploader=current_user
                )
                message = service.reply(
                    thread,
                    author=current_user,
                    body=form.body.data,
                    quoted=quoted,
                    client_token=form.client_token.data or None,
                )
                _keep_files(files, message)
        except service.DiscussionError as error:
            db.session.rollback()
            form.body.errors.append(str(error))
        except _attachments().AttachmentError as error:
            db.session.rollback()
            attachments_error = str(error)
        else:
            flash(_("Risposta pubblicata."), "success")
            if is_htmx():
                # The new message goes in place (with any others that arrived meanwhile),
                # the form comes back empty, ready for the next reply, and the live region
                # says it was published.
                after = request.form.get("dopo", type=int) or 0
                messages = service.messages_after(thread, min(max(after, 0), MAX_NUMBER))
                return render_fragment(
                    "discussions/_reply_done.html",
                    access=access,
                    group=access.group,
                    thread=thread,
                    messages=messages,
                    after=thread.last_number,
                    attachments=_attachments().for_messages([m.id for m in messages]),
                    form=_reply_form(thread),
                    people=service.mentionable(access.group),
                )
            return redirect(service.message_url(thread, message))
    return render(
        "discussions/reply.html",
        "discussions/_reply_form.html",
        access=access,
        group=access.group,
        thread=thread,
        form=form,
        people=service.mentionable(access.group),
        attachments_error=attachments_error,
        status=422,
    )


@bp.route("/<int:thread_id>/messaggi/<int:number>/modifica", methods=["GET", "POST"])
@login_required
def edit_message(slug: str, thread_id: int, number: int):
    access, thread = load_thread_or_404(slug, thread_id)
    message = load_message_or_404(thread, number)
    if message.author_id != current_user.id or message.withdrawn_at is not None:
        abort(403)
    form = MessageForm(obj=message if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changed = service.edit_message(message, by=current_user, body=form.body.data)
        except service.DiscussionError as error:
            form.body.errors.append(str(error))
        else:
            if changed:
                flash(_("Messaggio modificato."), "success")
            return see_other(service.message_url(thread, message))
    return render(
        "discussions/edit_message.html",
        "discussions/_edit_form.html",
        access=access,
        group=access.group,
        thread=thread,
        message=message,
        form=form,
        status=422 if form.errors else 200,
    )


@bp.post("/<int:thread_id>/messaggi/<int:number>/ritira")
@login_required
def withdraw(slug: str, thread_id: int, number: int):
    access, thread = load_thread_or_404(slug, thread_id)
    message = load_message_or_404(thread, number)
    try:
        service.withdraw(message, by=current_user)
    except service.DiscussionError:
        abort(403)
    flash(_("Messaggio ritirato."), "info")
    return see_other(service.message_url(thread, message))


@bp.get("/<int:thread_id>/messaggi/<int:number>/versioni")
@login_required
def versions(slug: str, thread_id: int, number: int):
    access, thread = load_thread_or_404(slug, thread_id, manage=True)
    message = load_message_or_404(thread, number)
    return render(
        "discussions/versions.html",
        "discussions/_versions.html",
        access=access,
        group=access.group,
        thread=thread,
        message=message,
        versions=service.versions_of(message),
    )


def _moderate(slug: str, thread_id: int, action) -> object:
    access, thread = load_thread_or_404(slug, thread_id, manage=True)
    try:
        message = action(thread, access)
    except service.DiscussionError as error:
        flash(str(error), "error")
    else:
        flash(message, "success")
    return see_other(url_for("discussions.show", slug=slug, thread_id=thread_id))


def _switch(slug: str, thread_id: int, setter, on_message: str, off_message: str):
    """A moderation switch (pin, lock): ``valore`` 0 turns it off, anything else on."""

    def action(thread, access):
        on = request.form.get("valore") != "0"
        setter(thread, access, on)
        return on_message if on else off_message

    return _moderate(slug, thread_id, action)


@bp.post("/<int:thread_id>/fissa")
@login_required
def pin(slug: str, thread_id: int):
    return _switch(
        slug,
        thread_id,
        service.set_pinned,
        _("Discussione fissata in cima."),
        _("Discussione non più fissata."),
    )


@bp.post("/<int:thread_id>/blocca")
@login_required
def lock(slug: str, thread_id: int):
    return _switch(
        slug,
        thread_id,
        service.set_locked,
        _("Discussione chiusa alle risposte."),
        _("Discussione riaperta."),
    )


@bp.post("/<int:thread_id>/risolvi")
@login_required
def resolve(slug: str, thread_id: int):
    def action(thread, access):
        number = _number(request.form.get("messaggio"))
        service.resolve(thread, access, by=current_user, number=number)
        if number is None:
            return _("La discussione non è più segnata come risolta.")
        return _("Discussione segnata come risolta dal messaggio %(n)d.", n=number)

    return _moderate(slug, thread_id, action)


@bp.post("/<int:thread_id>/segui")
@login_required
def follow(slug: str, thread_id: int):
    from workspace.notifications import service as notifications
    from workspace.notifications.models import Target

    access, thread = load_thread_or_404(slug, thread_id)
    choice = request.form.get("scelta")
    if choice == "segui":
        notifications.follow(current_user, Target.THREAD, thread.id)
        flash(_("Ricevi le notifiche delle nuove risposte."), "success")
    elif choice == "silenzia":
        notifications.mute(current_user, Target.THREAD, thread.id)
        flash(_("Non ricevi più notifiche da questa discussione."), "info")
    else:
        notifications.reset(current_user, Target.THREAD, thread.id)
        flash(_("Non segui più questa discussione."), "info")
    db.session.commit()
    return see_other(url_for("discussions.show", slug=slug, thread_id=thread_id))
