"""The search form: read from the query string (a GET form, so no CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField
from wtforms.validators import ValidationError

from workspace.forms import SelectField, max_length
from workspace.search.service import MAX_QUERY_CHARS


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Cerca"),
        validators=[max_length(MAX_QUERY_CHARS)],
        filters=[lambda value: value.strip() if value else value],
    )
    gruppo = SelectField(_l("Gruppo"), choices=[], validate_choice=False)
    tipo = SelectField(_l("Tipo"), choices=[], validate_choice=False)

    def set_choices(self, groups, kinds: dict[str, str]) -> None:
        self.gruppo.choices = [("", _l("Tutti i gruppi"))] + [(g.slug, g.name) for g in groups]
        self.tipo.choices = [("", _l("Tutto"))] + list(kinds.items())

    def validate_gruppo(self, field) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Scegli uno dei gruppi dell'elenco."))

    def validate_tipo(self, field) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Scegli uno dei tipi dell'elenco."))
