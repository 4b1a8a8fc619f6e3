"""Verifica in due passaggi: the second step of signing in, enrolment and its management in the
profile, a coordinator's reset; and the rule that keeps a person whose role requires it on the
enrolment page until they have enrolled."""

import base64
import io

import segno
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workspace.accounts import service as accounts
from workspace.accounts import sessions
from workspace.accounts.models import User
from workspace.accounts.routes import too_many_attempts
from workspace.extensions import db
from workspace.people.access import coordinator_required
from workspace.rendering import render, see_other
from workspace.twofactor import service
from workspace.twofactor.forms import (
    ConfirmForm,
    DisableForm,
    EnrolForm,
    RenewCodesForm,
    ReplaceForm,
    VerifyForm,
)

bp = Blueprint("twofactor", __name__)


@bp.record_once
def check_key(state) -> None:
    """A TWO_FACTOR_KEY that is not a 256-bit key stops the app at start-up, not at a sign-in."""
    service.key_from(state.app.config)


# What a person who must enrol may still reach before doing it.
_BEFORE_ENROLMENT = frozenset(
    {"static", "twofactor.enrol", "accounts.logout", "accounts.set_language", "home.health"}
)


@bp.before_app_request
def require_enrolment():
    """A person whose role requires a second factor and who has not passed one in this session
    goes to enrolment, whatever they ask for (htmx requests are redirected by HX-Redirect)."""
    if request.endpoint is None or request.endpoint in _BEFORE_ENROLMENT:
        return None
    if not current_user.is_authenticated or sessions.passed_second_factor():
        return None
    user = current_user._get_current_object()
    if not service.is_required(user):
        return None
    if request.endpoint in sessions.PASSIVE_ENDPOINTS:
        return "", 204  # a page's own poll: nothing to show, and no redirect mid-typing
    if service.is_enabled(user):
        # A session started without the code (it cannot happen through the sign-in page):
        # end it and ask for the code at the next sign-in.
        sessions.expire()
        return see_other(url_for("accounts.login"))
    return see_other(url_for("twofactor.enrol"))


@bp.app_template_global("two_factor_enabled")
def two_factor_enabled(user) -> bool:
    return service.is_enabled(user)


@bp.app_template_global("two_factor_required")
def two_factor_required(user) -> bool:
    return service.is_required(user)


def _wrong_code() -> str:
    return _(
        "Il codice non è corretto oppure è già stato usato. Scrivi il codice che l'app mostra "
        "adesso (controlla che l'ora del telefono sia giusta) o un codice di recupero non "
        "ancora usato."
    )


@bp.route("/accedi/verifica", methods=["GET", "POST"])
def verify():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    waiting = service.pending()
    if waiting is None:
        service.drop_pending()
        flash(
            _(
                "La verifica del codice è scaduta (vale 5 minuti) o non è mai iniziata: "
                "accedi di nuovo con e-mail e password."
            ),
            "warning",
        )
        return see_other(url_for("accounts.login"))
    form = VerifyForm()
    error, status = None, 200
    if form.validate_on_submit():
        user = waiting.user
        result = service.verify_sign_in(user, form.code.data, request.remote_addr)
        if result.throttled:
            status, error = 429, too_many_attempts()
        elif not result.ok:
            form.code.errors.append(_wrong_code())
        else:
            service.drop_pending()
            accounts.record_sign_in(
                user, detail="recovery code" if result.recovery_code else "second factor"
            )
            accounts.start_session(user, remember=waiting.remember, second_factor=True)
            if result.recovery_code:
                left = service.recovery_codes_left(user)
                flash(
                    _(
                        "Sei entrato con un codice di recupero: ora non vale più (te ne "
                        "restano %(n)d). Se hai perso il telefono o cambiato app, configura "
                        "di nuovo la verifica in due passaggi qui sotto.",
                        n=left,
                    ),
                    "warning",
                )
                return see_other(url_for("twofactor.manage"))
            return see_other(waiting.next_url)
    if form.errors and status == 200:
        status = 422
    return render(
        "twofactor/verify.html",
        "twofactor/_verify_form.html",
        form=form,
        error=error,
        status=status,
    )


@bp.get("/profilo/verifica-in-due-passaggi")
@login_required
def manage():
    user = current_user._get_current_object()
    return _manage_page(user)


def _manage_page(
    user: User,
    *,
    disable_form: DisableForm | None = None,
    codes_form: RenewCodesForm | None = None,
    status: int = 200,
):
    """The page, or (htmx) the form that was posted: the one given with its errors."""
    if codes_form is not None:
        fragment, target = "twofactor/_codes_form.html", "two-factor-codes"
    else:
        fragment, target = "twofactor/_disable_form.html", "two-factor-disable"
    return render(
        "twofactor/manage.html",
        fragment,
        target=target,
        record=service.record_of(user),
        enabled=service.is_enabled(user),
        required=service.is_required(user),
        codes_left=service.recovery_codes_left(user),
        form=disable_form or DisableForm(formdata=None),
        codes_form=codes_form or RenewCodesForm(formdata=None),
        status=status,
    )


def _password_confirmed(user: User, field, detail: str) -> int | None:
    """Check the password typed again in ``field`` before a change to the second factor (ASVS
    V7.5.1), as a sign-in attempt (accounts.service.check_password): None when it is right,
    otherwise the status of the refusal (422, or 429 when throttled), its message next to the
    field."""
    check = accounts.check_password(user, field.data, request.remote_addr, detail)
    if check.ok:
        return None
    field.errors = [*field.errors, check.error]
    return check.status


def qr_data_uri(text: str) -> str:
    """The QR code as an SVG image in a data: URI (the CSP allows images from data:)."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=5, border=4, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def format_secret(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@bp.route("/profilo/verifica-in-due-passaggi/attiva", methods=["GET", "POST"])
@login_required
def enrol():
    """Enrolment, or (someone who has a factor already) a new phone, which needs the password
    as well: a stolen session alone must not swap in another secret. A first enrolment does
    not ask it again (a coordinator is sent here right after typing it)."""
    user = current_user._get_current_object()
    replacing = service.is_enabled(user)
    form = ReplaceForm() if replacing else EnrolForm()
    status = 200
    if form.validate_on_submit():
        refused = (
            _password_confirmed(user, form.password, "password check: new phone")
            if replacing
            else None
        )
        if refused:
            status = refused
        else:
            codes = service.complete_enrolment(user, form.code.data)
            if codes is not None:
                # Every other session ended with the enrolment; this one goes on, verified,
                # and as old as it was (its absolute timeout counts from the sign-in).
                accounts.restart_session(user, second_factor=True)
                flash(_("Verifica in due passaggi attivata."), "success")
                return render_template("twofactor/recovery_codes.html", codes=codes, first=True)
            form.code.errors.append(
                _(
                    "Il codice non corrisponde. Controlla di aver inquadrato il codice QR di "
                    "questa pagina e scrivi le 6 cifre che l'app mostra adesso."
                )
            )
    if form.errors and status == 200:
        status = 422
    secret = service.begin_enrolment(user)
    return render(
        "twofactor/enrol.html",
        "twofactor/_enrol_form.html",
        target="two-factor-enrol",
        form=form,
        qr=qr_data_uri(service.provisioning_uri(user, secret)),
        secret=format_secret(secret),
        replacing=replacing,
        required=service.is_required(user) and not sessions.passed_second_factor(),
        status=status,
    )


@bp.post("/profilo/verifica-in-due-passaggi/codici")
@login_required
def regenerate_codes():
    """New recovery codes, after the password: with a stolen session alone nobody mints codes
    that sign in."""
    user = current_user._get_current_object()
    if not service.is_enabled(user):
        flash(_("La verifica in due passaggi non è attiva: attivala prima."), "error")
        return see_other(url_for("twofactor.manage"))
    form = RenewCodesForm()
    status = 422
    if form.validate_on_submit():
        refused = _password_confirmed(user, form.password, "password check: new recovery codes")
        if not refused:
            codes = service.regenerate_recovery_codes(user)
            return render_template("twofactor/recovery_codes.html", codes=codes, first=False)
        status = refused
    return _manage_page(user, codes_form=form, status=status)


@bp.post("/profilo/verifica-in-due-passaggi/disattiva")
@login_required
def disable():
    user = current_user._get_current_object()
    if not service.is_enabled(user):
        return see_other(url_for("twofactor.manage"))
    if service.is_required(user):
        flash(
            _(
                "Per il tuo ruolo la verifica in due passaggi è obbligatoria: puoi configurarla "
                "di nuovo, non disattivarla."
            ),
            "error",
        )
        return see_other(url_for("twofactor.manage"))
    form = DisableForm()
    status = 422
    if form.validate_on_submit():
        refused = _password_confirmed(
            user, form.password, "password check: second factor turned off"
        )
        if not refused:
            service.disable(user)
            flash(_("Verifica in due passaggi disattivata."), "info")
            return see_other(url_for("twofactor.manage"))
        status = refused
    return _manage_page(user, disable_form=form, status=status)


@bp.post("/persone/<int:user_id>/verifica-in-due-passaggi/azzera")
@coordinator_required
def reset(user_id: int):
    person = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if person.id == current_user.id:
        flash(
            _("La tua verifica in due passaggi si gestisce dal tuo profilo."),
            "error",
        )
    elif not service.is_enabled(person):
        flash(_("%(name)s non ha la verifica in due passaggi attiva.", name=person.name), "info")
    else:
        service.reset(person, by=current_user._get_current_object())
        flash(
            _(
                "Verifica in due passaggi di %(name)s azzerata: le sue sessioni sono state "
                "chiuse; al prossimo accesso entrerà con la sola password e potrà configurarla "
                "di nuovo.",
                name=person.name,
            ),
            "success",
        )
    return see_other(url_for("people.edit", user_id=person.id))
