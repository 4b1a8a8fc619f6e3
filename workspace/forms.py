"""Shared form pieces: Italian messages for the validators every form uses."""

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Email, Length


def required():
    return DataRequired(message=_l("Questo campo è obbligatorio."))


def email_address():
    return Email(message=_l("Scrivi un indirizzo e-mail valido, per esempio nome@comune.it."))


def max_length(n: int):
    return Length(max=n, message=_l("Al massimo %(max)d caratteri.", max=n))
