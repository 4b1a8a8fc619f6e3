"""Sign in and out, forgotten password, change of password."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from workspace.accounts import service
from workspace.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
)
from workspace.accounts.models import User
from workspace.extensions import db, login_manager
from workspace.mail import MailError, send_mail
from workspace.rendering import render

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    from sqlalchemy import select

    user = db.session.scalar(select(User).where(User.session_id == session_id))
    return user if user is not None and user.active else None



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


def start_session(user: User, remember: bool = False) -> None:
    """A fresh session for the person: nothing of the anonymous one is carried over."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember)
    session.permanent = True


@bp.route("/accedi", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        result = service.authenticate(form.email.data, form.password.data, request.remote_addr)
        if result.throttled:
            status = 429
            error = _(
                "Troppi tentativi di accesso non riusciti. Attendi qualche minuto e riprova, "
                "oppure reimposta la password."
            )
        elif result.user is None:
            status = 422
            error = _("E-mail o password non corretti.")
        else:
            start_session(result.user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
    if form.errors:
        status = 422
    return render(
        "accounts/login.html", "accounts/_login_form.html", form=form, error=error, status=status
    )


@bp.post("/esci")
def logout():
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("Sei uscito da Tavolo."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password/dimenticata", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        started = service.start_password_reset(form.email.data)
        if started is not None:
            user, token = started
            link = url_for("accounts.reset_password", token=token, _external=True)
            body = render_template("accounts/mail/reset.txt", user=user, link=link)
            try:
                send_mail(user.email, _("Tavolo: reimposta la password"), body)
            except MailError:
                flash(
                    _("Non è stato possibile inviare l'e-mail in questo momento. Riprova."),
                    "error",
                )
                return render(
                    "accounts/forgot.html", "accounts/_forgot_form.html", form=form, status=503
                )
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
    user = db.session.get(User, reset.user_id)
    if form.validate_on_submit():
        problem = service.password_error(form.password.data, personal=(user.email, user.name))
        if problem:
            form.password.errors.append(problem)
        else:
            user = service.complete_password_reset(reset, form.password.data)
            start_session(user)
            flash(_("Password aggiornata. Bentornato!"), "success")
            return redirect(url_for("home.index"))
    status = 422 if form.errors else 200
    return render_template("accounts/reset.html", form=form, token=token), status


@bp.route("/profilo/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.is_submitted():
        valid = form.validate()
        errors = service.password_change_errors(
            current_user, form.current_password.data, form.new_password.data
        )
        for name, message in errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        if valid and not errors:
            service.change_password(current_user, form.new_password.data)
            # The change ended every session of the person, this one too: start a new one.
            start_session(current_user._get_current_object())
            flash(
                _(
                    "Password cambiata. Le altre sessioni aperte con il tuo account sono state "
                    "chiuse."
                ),
                "success",
            )
            return redirect(url_for("people.profile"))
    status = 422 if form.errors else 200
    return render(
        "accounts/change_password.html",
        "accounts/_change_password_form.html",
        form=form,
        status=status,
    )


@bp.post("/lingua")
def set_language():
    """Language for anonymous visitors (signed-in people choose it in their profile)."""
    from flask import current_app

    code = request.form.get("locale", "")
    if code not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = code
    if current_user.is_authenticated and current_user.profile is not None:
        current_user.profile.locale = code
        db.session.commit()
    return redirect(safe_next(request.form.get("next")))
