"""Recurring meetings: RFC 5545 rules in the users' words, expanded in Rome's wall-clock time.

Pure logic (no Flask, no database), so that it can be tested with hypothesis. A series is
stored as a rule (``FREQ=MONTHLY;BYDAY=2TU;COUNT=12``) and the local date and time of its
first meeting; every occurrence keeps the same wall-clock time across the daylight-saving
change (the AMA group meets at 18:00 in January and in July), and is converted to UTC only
when stored.
"""

import enum
import re
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

ROME = ZoneInfo("Europe/Rome")
# A series is materialised meeting by meeting: a bound keeps that finite and useful.
MAX_OCCURRENCES = 60
MAX_SPAN = timedelta(days=2 * 366)
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# The parts of a rule that a meeting series may use (RFC 5545 names).
ALLOWED_PARTS = frozenset(
    ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST")
)
FREQUENCIES = frozenset(("DAILY", "WEEKLY", "MONTHLY", "YEARLY"))
SUB_DAILY = frozenset(("HOURLY", "MINUTELY", "SECONDLY"))
TIME_PARTS = frozenset(("BYHOUR", "BYMINUTE", "BYSECOND"))
BOUNDS = frozenset(("COUNT", "UNTIL"))
# The Gregorian calendar, weekdays included, repeats itself every 400 years.
CALENDAR_CYCLE_YEARS = 400


class Pattern(enum.StrEnum):
    """The repetitions offered in the form, in this order."""

    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY_WEEKDAY = "monthly_weekday"  # every second Tuesday of the month
    MONTHLY_LAST_WEEKDAY = "monthly_last_weekday"  # every last Friday of the month
    MONTHLY_DAY = "monthly_day"  # every month on the 12th (or its last day)


class RecurrenceError(ValueError):
    """A rule that cannot be used; the message is for the person who wrote it."""


def week_of_month(day: date) -> int:
    """1 for the first seven days of the month, ... 5 for days 29 to 31."""
    return (day.day - 1) // 7 + 1


def is_last_of_its_weekday(day: date) -> bool:
    return (day + timedelta(days=7)).month != day.month


def rule_for(pattern: Pattern, first: date, *, until: date | None, count: int | None) -> str:
    """The RFC 5545 rule (without DTSTART) for a pattern anchored at the first meeting's date."""
    code = WEEKDAY_CODES[first.weekday()]
    if pattern == Pattern.WEEKLY:
        parts = ["FREQ=WEEKLY"]
    elif pattern == Pattern.FORTNIGHTLY:
        parts = ["FREQ=WEEKLY", "INTERVAL=2"]
    elif pattern == Pattern.MONTHLY_WEEKDAY:
        n = week_of_month(first)
        if n == 5:
            # A fifth Tuesday is missing from most months: the user means "the last".
            parts = ["FREQ=MONTHLY", f"BYDAY=-1{code}"]
        else:
            parts = ["FREQ=MONTHLY", f"BYDAY={n}{code}"]
    elif pattern == Pattern.MONTHLY_LAST_WEEKDAY:
        parts = ["FREQ=MONTHLY", f"BYDAY=-1{code}"]
    elif pattern == Pattern.MONTHLY_DAY:
        # The 31st falls on each month's last day, the 30th on February's last, and so on:
        # RFC 5545 would skip the months without that day.
        if first.day >= 29:
            parts = ["FREQ=MONTHLY", f"BYMONTHDAY={_month_days(first.day)}", "BYSETPOS=-1"]
        else:
            parts = ["FREQ=MONTHLY", f"BYMONTHDAY={first.day}"]
    else:  # pragma: no cover - the enum is closed
        raise RecurrenceError(pattern)
    if count is not None:
        parts.append(f"COUNT={count}")
    elif until is not None:
        parts.append(f"UNTIL={until:%Y%m%d}T235959Z")
    return ";".join(parts)


def _month_days(day: int) -> str:
    """28..day: with BYSETPOS=-1, the latest of them that the month has."""
    return ",".join(str(d) for d in range(28, day + 1))


@dataclass(frozen=True)
class Occurrence:
    """One meeting of a series: its local start (naive, Rome) and the same instant in UTC."""

    local: datetime
    starts_at: datetime


def to_utc(local: datetime) -> datetime:
    """A Rome wall-clock time as UTC. A time that does not exist (02:30 on the spring
    change) moves forward by the gap; an ambiguous one (02:30 in October) is the first."""
    # fold=0 takes the offset in force before a change: past a gap that is the later
    # instant, in an overlap the first one.
    return local.replace(tzinfo=ROME, fold=0).astimezone(UTC)


def parse(rule: str) -> str:
    """The rule, checked: bounded (COUNT or UNTIL), daily at most, parseable. Raises
    RecurrenceError, whose argument says what is wrong (the caller words it for people)."""
    rule = (rule or "").strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[6:]
    _parts(rule)
    return rule


def _parts(rule: str) -> dict[str, str]:
    """The checked parts of a rule (without any ``RRULE:``), by name, upper-cased."""
    # dateutil reads whitespace as the end of a line and "NAME:" as the start of one: a rule
    # with either would become a set of rules, dates (RDATE) and exclusions.
    if (
        not rule
        or len(rule) > 300
        or not rule.isascii()
        or ":" in rule
        or any(character.isspace() for character in rule)
        or "DTSTART" in rule.upper()
    ):
        raise RecurrenceError("rule")
    parts: dict[str, str] = {}
    for part in rule.upper().split(";"):
        name, equals, value = part.partition("=")
        if not equals or not value or name in parts:
            raise RecurrenceError("rule")
        parts[name] = value
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise RecurrenceError("unbounded")
    # An hour, minute or second repeats a meeting within a day, and at another time.
    if parts.get("FREQ") in SUB_DAILY or any(name in parts for name in TIME_PARTS):
        raise RecurrenceError("frequency")
    if parts.keys() - ALLOWED_PARTS or parts.get("FREQ") not in FREQUENCIES:
        raise RecurrenceError("rule")
    if "COUNT" in parts and "UNTIL" in parts:  # RFC 5545: MUST NOT occur in the same rule
        raise RecurrenceError("rule")
    for name in ("COUNT", "INTERVAL"):
        if name in parts and not (parts[name].isdigit() and int(parts[name]) >= 1):
            raise RecurrenceError("rule")
    # dateutil takes a 32nd day or a 13th month, and then looks for it until the year 9999.
    for name, number_pattern, largest in (
        ("BYMONTHDAY", r"[+-]?\d{1,2}", 31),
        ("BYMONTH", r"\d{1,2}", 12),
    ):
        if name in parts and not all(
            re.fullmatch(number_pattern, number, flags=re.ASCII)
            and 1 <= abs(int(number)) <= largest
            for number in parts[name].split(",")
        ):
            raise RecurrenceError("rule")
    if "UNTIL" in parts:
        _until_as_local(parts["UNTIL"])
    try:
        rrulestr(_for_dateutil(parts), dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise RecurrenceError("rule") from error
    return parts


def expand(rule: str, first_local: datetime) -> list[Occurrence]:
    """Every meeting of the series, from its first (always included), at most MAX_OCCURRENCES
    and within MAX_SPAN of the first. ``first_local`` is naive, in Rome's wall-clock time.

    The first meeting counts as one of COUNT, as DTSTART does in RFC 5545."""
    parts = _parts(parse(rule))
    wanted = min(int(parts.get("COUNT", MAX_OCCURRENCES)), MAX_OCCURRENCES)
    try:
        limit = first_local + MAX_SPAN
    except OverflowError:
        limit = datetime.max
    if "UNTIL" in parts:
        limit = min(limit, _until_as_local(parts["UNTIL"]))
    # dateutil looks for a next occurrence up to the year 9999, however far (for a rule that
    # has none, a 30th of February, that is millions of days): the same dates moved by whole
    # calendar cycles to just before that year (MAX_SPAN is under three) keep the search short.
    cycles = max(0, (MAXYEAR - 3 - first_local.year) // CALENDAR_CYCLE_YEARS)
    shift = CALENDAR_CYCLE_YEARS * cycles
    locals_ = [first_local]
    try:
        recurrence = rrulestr(_for_dateutil(parts), dtstart=_moved(first_local, shift))
        # With a naive DTSTART, dateutil insists on a naive UNTIL.
        recurrence = recurrence.replace(until=_moved(limit, shift))
        for moved in recurrence:
            moment = _moved(moved, -shift)
            if moment > limit or len(locals_) >= wanted:
                break
            if moment > first_local:
                locals_.append(moment)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise RecurrenceError("rule") from error
    return [Occurrence(local=moment, starts_at=to_utc(moment)) for moment in locals_]


def _moved(moment: datetime, years: int) -> datetime:
    """The same wall-clock time and weekday ``years`` (a multiple of 400) later."""
    return moment.replace(year=moment.year + years)


def _for_dateutil(parts: dict[str, str]) -> str:
    """The rule without its bounds, which the caller applies."""
    return ";".join(f"{name}={value}" for name, value in parts.items() if name not in BOUNDS)


def _until_as_local(value: str) -> datetime:
    """UNTIL read as Rome's wall-clock time (rule_for writes the end of the last day, with a
    Z); a date alone is the end of that day."""
    if not re.fullmatch(r"\d{8}(T\d{6}Z?)?", value, flags=re.ASCII):
        raise RecurrenceError("until")
    value = value.upper().removesuffix("Z")
    try:
        if "T" in value:
            return datetime.strptime(value, "%Y%m%dT%H%M%S")
        return datetime.strptime(value, "%Y%m%d").replace(hour=23, minute=59, second=59)
    except ValueError as error:
        raise RecurrenceError("until") from error
