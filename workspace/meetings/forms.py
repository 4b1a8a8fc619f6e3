from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import AnyOf, InputRequired, NumberRange, Optional

from workspace.forms import (
    DayField,
    NumberField,
    Readable,
    SelectField,
    max_length,
    parse_number,
    required,
)
from workspace.invitations.forms import MultiCheckboxField
from workspace.meetings.recurrence import MAX_OCCURRENCES, Pattern


def optional_id(value):
    """A select's value as an id, or None for the empty choice (or anything not a number):
    which ids are acceptable is the service's business."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    return parse_number(str(value))


class HourField(Readable, TimeField):
    unreadable = _l("Indica un'ora valida, per esempio 17:30.")


class WholeNumberField(Readable, NumberField):
    unreadable = _l("Scrivi un numero intero, per esempio 12.")


def given():
    """Required, without DataRequired's habit of replacing "not a valid date" by "required"."""
    return InputRequired(message=_l("Questo campo è obbligatorio."))


def pattern_choices():
    return [
        ("", _l("Non si ripete")),
        (Pattern.WEEKLY.value, _l("Ogni settimana, lo stesso giorno")),
        (Pattern.FORTNIGHTLY.value, _l("Ogni due settimane")),
        (
            Pattern.MONTHLY_WEEKDAY.value,
            _l("Ogni mese, stessa settimana e giorno (per esempio il secondo martedì)"),
        ),
        (
            Pattern.MONTHLY_LAST_WEEKDAY.value,
            _l("Ogni mese, l'ultimo giorno della settimana scelto (per esempio l'ultimo venerdì)"),
        ),
        (Pattern.MONTHLY_DAY.value, _l("Ogni mese, lo stesso giorno del mese")),
    ]


class MeetingForm(FlaskForm):
    title = StringField(_l("Titolo"), validators=[required(), max_length(200)])
    starts_on = DayField(_l("Data"), validators=[given()])
    starts_time = HourField(_l("Ora di inizio"), validators=[given()])
    ends_at = HourField(_l("Ora di fine"), validators=[given()])
    place = StringField(
        _l("Luogo"),
        validators=[Optional(), max_length(300)],
        description=_l("Per esempio: Provincia di Milano, via Vivaio 1, sala 3."),
    )
    online_url = StringField(
        _l("Collegamento per partecipare a distanza"),
        validators=[Optional(), max_length(500)],
        description=_l("Facoltativo: l'indirizzo della riunione online (https://...)."),
    )
    is_joint = BooleanField(
        _l("Incontro congiunto con il Coordinamento affidi"),
        description=_l(
            "I partecipanti esterni invitati vedranno solo questo incontro, il suo ordine del "
            "giorno e il suo verbale."
        ),
    )
    # Anything but an id (only a forged form sends one) is someone who may not be invited.
    invited = MultiCheckboxField(_l("Invitati"), coerce=optional_id, validate_choice=False)


class NewMeetingForm(MeetingForm):
    pattern = SelectField(
        _l("Ripetizione"),
        choices=pattern_choices,
        validate_choice=False,
        validators=[
            AnyOf(
                ["", *(pattern.value for pattern in Pattern)],
                message=_l("Scegli una delle ripetizioni proposte."),
            )
        ],
    )
    until = DayField(
        _l("Si ripete fino al"),
        validators=[Optional()],
        description=_l("Per una serie: la data dell'ultimo incontro possibile, oppure…"),
    )
    count = WholeNumberField(
        _l("Numero di incontri"),
        validators=[
            Optional(),
            NumberRange(
                min=2,
                max=MAX_OCCURRENCES,
                message=_l("Da 2 a %(max)d incontri.", max=MAX_OCCURRENCES),
            ),
        ],
        description=_l("…quanti incontri in tutto, al massimo 60."),
    )


class CancelForm(FlaskForm):
    reason = StringField(_l("Motivo (facoltativo)"), validators=[Optional(), max_length(300)])


class AgendaItemForm(FlaskForm):
    title = StringField(_l("Argomento"), validators=[required(), max_length(200)])
    owner = SelectField(_l("Chi lo presenta"), coerce=optional_id, validate_choice=False)
    duration = WholeNumberField(
        _l("Durata prevista (minuti)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=600, message=_l("Indica una durata tra 1 e 600 minuti.")),
        ],
    )


class GuestForm(FlaskForm):
    name = StringField(_l("Nome e cognome"), validators=[required(), max_length(120)])
    organisation = StringField(
        _l("Servizio o ente"),
        validators=[Optional(), max_length(200)],
        description=_l("Per esempio: Coordinamento affidi, Comune di Rho."),
    )


class DecisionForm(FlaskForm):
    item = SelectField(_l("Punto all'ordine del giorno"), coerce=optional_id, validate_choice=False)
    text = TextAreaField(_l("Decisione"), validators=[required(), max_length(2000)])
    document = SelectField(_l("Documento (facoltativo)"), coerce=optional_id, validate_choice=False)
    revision = WholeNumberField(
        _l("Versione del documento"),
        validators=[Optional()],
        description=_l("Lasciala vuota per la versione attuale."),
    )


class ActionForm(FlaskForm):
    # Its own ids: the agenda and decision forms on the same page have a title, an owner and
    # an item too, and a label points at one id only.
    title = StringField(_l("Compito"), validators=[required(), max_length(300)], id="action-title")
    owner = SelectField(
        _l("Responsabile"), coerce=optional_id, validate_choice=False, id="action-owner"
    )
    due_on = DayField(_l("Scadenza"), validators=[Optional()], id="action-due-on")
    item = SelectField(
        _l("Punto all'ordine del giorno (facoltativo)"),
        coerce=optional_id,
        validate_choice=False,
        id="action-item",
    )


class CloseActionForm(FlaskForm):
    note = TextAreaField(
        _l("Nota di chiusura"),
        validators=[Optional(), max_length(2000)],
        description=_l("Facoltativa: com'è andata, dove trovare il risultato."),
    )


class ApproveMinutesForm(FlaskForm):
    at_meeting = SelectField(
        _l("Approvato durante l'incontro"), coerce=optional_id, validate_choice=False
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Il tuo commento"),
        validators=[required(), max_length(2000)],
        description=_l("Che cosa correggere o aggiungere: chi approva il verbale lo leggerà."),
    )
