"""Sign in and out, forgotten password, change of password."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workspace.accounts import service, sessions
from workspace.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
)
from workspace.accounts.models import User
from workspace.extensions import login_manager
from workspace.people import service as people_service
from workspace.rendering import render
from workspace.twofactor import service as twofactor

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The person this session stands for, if it has not timed out (see accounts.sessions).

    Only the session is trusted: Flask-Login also calls this for its "remember me" cookie,
    which Tavolo does not issue and must not honour (it would bypass the timeouts)."""
    if session.get("_user_id") != session_id:
        return None
    if not sessions.still_valid():
        sessions.expire()
        return None
    user = service.user_for_session(session_id)
    if user is not None:
        sessions.touch()
    return user


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("home.index")


def too_many_attempts() -> str:
    return service.too_many_attempts()


def signed_in(user: User, *, remember: bool, next_url: str, record: bool = True):
    """The password was right: ask for the second factor if the person has one, otherwise
    start the session and go where the person was going."""
    if twofactor.is_enabled(user):
        twofactor.start_pending(user, remember=remember, next_url=next_url)
        return redirect(url_for("twofactor.verify"))
    if record:
        service.record_sign_in(user)
    service.start_session(user, remember=remember)
    return redirect(next_url)


@bp.route("/accedi", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if sessions.take_expired():
        flash(
            _(
                "La sessione è scaduta: per sicurezza, dopo un periodo senza attività (o dopo "
                "molte ore) bisogna accedere di nuovo. Le bozze che stavi scrivendo sono state "
                "conservate."
            ),
            "warning",
        )
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        result = service.authenticate(form.email.data, form.password.data, request.remote_addr)
        if result.throttled:
            status, error = 429, too_many_attempts()
        elif result.user is None:
            status, error = 422, _("E-mail o password non corretti.")
        else:
            return signed_in(
                result.user,
                remember=bool(form.remember.data),
                next_url=safe_next(request.args.get("next")),
            )
    if form.errors:
        status = 422
    return render(
        "accounts/login.html", "accounts/_login_form.html", form=form, error=error, status=status
    )


@bp.post("/esci")
def logout():
    service.end_session(current_user._get_current_object())
    flash(_("Sei uscito da Tavolo, su questo e sugli altri dispositivi."), "info")
    response = redirect(url_for("accounts.login"))
    # What the browser kept of the signed-in pages goes too. Not "cookies": the session cookie
    # carries the message above, and the session it held has already ended on the server.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/password/dimenticata", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if not service.request_password_reset(form.email.data, request.remote_addr):
            return render(
                "accounts/forgot.html",
                "accounts/_forgot_form.html",
                form=form,
                error=_(
                    "Troppe richieste in poco tempo. Attendi qualche minuto e riprova: se hai "
                    "già chiesto il link, controlla anche la posta indesiderata."
                ),
                status=429,
            )
        # The same words whether the account exists, the mail left or the server refused it.
        flash(
            _(
                "Se l'indirizzo corrisponde a un account attivo, riceverai un'e-mail con il link "
                "per scegliere una nuova password. Il link vale un'ora."
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    status = 422 if form.errors else 200
    return render("accounts/forgot.html", "accounts/_forgot_form.html", form=form, status=status)


@bp.route("/password/reimposta/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    reset = service.find_password_reset(token)
    if reset is None:
        return render_template("accounts/reset_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = service.complete_password_reset(reset, form.password.data)
        except service.PasswordRuleError as error:
            form.password.errors.append(str(error))
        else:
            # A new password is no way around the second factor: it is asked as at sign-in.
            response = signed_in(user, remember=False, next_url=url_for("home.index"), record=False)
            flash(_("Password aggiornata. Bentornato!"), "success")  # in the new session
            return response
    status = 422 if form.errors else 200
    return render_template("accounts/reset.html", form=form, token=token), status


@bp.route("/profilo/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.is_submitted():
        valid = form.validate()
        errors = service.password_change_errors(
            current_user, form.current_password.data, form.new_password.data, request.remote_addr
        )
        for name, message in errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        if getattr(errors, "throttled", False):
            status = 429
        elif valid and not errors:
            service.change_password(current_user, form.new_password.data)
            # The change ended every session of the person, this one too: start a new one.
            service.restart_session(current_user._get_current_object())
            flash(
                _(
                    "Password cambiata. Le altre sessioni aperte con il tuo account sono state "
                    "chiuse."
                ),
                "success",
            )
            return redirect(url_for("people.profile"))
    if form.errors and status == 200:
        status = 422
    return render(
        "accounts/change_password.html",
        "accounts/_change_password_form.html",
        form=form,
        status=status,
    )


@bp.post("/lingua")
def set_language():
    """Language for anonymous visitors (signed-in people choose it in their profile)."""
    code = request.form.get("locale", "")
    if code not in current_app.config["LANGUAGES"]:
        abort(400)
    people_service.choose_language(current_user, code)
    return redirect(safe_next(request.form.get("next")))
