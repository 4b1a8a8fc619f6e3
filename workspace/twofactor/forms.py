from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from workspace.forms import max_length, required


class VerifyForm(FlaskForm):
    code = StringField(
        _l("Codice"),
        validators=[required(), max_length(64)],
        description=_l(
            "Le 6 cifre che mostra l'app di autenticazione, oppure uno dei codici di recupero."
        ),
    )


class EnrolForm(FlaskForm):
    code = StringField(
        _l("Codice di verifica"),
        validators=[required(), max_length(16)],
        description=_l("Le 6 cifre che l'app mostra ora per Tavolo."),
    )


class ReplaceForm(EnrolForm):
    """Enrolment of a new phone by someone who already has a second factor: the password too
    (a stolen session alone must not swap in another secret)."""

    password = PasswordField(
        _l("Password attuale"),
        validators=[required(), max_length(1024)],
        description=_l("Per cambiare telefono conferma con la password con cui accedi."),
    )


class DisableForm(FlaskForm):
    password = PasswordField(_l("Password attuale"), validators=[required(), max_length(1024)])


class RenewCodesForm(FlaskForm):
    """New recovery codes: the password first. Shown on the same page as DisableForm, hence
    the prefix (its field is ``codes-password``)."""

    password = PasswordField(_l("Password attuale"), validators=[required(), max_length(1024)])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "codes")
        super().__init__(*args, **kwargs)


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a button that changes something."""
