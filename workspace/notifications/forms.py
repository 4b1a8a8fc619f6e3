from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from workspace.notifications.models import MailMode


class MailModeForm(FlaskForm):
    mode = RadioField(
        _l("Notifiche per e-mail"),
        choices=[
            (MailMode.IMMEDIATE.value, _l("Subito: una mail appena arriva una notifica")),
            (MailMode.DAILY.value, _l("Una volta al giorno: un riepilogo la mattina")),
            (MailMode.NEVER.value, _l("Mai: le notifiche restano solo qui in Tavolo")),
        ],
        validators=[InputRequired(_l("Scegli come ricevere le notifiche."))],
    )
