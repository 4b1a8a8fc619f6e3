"""Calendar files (RFC 5545) for the meetings, to subscribe to or to import.

Pure logic (no Flask, no database), so that it can be tested with hypothesis. Meetings are
stored in UTC but happen in Rome: times are written in Rome's wall-clock time with
TZID=Europe/Rome, so that a subscriber's calendar keeps a meeting at 18:00 across the
daylight-saving change, and shows the zone the group actually meets in. The icalendar library
does the escaping and the line folding; this module only decides what goes in.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar.prop import vRecur, vText

ROME_TZID = "Europe/Rome"
ROME = ZoneInfo(ROME_TZID)
PRODID = "-//Tavolo//Spazio Neutro//IT"

# RFC 5545 allows no control characters in TEXT values but the tab (newlines are escaped).
# icalendar writes the others as they are, and strict readers then reject the whole file:
# one pasted title must not break every subscriber's calendar.
_LINE_BREAK = re.compile(r"\r\n?")
_FORBIDDEN_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # stable, e.g. "meeting-12@tavolo.example"
    sequence: int  # bumped on every change, so that clients replace their copy
    starts_at: datetime  # aware, UTC
    ends_at: datetime  # aware, UTC
    title: str
    location: str = ""  # place and/or online link
    url: str = ""  # absolute link to the meeting page
    description: str = ""
    cancelled: bool = False  # STATUS:CANCELLED
    updated_at: datetime | None = None  # aware UTC; LAST-MODIFIED

    def __post_init__(self):
        # A naive datetime would be silently read in the server's zone by astimezone().
        for attribute in ("starts_at", "ends_at", "updated_at"):
            value = getattr(self, attribute)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{attribute} must be an aware datetime")
        if self.ends_at < self.starts_at:
            raise ValueError("ends_at is before starts_at")
        if not self.uid:
            raise ValueError("uid is required")
        if self.sequence < 0:
            raise ValueError("sequence must not be negative")
        if self.url:
            parts = urlsplit(self.url)
            # A URI property is written unescaped: whitespace would end or split the line.
            if not (parts.scheme and parts.netloc) or re.search(r"[\s\x00-\x1f\x7f]", self.url):
                raise ValueError("url must be an absolute URL without spaces")


def build(events: Iterable[CalendarEvent], *, name: str, stamp: datetime) -> bytes:
    """The whole calendar as bytes, with CRLF line ends, ready to be served as text/calendar."""
    if stamp.utcoffset() is None:
        raise ValueError("stamp must be an aware datetime")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # icalendar 7 writes X- properties it does not know as they are, without escaping, and
    # fails on a newline; a calendar's name is one line anyway.
    calendar.add("x-wr-calname", vText(_clean_text(name).replace("\n", " ")))
    # Read by Google Calendar and Apple Calendar for the subscribed calendar as a whole.
    calendar.add("x-wr-timezone", ROME_TZID)
    calendar.add_component(_rome_timezone())
    for event in events:
        calendar.add_component(_vevent(event, stamp.astimezone(UTC)))
    return calendar.to_ical()


def _vevent(event: CalendarEvent, stamp: datetime) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", _wall_clock(event.starts_at))
    # RFC 5545 wants DTEND later than DTSTART; without it, an event with a time lasts no time.
    if event.ends_at > event.starts_at:
        vevent.add("dtend", _wall_clock(event.ends_at))
    vevent.add("summary", _clean_text(event.title))
    # Empty properties would be noise at best and, for URL, not a valid URI.
    if event.location:
        vevent.add("location", _clean_text(event.location))
    if event.url:
        vevent.add("url", event.url)
    if event.description:
        vevent.add("description", _clean_text(event.description))
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    if event.updated_at is not None:
        vevent.add("last-modified", event.updated_at.astimezone(UTC))
    return vevent


def _wall_clock(moment: datetime) -> datetime:
    """Rome's local time, or UTC for the second 02:xx of the night the clocks go back.

    RFC 5545 reads an ambiguous local time as its first occurrence, so the second one can
    only be written exactly in UTC.
    """
    local = moment.astimezone(ROME)
    if local.fold:
        return moment.astimezone(UTC)
    return local


def _clean_text(text: str) -> str:
    # CR and CRLF become LF, as icalendar would do anyway; a space keeps words apart.
    text = _LINE_BREAK.sub("\n", text)
    return _FORBIDDEN_CONTROL.sub(" ", text)


def _rome_timezone() -> Timezone:
    """Europe/Rome as the EU rules in force since 1996, written as Google Calendar does.

    Not icalendar's add_missing_timezones(): that lists every change as an RDATE, which
    Outlook is reported to misread (summer meetings an hour off), and it stops at a given
    year (2038 by default). Rules have no end date, and the same component serves an empty
    calendar, which needs at least one component to be valid. Meetings before 1996 are not a
    concern.
    """
    timezone = Timezone()
    timezone.add("tzid", ROME_TZID)
    standard = TimezoneStandard()
    standard.add("tzname", "CET")
    standard.add("dtstart", datetime(1970, 10, 25, 3, 0))
    standard.add("tzoffsetfrom", timedelta(hours=2))
    standard.add("tzoffsetto", timedelta(hours=1))
    standard.add("rrule", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))
    daylight = TimezoneDaylight()
    daylight.add("tzname", "CEST")
    daylight.add("dtstart", datetime(1970, 3, 29, 2, 0))
    daylight.add("tzoffsetfrom", timedelta(hours=1))
    daylight.add("tzoffsetto", timedelta(hours=2))
    daylight.add("rrule", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))
    timezone.add_component(standard)
    timezone.add_component(daylight)
    return timezone
