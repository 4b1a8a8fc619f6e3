from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TelField
from wtforms.validators import Optional, Regexp

from workspace.forms import SelectField, max_length, required
from workspace.people.models import Role


def role_choices():
    return [
        (Role.OPERATOR.value, _l("Operatore/operatrice di un servizio")),
        (Role.COORDINATOR.value, _l("Coordinatore/coordinatrice del tavolo")),
        (Role.EXTERNAL.value, _l("Partecipante esterno (altro coordinamento)")),
    ]


def coerce_optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class AffiliationMixin:
    service_id = SelectField(
        _l("Servizio"),
        coerce=coerce_optional_int,
        validators=[Optional()],
        description=_l("Il servizio Spazio Neutro in cui lavora la persona."),
    )
    organisation = StringField(
        _l("Ente o coordinamento"),
        validators=[Optional(), max_length(200)],
        description=_l("Per i partecipanti esterni, per esempio «Coordinamento affidi»."),
    )


class ProfileForm(AffiliationMixin, FlaskForm):
    name = StringField(_l("Nome e cognome"), validators=[required(), max_length(120)])
    phone = TelField(
        _l("Telefono"),
        validators=[
            Optional(),
            max_length(40),
            Regexp(r"^[0-9+()./ -]*$", message=_l("Usa solo cifre, spazi e + ( ) . / -")),
        ],
    )
    locale = SelectField(_l("Lingua dell'interfaccia"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The languages of the settings (LANGUAGES), each named in itself and marked so: a
        # screen reader says "English" in English.
        self.locale.choices = [
            (code, name, {"lang": code}) for code, name in current_app.config["LANGUAGES"].items()
        ]


class PersonForm(AffiliationMixin, FlaskForm):
    name = StringField(_l("Nome e cognome"), validators=[required(), max_length(120)])
    role = SelectField(_l("Ruolo nel tavolo"), choices=role_choices)


class EraseForm(FlaskForm):
    confirmation = StringField(
        _l("Nome della persona, per conferma"),
        validators=[required(), max_length(120)],
        description=_l("Scrivi il nome e cognome come appare in questa pagina."),
    )
