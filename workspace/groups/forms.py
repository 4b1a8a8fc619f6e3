from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField

from workspace.forms import SelectField, max_length, required
from workspace.groups.models import GroupRole

GROUP_ROLE_LABELS = {GroupRole.MEMBER: _l("Componente"), GroupRole.LEAD: _l("Referente")}


def group_role_label(role: GroupRole):
    return GROUP_ROLE_LABELS[GroupRole(role)]


def group_role_choices():
    """Every role of the GroupRole enum, in its order, with its translated label."""
    return [(role.value, group_role_label(role)) for role in GroupRole]


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
