"""The register's filter: a GET form, so a filtered view can be bookmarked and reloaded."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from workspace.audit.actions import ACTIONS, SUBJECTS
from workspace.forms import DayField, SelectField, parse_number, plausible_day

# Days outside these are typing mistakes (and would overflow date arithmetic at the extremes).


def _optional_id(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    return parse_number(str(value))


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # reading only, and the URL must work as a link

    azione = SelectField(_l("Operazione"), choices=[], validate_choice=True, default="")
    persona = SelectField(_l("Persona"), choices=[], coerce=_optional_id, validate_choice=False)
    dal = DayField(_l("Dal"), validators=[plausible_day])
    al = DayField(_l("Al"), validators=[plausible_day])

    def __init__(self, formdata, people: list[tuple[int, str]]):
        super().__init__(formdata)
        self.azione.choices = [
            ("", _l("Tutte")),
            *((code, label) for code, label in SUBJECTS.items()),
            *((code, label) for code, label in ACTIONS.items()),
        ]
        self.persona.choices = [("", _l("Tutte")), *people]

    def validate_al(self, field) -> None:
        if field.data is not None and self.dal.data is not None and field.data < self.dal.data:
            raise ValidationError(_l("La data «Al» non può essere prima della data «Dal»."))

    def validate_persona(self, field) -> None:
        if self.persona.raw_data and self.persona.raw_data[0] and field.data is None:
            raise ValidationError(_l("Scegli una persona dall'elenco."))
