"""Documents of a group: read, edit (whole or by section), history, compare, approve."""

import re
import secrets
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from workspace import audit
from workspace.database import get_or_404
from workspace.discussions import service as discussions
from workspace.documents import owners, service
from workspace.documents.forms import ApprovalForm, DocumentForm, EditForm, NewDocumentForm
from workspace.documents.models import Document
from workspace.extensions import csrf, db
from workspace.forms import MAX_NUMBER, parse_number
from workspace.groups.access import GroupAccess, load_group_or_404
from workspace.i18n import ROME
from workspace.people.display import person_text
from workspace.rendering import ascii_name, download, render, see_other
from workspace.revisions import service as revisions
from workspace.revisions.models import Revision
from workspace.texts.diff import diff
from workspace.texts.docx import MIMETYPE as DOCX

bp = Blueprint("documents", __name__, url_prefix="/gruppi/<slug>/documenti")

HISTORY_PAGE_SIZE = 50
# A browser that sent text while signed out holds this cookie to find the text again.
PENDING_COOKIE = "tavolo_testo_in_attesa"
# Dates the history filter takes: outside them a date is no bound at all (and the arithmetic
# of 0001-01-01 or 9999-12-31 in Rome's time zone would overflow).
_FIRST_DAY, _LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def load_document_or_404(
    slug: str, document_id: int, *, manage: bool = False, change: bool = False
) -> tuple[GroupAccess, Document]:
    """The document and the person's standing; 404 for anyone who may not read it.

    A document of another capability (minutes) is read by whom its owner says, and cannot be
    managed here (approved, renamed): its owner has its own lifecycle. ``change``: the person
    is about to change it; the owner may refuse (403, with the owner's reason).
    """
    document = get_or_404(Document, document_id)
    owner = owners.owner_of(document)
    if owner is None:
        access = load_group_or_404(slug, manage=manage)
    else:
        access = owner.access(document, current_user)
        if access is None or access.group.slug != slug:
            abort(404)
        if manage:
            abort(403)
    if document.group_id != access.group.id:
        abort(404)
    if change and owner is not None:
        rule = owner.change_rule(document, current_user)
        if not rule.allowed:
            abort(403, rule.message)
    return access, document


def change_rule(document: Document) -> owners.ChangeRule:
    """Whether the current person may change the document now; worked out once per request
    (the table of contents asks for every heading)."""
    owner = owners.owner_of(document)
    if owner is None:
        return owners.ChangeRule()
    rules = g.setdefault("document_change_rules", {})
    if document.id not in rules:
        rules[document.id] = owner.change_rule(document, current_user)
    return rules[document.id]


def load_revision_or_404(document: Document, number: int) -> Revision:
    revision = revisions.get_revision(document.text, number) if number <= MAX_NUMBER else None
    if revision is None:
        abort(404)
    return revision


def number_arg(name: str, *, strict: bool = False) -> int | None:
    """A number from the query string (``parse_number``): None when absent or empty; when not
    a number, None too, or 404 if ``strict`` (a link that names something that cannot exist).
    """
    raw = request.args.get(name, "")
    if raw == "":
        return None
    number = parse_number(raw)
    if number is None and strict:
        abort(404)
    return number


def section_arg() -> int | None:
    return number_arg("sezione", strict=True)


@bp.get("/")
@login_required
def index(slug: str):
    access = load_group_or_404(slug)
    return render(
        "documents/index.html",
        "documents/_list.html",
        access=access,
        group=access.group,
        documents=service.documents_of(access.group),
    )


@bp.route("/nuovo", methods=["GET", "POST"])
@login_required
def create(slug: str):
    access = load_group_or_404(slug)
    form = NewDocumentForm()
    if form.validate_on_submit():
        try:
            document = service.create_document(
                access.group,
                title=form.title.data,
                description=form.description.data,
                body=revisions.normalise(form.body.data or ""),
                author=current_user,
            )
        except service.DocumentError as error:
            getattr(form, error.field or "title").errors.append(str(error))
        else:
            flash(_("Documento «%(title)s» creato.", title=document.title), "success")
            return redirect(url_for("documents.show", slug=slug, document_id=document.id))
    return render(
        "documents/new.html",
        "documents/_new_form.html",
        access=access,
        group=access.group,
        form=form,
        status=422 if form.errors else 200,
    )


@bp.get("/<int:document_id>")
@login_required
def show(slug: str, document_id: int):
    access, document = load_document_or_404(slug, document_id)
    approval = service.latest_approval(document)
    head = document.text.head
    show_current = request.args.get("versione") == "corrente"
    number = head
    if approval is not None and not show_current:
        number = approval.revision_number
    revision = load_revision_or_404(document, number)
    content = revisions.content_at(document.text, revision.number)
    return render(
        "documents/show.html",
        "documents/_content.html",
        access=access,
        group=access.group,
        document=document,
        revision=revision,
        content=content,
        head=load_revision_or_404(document, head) if head != number else revision,
        approval=approval,
        changes_since_approval=(
            service.revisions_since(document, approval.revision_number) if approval else 0
        ),
        present=revisions.present(document.text, besides=current_user),
        section_titles=service.section_titles(document, content if number == head else None),
        approvals=service.approvals(document),
        threads=discussions.threads_about(document),
    )


def _edit_page(
    access, document, form, editor_id, *, section_title=None, drafts=(), status=200, conflict=None
):
    return render(
        "documents/edit.html",
        "documents/_editor.html",
        access=access,
        group=access.group,
        document=document,
        form=form,
        section=form.section.data,
        section_title=section_title,
        editor_token=service.editor_token(document, editor_id),
        drafts=drafts,
        conflict=conflict,
        present=revisions.present(document.text, besides=current_user),
        section_titles=service.section_titles(document),
        status=status,
    )


def _session_is_valid() -> bool:
    if not current_user.is_authenticated:
        return False
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        return False
    return True


def _from_another_site() -> bool:
    """The browser says the request comes from a page of another site (or from none).

    Hosts are compared, not schemes: behind a proxy the request may look like plain http.
    The host the request was sent to and the one in PUBLIC_URL are both this site's.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    ours = {request.host, urlsplit(current_app.config.get("PUBLIC_URL") or "").netloc}
    return urlsplit(origin).netloc not in ours - {""}


def _keep_for_later(slug: str, document_id: int):
    """A save that arrived without a valid session: keep the text, then ask to sign in.

    Who sent it cannot be trusted, so it becomes nobody's revision: it waits under a token
    that only this browser holds, and after signing in the editor offers it back as a draft
    of its own. Only text from an editor page of this document is kept: the form must carry
    the token that page issued (signed with the app's secret, at most a week old), so a page
    on another site cannot plant text in someone's editor, nor fill the database.
    """
    editor_id = service.editor_of(
        document_id, request.form.get("editor"), max_age=service.EDITOR_TOKEN_LIFETIME
    )
    if editor_id is None:
        raise CSRFError("The editor token is missing, expired or not for this document.")
    document = get_or_404(Document, document_id)
    body = request.form.get("body", "")
    if len(revisions.normalise(body)) > service.MAX_DOCUMENT_CHARS:
        # Nothing can be kept: give the text back rather than say it was kept.
        return render_template(
            "documents/not_kept.html", body=body, message=service.too_large_message()
        ), 422
    token = request.cookies.get(PENDING_COOKIE) or ""
    if not re.fullmatch(r"[\w-]{20,64}", token):
        token = secrets.token_urlsafe(32)
    revisions.stash_pending(
        document.text,
        token=token,
        editor_id=editor_id,
        body=body,
        base_number=parse_number(request.form.get("base")) or 0,
        section=parse_number(request.form.get("section")),
        summary=request.form.get("summary", ""),
    )
    flash(
        _(
            "La sessione era scaduta, ma il testo che stavi salvando è stato conservato: "
            "accedi di nuovo e lo ritroverai nell'editor, pronto da salvare."
        ),
        "warning",
    )
    editor = url_for("documents.edit", slug=slug, document_id=document_id)
    if current_user.is_authenticated:
        response = see_other(editor)
    else:
        response = see_other(url_for("accounts.login", next=editor))
    response.set_cookie(
        PENDING_COOKIE,
        token,
        max_age=int(revisions.PENDING_SAVE_LIFETIME.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


@bp.route("/<int:document_id>/modifica", methods=["GET", "POST"])
@csrf.exempt  # checked below, so that an expired session keeps the text instead of losing it
def edit(slug: str, document_id: int):
    if request.method == "POST":
        if _from_another_site():
            raise CSRFError("The request comes from another site.")
        if not _session_is_valid():
            return _keep_for_later(slug, document_id)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    access, document = load_document_or_404(slug, document_id)
    if request.method == "GET":
        rule = change_rule(document)
        if not rule.allowed:
            return _closed(access, document, rule)
        return _open_editor(access, document)
    return _save_from_editor(access, document)


def _closed(access, document, rule: owners.ChangeRule):
    """The text may no longer change (approved minutes): say so, and give back the person's
    unsaved drafts, if any, so that nothing typed is lost."""
    drafts = revisions.drafts_of(document.text, current_user)
    if not drafts:
        flash(rule.message, "error")
        return redirect(url_for("documents.show", slug=access.group.slug, document_id=document.id))
    return render(
        "documents/closed.html",
        access=access,
        group=access.group,
        document=document,
        drafts=drafts,
        message=rule.message,
        status=403,
    )


def _open_editor(access, document):
    slug, document_id = access.group.slug, document.id
    claimed = service.claim_pending(document, current_user, request.cookies.get(PENDING_COOKIE))
    if claimed:
        flash(
            _(
                "Ecco il testo che stavi salvando quando la sessione è scaduta. "
                "Controllalo e salva."
            ),
            "warning",
        )
        return redirect(
            url_for(
                "documents.edit",
                slug=slug,
                document_id=document_id,
                bozza=claimed[-1].editor_id,
                sessione=1,
            )
        )
    try:
        editor = service.open_editor(
            document,
            current_user,
            section=section_arg(),
            base=number_arg("versione", strict=True),
            resume=request.args.get("bozza") or None,
        )
    except service.DocumentError as error:
        flash(str(error), "error")
        return redirect(url_for("documents.edit", slug=slug, document_id=document_id))
    if editor.resumed and not request.args.get("sessione"):
        flash(_("Hai ripreso la bozza non salvata."), "info")
    form = EditForm(
        formdata=None,
        body=editor.body,
        base=editor.base_number,
        section=editor.section,
        summary=editor.summary,
    )
    return _edit_page(
        access,
        document,
        form,
        editor.editor_id,
        section_title=editor.section_title,
        drafts=editor.drafts,
    )


def _save_from_editor(access, document):
    form = EditForm()
    # The editor this save comes from; a form without a valid token gets a new editor.
    editor_id = service.editor_of(document.id, form.editor.data) or revisions.new_editor_id()
    if not form.validate_on_submit():
        return _edit_page(access, document, form, editor_id, status=422)
    rule = change_rule(document)
    if not rule.allowed:
        # Refused (the minutes were approved meanwhile): the text stays in the editor.
        form.body.errors.append(rule.message)
        return _edit_page(access, document, form, editor_id, status=403)
    if rule.reason_required and not (form.summary.data or "").strip():
        form.summary.errors.append(
            _("Indica il motivo della correzione: il testo è già stato approvato.")
        )
        return _edit_page(access, document, form, editor_id, status=422)
    try:
        outcome = service.save_from_editor(
            document,
            current_user,
            editor_id=editor_id,
            body=form.body.data or "",
            base_number=form.base.data,
            section=form.section.data,
            summary=form.summary.data,
        )
    except service.DocumentError as error:
        form.body.errors.append(str(error))
        return _edit_page(access, document, form, editor_id, status=422)
    except revisions.RevisionError as error:
        form.body.errors.append(service.revision_error_message(error))
        status = 503 if isinstance(error, revisions.Busy) else 422
        return _edit_page(access, document, form, editor_id, status=status)
    if outcome.status == "conflict":
        # What the person typed is kept, merged where it could be, as this editor's draft;
        # the conflict is resolved on the whole text, starting from the newest revision.
        form.body.data = outcome.merge.text
        form.base.data = outcome.head
        form.section.data = None
        return _edit_page(access, document, form, editor_id, status=409, conflict=outcome)
    if outcome.status == "unchanged":
        flash(_("Nessuna modifica da salvare: il testo è uguale all'ultima versione."), "info")
    else:
        message = _("Versione %(n)d salvata.", n=outcome.revision.number)
        if outcome.merged:
            message += " " + service.merge_message(document, outcome, form.base.data)
        flash(message, "success")
    return redirect(
        url_for(
            "documents.show", slug=access.group.slug, document_id=document.id, versione="corrente"
        )
    )


@bp.post("/<int:document_id>/anteprima")
@login_required
def preview(slug: str, document_id: int):
    load_document_or_404(slug, document_id)
    result = service.preview(request.form.get("body", ""))
    return render_template(
        "documents/_preview.html",
        html=result.html,
        too_long=result.too_long,
        limit=format_decimal(service.MAX_PREVIEW_CHARS, format="#,##0"),
    )


@bp.post("/<int:document_id>/bozza")
@login_required
def keep_draft(slug: str, document_id: int):
    # Kept even when the owner no longer allows changes: a draft is private, and keeps
    # what was typed while, say, the minutes were being approved.
    access, document = load_document_or_404(slug, document_id)
    form = EditForm()
    editor_id = service.editor_of(document.id, form.editor.data)
    if not form.validate_on_submit() or editor_id is None:
        return render_template("documents/_draft_status.html", saved=None), 422
    try:
        draft = service.keep_draft(
            document,
            current_user,
            editor_id=editor_id,
            body=form.body.data or "",
            base_number=form.base.data,
            section=form.section.data,
            summary=form.summary.data,
        )
    except service.DocumentError:
        return render_template("documents/_draft_status.html", saved=None), 422
    except revisions.Busy:
        # The database is busy: say so, and let the status try again in a few seconds.
        response = make_response(
            render_template(
                "documents/_draft_status.html",
                saved=None,
                retry=True,
                document=document,
                group=access.group,
            ),
            503,
        )
        response.headers["Retry-After"] = "5"
        return response
    return render_template("documents/_draft_status.html", saved=draft.updated_at)


def draft_not_kept() -> str | None:
    """The autosave's status when the database is away (workspace.errors): not kept, trying
    again shortly; the text stays in the editor meanwhile. Nothing here may use the database."""
    if request.endpoint != "documents.keep_draft":
        return None
    args = request.view_args or {}
    return render_template(
        "documents/_draft_status.html",
        saved=None,
        retry=True,
        document=SimpleNamespace(id=args["document_id"]),
        group=SimpleNamespace(slug=args["slug"]),
    )


@bp.post("/<int:document_id>/bozza/elimina")
@login_required
def discard_draft(slug: str, document_id: int):
    access, document = load_document_or_404(slug, document_id)
    editor_id = request.form.get("bozza", "")
    if editor_id and revisions.discard_draft(document.text, current_user, editor_id):
        flash(_("Bozza eliminata."), "info")
    return see_other(
        url_for(
            "documents.edit",
            slug=slug,
            document_id=document_id,
            sezione=parse_number(request.form.get("sezione")),
        )
    )


@bp.get("/<int:document_id>/presenza")
@login_required
def presence(slug: str, document_id: int):
    access, document = load_document_or_404(slug, document_id)
    in_editor = request.args.get("editor") == "1"
    section = section_arg()
    if in_editor:
        revisions.touch_presence(document.text, current_user, section)
    response = render(
        "documents/presence.html",
        "documents/_presence.html",
        access=access,
        group=access.group,
        document=document,
        present=revisions.present(document.text, besides=current_user),
        section_titles=service.section_titles(document),
        editor=in_editor,
        section=section,
    )
    return response


def _parse_day(value: str | None):
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None


@bp.get("/<int:document_id>/versioni")
@login_required
def history(slug: str, document_id: int):
    access, document = load_document_or_404(slug, document_id)
    author_id = number_arg("autore")
    since_day, until_day = _parse_day(request.args.get("dal")), _parse_day(request.args.get("al"))
    since = until = None
    if since_day and since_day > _FIRST_DAY:
        since = datetime.combine(min(since_day, _LAST_DAY), time.min, ROME)
    if until_day and until_day < _LAST_DAY:
        until = datetime.combine(max(until_day, _FIRST_DAY), time.min, ROME) + timedelta(days=1)
    page = db.paginate(
        revisions.history_query(document.text, author_id=author_id, since=since, until=until),
        page=number_arg("page") or 1,
        per_page=HISTORY_PAGE_SIZE,
        max_per_page=HISTORY_PAGE_SIZE,
        error_out=False,
    )
    return render(
        "documents/history.html",
        "documents/_history.html",
        access=access,
        group=access.group,
        document=document,
        revisions_page=page,
        authors=[
            (user.id, person_text(user, affiliation=False))
            for user in revisions.authors(document.text)
        ],
        approved=service.approved_numbers(document),
        filters={"autore": author_id, "dal": since_day, "al": until_day},
        bad_dates=bool(request.args.get("dal") and not since_day)
        or bool(request.args.get("al") and not until_day),
    )


@bp.get("/<int:document_id>/versioni/<int:number>")
@login_required
def revision(slug: str, document_id: int, number: int):
    access, document = load_document_or_404(slug, document_id)
    revision = load_revision_or_404(document, number)
    return render(
        "documents/revision.html",
        access=access,
        group=access.group,
        document=document,
        revision=revision,
        content=revisions.content_at(document.text, number),
        head=document.text.head,
        approved=service.approved_numbers(document),
        approval_form=ApprovalForm(formdata=None),
    )


@bp.post("/<int:document_id>/versioni/<int:number>/ripristina")
@login_required
def restore(slug: str, document_id: int, number: int):
    access, document = load_document_or_404(slug, document_id, change=True)
    if change_rule(document).reason_required:
        flash(
            _(
                "Il testo è già stato approvato: per correggerlo modificalo e indica il "
                "motivo della correzione."
            ),
            "error",
        )
        return see_other(url_for("documents.history", slug=slug, document_id=document_id))
    load_revision_or_404(document, number)
    outcome = service.restore(document, number, author=current_user)
    if outcome.status == "saved":
        flash(
            _(
                "Versione %(old)d ripristinata come versione %(new)d.",
                old=number,
                new=outcome.revision.number,
            ),
            "success",
        )
    else:
        flash(
            _("La versione %(n)d è uguale a quella attuale: niente da ripristinare.", n=number),
            "info",
        )
    return see_other(
        url_for("documents.show", slug=slug, document_id=document_id, versione="corrente")
    )


@bp.post("/<int:document_id>/versioni/<int:number>/approva")
@login_required
def approve(slug: str, document_id: int, number: int):
    access, document = load_document_or_404(slug, document_id, manage=True)
    load_revision_or_404(document, number)
    form = ApprovalForm()
    if not form.validate_on_submit():
        flash(_("La nota è troppo lunga."), "error")
        return see_other(
            url_for("documents.revision", slug=slug, document_id=document_id, number=number)
        )
    service.approve(document, number, by=current_user, note=form.note.data)
    flash(_("Versione %(n)d approvata.", n=number), "success")
    return see_other(url_for("documents.show", slug=slug, document_id=document_id))


@bp.route("/<int:document_id>/dettagli", methods=["GET", "POST"])
@login_required
def details(slug: str, document_id: int):
    access, document = load_document_or_404(slug, document_id, change=True)
    if owners.owner_of(document) is not None:
        abort(403)  # its title and description come from its owner (the meeting)
    form = DocumentForm(obj=document)
    if form.validate_on_submit():
        try:
            service.update_details(
                document, title=form.title.data, description=form.description.data
            )
        except service.DocumentError as error:
            getattr(form, error.field or "title").errors.append(str(error))
        else:
            flash(_("Dati del documento aggiornati."), "success")
            return redirect(url_for("documents.show", slug=slug, document_id=document_id))
    return render(
        "documents/details.html",
        "documents/_details_form.html",
        access=access,
        group=access.group,
        document=document,
        form=form,
        status=422 if form.errors else 200,
    )


def _revision_pair(document: Document) -> tuple[int, int]:
    """The two revisions to compare: ?da=&a=, defaulting to the newest change."""
    head = document.text.head
    new = number_arg("a", strict=True)
    old = number_arg("da", strict=True)
    if new is None:
        new = head
    if old is None:
        old = max(new - 1, 1)
    for number in (old, new):
        if not 1 <= number <= head:
            abort(404)
    return old, new


@bp.get("/<int:document_id>/confronta")
@login_required
def compare(slug: str, document_id: int):
    access, document = load_document_or_404(slug, document_id)
    old_number, new_number = _revision_pair(document)
    old = load_revision_or_404(document, old_number)
    new = load_revision_or_404(document, new_number)
    side_by_side = request.args.get("vista") == "affiancata"
    result = diff(
        revisions.text_at(document.text, old_number), revisions.text_at(document.text, new_number)
    )
    return render(
        "documents/compare.html",
        "documents/_compare.html",
        target=f"document-{document.id}-compare",
        access=access,
        group=access.group,
        document=document,
        old=old,
        new=new,
        head=document.text.head,
        diff=result,
        side_by_side=side_by_side,
    )


@bp.get("/<int:document_id>/versioni/<int:number>/autori")
@login_required
def attribution(slug: str, document_id: int, number: int):
    access, document = load_document_or_404(slug, document_id)
    revision = load_revision_or_404(document, number)
    return render(
        "documents/attribution.html",
        access=access,
        group=access.group,
        document=document,
        revision=revision,
        head=document.text.head,
        blocks=revisions.attribution(document.text, number),
    )


@bp.get("/<int:document_id>/revisione")
@login_required
def review(slug: str, document_id: int):
    access, document = load_document_or_404(slug, document_id)
    return render(
        "documents/review.html",
        access=access,
        group=access.group,
        document=document,
        review=service.review(document),
    )


def _download(document: Document, number: int, extension: str, body: bytes, mimetype: str):
    """The revision as a file named after the document: "linee-guida-v14.docx"; every
    download is written in the audit log."""
    from workspace.texts.markdown import slugify

    if document.kind != "document":
        action = f"{document.kind}.downloaded"  # the minutes: "minutes.downloaded"
    else:
        action = "document.exported" if extension == "docx" else "document.downloaded"
    audit.record(action, target=document, detail={"revision": number, "format": extension})
    db.session.commit()

    name = f"{slugify(document.title) or 'documento'}-v{number}.{extension}"
    # When nothing of the title is ASCII ("中文"), "documento" stands in for it.
    fallback = f"{ascii_name(slugify(document.title)) or 'documento'}-v{number}.{extension}"
    return download(body, mimetype, name, ascii_fallback=fallback)


@bp.get("/<int:document_id>/versioni/<int:number>/scarica.md")
@login_required
def download_markdown(slug: str, document_id: int, number: int):
    access, document = load_document_or_404(slug, document_id)
    load_revision_or_404(document, number)
    text = revisions.text_at(document.text, number)
    response = _download(document, number, "md", text.encode("utf-8"), "text/markdown")
    response.charset = "utf-8"
    return response


@bp.get("/<int:document_id>/versioni/<int:number>/scarica.docx")
@login_required
def download_docx(slug: str, document_id: int, number: int):
    access, document = load_document_or_404(slug, document_id)
    revision = load_revision_or_404(document, number)
    return _download(document, number, "docx", service.as_docx(document, revision), DOCX)


@bp.get("/<int:document_id>/versioni/<int:number>/stampa")
@login_required
def print_view(slug: str, document_id: int, number: int):
    access, document = load_document_or_404(slug, document_id)
    revision = load_revision_or_404(document, number)
    return render(
        "documents/print.html",
        access=access,
        group=access.group,
        document=document,
        revision=revision,
        content=revisions.content_at(document.text, number),
        approved=service.approved_numbers(document),
    )
