"""Shared form pieces: Italian messages for the validators every form uses, and the one way
to read a number from a request."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import DateField, IntegerField
from wtforms import SelectField as _SelectField
from wtforms.validators import DataRequired, Email, Length, StopValidation, ValidationError
from wtforms.widgets import Select


def required():
    return DataRequired(message=_l("Questo campo è obbligatorio."))


def email_address():
    return Email(message=_l("Scrivi un indirizzo e-mail valido, per esempio nome@comune.it."))


def max_length(n: int):
    return Length(max=n, message=_l("Al massimo %(max)d caratteri.", max=n))


# Numbers that come from a request (revision, section, author, page): at most 9 ASCII digits,
# so always a 32-bit integer. str.isdigit() would take "²" (which int() refuses) and int()
# would take "٣", " 7", "+7" and "1_000"; a number too large for a database column is a 500.
_NUMBER = re.compile(r"[0-9]{1,9}")
MAX_NUMBER = 2**31 - 1


def parse_number(raw: str | None) -> int | None:
    """``raw`` as a non-negative integer, or None if it is anything but 1 to 9 ASCII digits."""
    if raw is None or not _NUMBER.fullmatch(raw):
        return None
    return int(raw)


_OPTION = Markup('<option value="%s">%s</option>')
_SELECTED = Markup('<option selected value="%s">%s</option>')


class QuickSelect(Select):
    """WTForms' select, with each plain option written directly: the same HTML, but not one
    ``html_params`` call per option (the feed's list of 300 people took 2 ms to write)."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        option = _SELECTED if choice.selected else _OPTION
        return option % (value, choice.label or choice.value)  # both escaped by Markup


class SelectField(_SelectField):
    widget = QuickSelect()


class NumberField(IntegerField):
    """An IntegerField that reads only what ``parse_number`` reads; empty is no value."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] == "":
            self.data = None
            return
        self.data = parse_number(valuelist[0])
        if self.data is None:
            raise ValueError(self.gettext("Not a valid integer value."))


class Readable:
    """A value that could not be read gets one message in Italian (WTForms' own are English
    or ungrammatical), and the range checks, which would only add a second one, are skipped."""

    unreadable = None  # each field says what it expected

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None  # no value: for InputRequired or Optional to judge
            return
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(self.unreadable)) from error

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class DayField(Readable, DateField):
    """ISO, as a date input sends it, or day/month/year, as people type it where a browser
    shows a plain text box (and as the message suggests)."""

    unreadable = _l("Indica una data valida, per esempio 14/01/2030.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%d", "%d/%m/%Y"])
        super().__init__(*args, **kwargs)


# Days a person may mean: a typo like 0202 or 9999 gets a message, not an overflow in the
# date arithmetic or the database.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def plausible_day(_form, field) -> None:
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(_l("Indica una data tra il 2000 e il 2100."))
