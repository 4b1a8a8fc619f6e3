"""The feed's filters: a GET form (a link to a filtered feed can be bookmarked and shared)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import ValidationError

from workspace.activity.models import EventKind
from workspace.forms import DayField, SelectField, parse_number, plausible_day

KIND_LABELS = {
    EventKind.DOCUMENT_CREATED: _l("Documento creato"),
    EventKind.REVISION_SAVED: _l("Versione salvata"),
    EventKind.REVISION_RESTORED: _l("Versione ripristinata"),
    EventKind.DOCUMENT_APPROVED: _l("Versione approvata"),
    EventKind.THREAD_OPENED: _l("Discussione aperta"),
    EventKind.MESSAGE_POSTED: _l("Risposta"),
    EventKind.MEETING_SCHEDULED: _l("Incontro programmato"),
    EventKind.MEETING_CANCELLED: _l("Incontro annullato"),
    EventKind.MINUTES_EDITED: _l("Verbale modificato"),
    EventKind.MINUTES_CIRCULATED: _l("Verbale in visione"),
    EventKind.MINUTES_APPROVED: _l("Verbale approvato"),
    EventKind.ACTION_ASSIGNED: _l("Compito assegnato"),
    EventKind.ACTION_CLOSED: _l("Compito chiuso"),
    EventKind.MEMBER_ADDED: _l("Componente aggiunto"),
    EventKind.MEMBER_REMOVED: _l("Componente tolto"),
}

# The kinds the filter offers, by the part of Tavolo they come from.
KIND_GROUPS = (
    (
        _l("Documenti"),
        (
            EventKind.DOCUMENT_CREATED,
            EventKind.REVISION_SAVED,
            EventKind.REVISION_RESTORED,
            EventKind.DOCUMENT_APPROVED,
        ),
    ),
    (_l("Discussioni"), (EventKind.THREAD_OPENED, EventKind.MESSAGE_POSTED)),
    (
        _l("Incontri"),
        (
            EventKind.MEETING_SCHEDULED,
            EventKind.MEETING_CANCELLED,
            EventKind.MINUTES_EDITED,
            EventKind.MINUTES_CIRCULATED,
            EventKind.MINUTES_APPROVED,
            EventKind.ACTION_ASSIGNED,
            EventKind.ACTION_CLOSED,
        ),
    ),
    (_l("Componenti"), (EventKind.MEMBER_ADDED, EventKind.MEMBER_REMOVED)),
)


def kind_label(kind: str) -> str:
    try:
        return str(KIND_LABELS[EventKind(kind)])
    except ValueError:
        return kind


class _Choice(SelectField):
    """A select whose value must be one of its choices, with an Italian message naming what
    was not found (a link edited by hand, a person no longer in the groups)."""

    unknown = _l("Scelta non valida.")

    def pre_validate(self, form):
        if self.data in (None, ""):
            return
        if str(self.data) not in {str(value) for value, _label in self.choices}:
            raise ValidationError(str(self.unknown))


class PersonField(_Choice):
    unknown = _l("Persona sconosciuta o non presente nei tuoi gruppi: scegli dall'elenco.")


class ServiceField(_Choice):
    unknown = _l("Servizio sconosciuto: scegli dall'elenco.")


class GroupField(_Choice):
    unknown = _l("Gruppo sconosciuto o che non puoi vedere: scegli dall'elenco.")


class KindField(_Choice):
    unknown = _l("Tipo di attività sconosciuto: scegli dall'elenco.")


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: reading, and links that can be shared

    gruppo = GroupField(_l("Gruppo"), choices=[], validate_choice=False)
    persona = PersonField(_l("Persona"), choices=[], validate_choice=False)
    servizio = ServiceField(_l("Servizio"), choices=[], validate_choice=False)
    tipo = KindField(_l("Tipo"), choices=[], validate_choice=False)
    dal = DayField(_l("Dal giorno"), validators=[plausible_day])
    al = DayField(_l("Al giorno (compreso)"), validators=[plausible_day])

    def __init__(self, *args, groups=(), people=(), services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.gruppo.choices = [("", _l("Tutti i gruppi"))] + [(g.slug, g.name) for g in groups]
        self.persona.choices = [("", _l("Tutte le persone"))] + [
            (str(person_id), label) for person_id, label in people
        ]
        self.servizio.choices = [("", _l("Tutti i servizi"))] + [
            (str(s.id), s.name) for s in services
        ]
        # Drawn by the template in groups (optgroup); validated against the flat list.
        self.tipo.choices = [("", _l("Tutti i tipi"))] + [
            (str(kind), label) for kind, label in KIND_LABELS.items()
        ]

    def validate_al(self, field):
        if field.data and self.dal.data and field.data < self.dal.data:
            raise ValidationError(str(_l("La data finale è precedente a quella iniziale.")))

    def number(self, field) -> int | None:
        return parse_number(field.data) if field.data else None

    @property
    def active(self) -> bool:
        return any(
            f.data not in (None, "") for f in (self.gruppo, self.persona, self.servizio, self.tipo)
        ) or bool(self.dal.data or self.al.data)


class WeeklySummaryForm(FlaskForm):
    enabled = BooleanField(
        _l("Ricevi ogni settimana una mail con le novità dei tuoi gruppi"),
        description=_l(
            "Documenti cambiati, discussioni, incontri e compiti della settimana, con i link."
        ),
    )
