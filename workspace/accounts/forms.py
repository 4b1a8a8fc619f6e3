from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import EqualTo

from workspace.forms import email_address, max_length, required


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[required(), max_length(254)])
    password = PasswordField(_l("Password"), validators=[required(), max_length(1024)])
    remember = BooleanField(_l("Ricordami su questo computer"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[required(), email_address(), max_length(254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nuova password"), validators=[required()], description=_l("Almeno 8 caratteri.")
    )
    confirm = PasswordField(
        _l("Ripeti la nuova password"),
        validators=[required(), EqualTo("password", message=_l("Le due password non coincidono."))],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Password attuale"), validators=[required()])
    new_password = PasswordField(
        _l("Nuova password"), validators=[required()], description=_l("Almeno 8 caratteri.")
    )
    confirm = PasswordField(
        _l("Ripeti la nuova password"),
        validators=[
            required(),
            EqualTo("new_password", message=_l("Le due password non coincidono.")),
        ],
    )
