from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from workspace.forms import MAX_NUMBER, NumberField, max_length, required


class DocumentForm(FlaskForm):
    title = StringField(_l("Titolo"), validators=[required(), max_length(200)])
    description = TextAreaField(
        _l("Descrizione"),
        validators=[Optional(), max_length(2000)],
        description=_l("Facoltativa: a cosa serve il documento."),
    )


class NewDocumentForm(DocumentForm):
    body = TextAreaField(
        _l("Testo"),
        validators=[Optional()],
        description=_l("Puoi lasciarlo vuoto e scriverlo dopo. Si scrive in Markdown."),
    )


class EditForm(FlaskForm):
    body = TextAreaField(_l("Testo"), validators=[Optional()])
    summary = StringField(
        _l("Nota di modifica"),
        validators=[Optional(), max_length(300)],
        description=_l("Facoltativa: in breve, che cosa hai cambiato."),
    )
    base = NumberField(
        validators=[
            InputRequired(_l("Versione di partenza mancante.")),
            NumberRange(min=0, max=MAX_NUMBER),
        ]
    )
    section = NumberField(validators=[Optional(), NumberRange(min=0, max=MAX_NUMBER)])
    # The signed token of the editor page (workspace.documents.service.editor_token).
    editor = HiddenField()


class ApprovalForm(FlaskForm):
    note = TextAreaField(
        _l("Nota di approvazione"),
        validators=[Optional(), max_length(2000)],
        description=_l("Per esempio: approvata dal tavolo nell'incontro del 12 marzo."),
    )
