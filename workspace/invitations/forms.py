from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectMultipleField, StringField, widgets

from workspace.forms import SelectField, email_address, max_length, required
from workspace.people.forms import AffiliationMixin, role_choices


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class InvitationForm(AffiliationMixin, FlaskForm):
    name = StringField(_l("Nome e cognome"), validators=[required(), max_length(120)])
    email = EmailField(_l("E-mail"), validators=[required(), email_address(), max_length(254)])
    role = SelectField(_l("Ruolo nel tavolo"), choices=role_choices)
    group_ids = MultiCheckboxField(
        _l("Gruppi di lavoro"),
        coerce=int,
        description=_l("La persona entrerà in questi gruppi come componente."),
    )
