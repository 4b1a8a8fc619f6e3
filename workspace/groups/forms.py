from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from workspace.forms import max_length, required
from workspace.groups.models import GroupRole


def group_role_choices():
    return [(GroupRole.MEMBER.value, _l("Componente")), (GroupRole.LEAD.value, _l("Referente"))]


class GroupForm(FlaskForm):
    name = StringField(_l("Nome del gruppo"), validators=[required(), max_length(160)])
    purpose = TextAreaField(
        _l("Finalità"),
        validators=[max_length(4000)],
        description=_l("A cosa serve il gruppo, chi ne fa parte, ogni quanto si incontra."),
    )
    is_joint = BooleanField(_l("Gruppo congiunto con il coordinamento affidi"))


class AddMemberForm(FlaskForm):
    user_id = SelectField(_l("Persona"), coerce=int, validate_choice=True)
    role = SelectField(_l("Ruolo nel gruppo"), choices=group_role_choices)


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Ruolo nel gruppo"), choices=group_role_choices)
