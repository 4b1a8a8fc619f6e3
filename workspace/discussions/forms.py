from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Optional

from workspace.forms import max_length, required


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Messaggio"),
        validators=[Optional()],
        description=_l("Si scrive in Markdown. Per menzionare qualcuno scrivi @ e il suo nome."),
    )
    # A fresh token per form: the same form sent twice makes one message, not two.
    client_token = HiddenField()
    quoted = HiddenField()


class ThreadForm(MessageForm):
    title = StringField(_l("Titolo"), validators=[required(), max_length(200)])
    document = HiddenField()
    section = HiddenField()
