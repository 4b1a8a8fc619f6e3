from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import Optional

from workspace.directory.models import Scope
from workspace.forms import max_length, required


class ServiceForm(FlaskForm):
    name = StringField(
        _l("Servizio di riferimento"),
        validators=[required(), max_length(200)],
        description=_l("Il nome del servizio o dell'ente che lo gestisce."),
    )
    district = StringField(_l("Ambito distrettuale"), validators=[required(), max_length(120)])
    health_authority = StringField(_l("ASL"), validators=[Optional(), max_length(80)])
    scope = RadioField(
        _l("Territorio"),
        choices=[
            (Scope.PROVINCIAL.value, _l("Servizio provinciale")),
            (Scope.EXTRA_PROVINCIAL.value, _l("Servizio extra-provinciale")),
        ],
        default=Scope.PROVINCIAL.value,
        validators=[required()],
    )
