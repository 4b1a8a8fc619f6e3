from flask import current_app
from flask_babel import LazyString, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import EqualTo

from workspace.forms import email_address, max_length, required


def _password_hint() -> str:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    return ngettext("Almeno %(num)d carattere.", "Almeno %(num)d caratteri.", minimum)


# Read when the form is shown, so that it follows the PASSWORD_MIN_LENGTH setting.
PASSWORD_HINT = LazyString(_password_hint)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[required(), max_length(254)])
    password = PasswordField(_l("Password"), validators=[required(), max_length(1024)])
    remember = BooleanField(_l("Ricordami su questo computer"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[required(), email_address(), max_length(254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nuova password"), validators=[required()], description=PASSWORD_HINT
    )
    confirm = PasswordField(
        _l("Ripeti la nuova password"),
        validators=[required(), EqualTo("password", message=_l("Le due password non coincidono."))],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Password attuale"), validators=[required()])
    new_password = PasswordField(
        _l("Nuova password"), validators=[required()], description=PASSWORD_HINT
    )
    confirm = PasswordField(
        _l("Ripeti la nuova password"),
        validators=[
            required(),
            EqualTo("new_password", message=_l("Le due password non coincidono.")),
        ],
    )
