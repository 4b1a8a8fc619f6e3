"""Calendar files for the meetings, a pure module: read back with icalendar, and properties.

Every file is checked the way a subscriber's calendar reads it: icalendar parses it (mapping
TZID=Europe/Rome to the zone database, as Google and Apple do) and the VTIMEZONE it carries is
also read on its own (as Outlook does), and both must give back the same UTC instants.
"""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from workspace.meetings.calendar import CalendarEvent, build

ROME = ZoneInfo("Europe/Rome")
STAMP = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
WINTER = datetime(2027, 1, 12, 17, 0, tzinfo=UTC)
SUMMER = datetime(2027, 7, 13, 16, 0, tzinfo=UTC)


def meeting(number=1, starts_at=WINTER, *, hours=2, **fields):
    fields.setdefault("title", f"Riunione {number}")
    return CalendarEvent(
        uid=f"meeting-{number}@tavolo.example",
        sequence=fields.pop("sequence", 0),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        **fields,
    )


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def calendar_name(calendar: Calendar) -> str:
    # icalendar 7 reads X- properties it does not know without unescaping them: done here.
    escaped = calendar["X-WR-CALNAME"].to_ical().decode()
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], escaped)


def the_event(calendar: Calendar):
    (event,) = calendar.walk("VEVENT")
    return event


def vtimezone_tz(calendar: Calendar):
    """The zone as defined in the file itself, not looked up by its name."""
    (timezone,) = calendar.walk("VTIMEZONE")
    try:
        return timezone.to_tz(lookup_tzid=False)
    except TypeError:  # icalendar 6.0 always builds the zone from the definition
        return timezone.to_tz()


def read_in_both_ways(calendar: Calendar, name: str) -> datetime:
    """The UTC instant of DTSTART or DTEND, checking that the VTIMEZONE agrees."""
    event = the_event(calendar)
    value = event.decoded(name)
    if "TZID" not in event[name].params:
        assert value.utcoffset() == timedelta(0)
        return value.astimezone(UTC)
    assert event[name].params["TZID"] == "Europe/Rome"
    assert value.tzinfo == ROME
    by_name = value.astimezone(UTC)
    by_definition = value.replace(tzinfo=vtimezone_tz(calendar)).astimezone(UTC)
    assert by_name == by_definition
    return by_name


def test_the_calendar_describes_itself():
    data = build([meeting()], name="AMA, Bologna; sede", stamp=STAMP)
    assert b"\r\nX-WR-CALNAME:AMA\\, Bologna\\; sede\r\n" in data
    calendar = parse(data)
    assert calendar["PRODID"] == "-//Tavolo//Spazio Neutro//IT"
    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar_name(calendar) == "AMA, Bologna; sede"
    assert calendar["X-WR-TIMEZONE"] == "Europe/Rome"


def test_the_events_read_back_with_all_their_details():
    first = meeting(
        1,
        sequence=3,
        title="Coordinamento AMA",
        location="Sala Borsellino, via Roma 1 – https://meet.example/ama",
        url="https://tavolo.example/riunioni/1",
        description="Ordine del giorno:\n1. verbale\n2. varie",
        updated_at=datetime(2026, 11, 30, 8, 15, tzinfo=UTC),
    )
    second = meeting(2, SUMMER)
    calendar = parse(build([first, second], name="AMA", stamp=STAMP))

    events = calendar.walk("VEVENT")
    assert [str(event["UID"]) for event in events] == [
        "meeting-1@tavolo.example",
        "meeting-2@tavolo.example",
    ]
    event = events[0]
    assert event["SEQUENCE"] == 3
    assert event["SUMMARY"] == "Coordinamento AMA"
    assert event["LOCATION"] == "Sala Borsellino, via Roma 1 – https://meet.example/ama"
    assert event["URL"] == "https://tavolo.example/riunioni/1"
    assert event["DESCRIPTION"] == "Ordine del giorno:\n1. verbale\n2. varie"
    assert event["STATUS"] == "CONFIRMED"
    assert event.decoded("DTSTAMP") == STAMP
    assert event.decoded("LAST-MODIFIED") == datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=2)
    # Nothing empty is written for what a meeting does not have.
    for absent in ("LOCATION", "URL", "DESCRIPTION", "LAST-MODIFIED"):
        assert absent not in events[1]


@pytest.mark.parametrize(
    ("starts_at", "raw"),
    [
        (WINTER, b"DTSTART;TZID=Europe/Rome:20270112T180000\r\n"),
        (SUMMER, b"DTSTART;TZID=Europe/Rome:20270713T180000\r\n"),
    ],
    ids=["winter", "summer"],
)
def test_meetings_are_written_in_rome_wall_clock_time(starts_at, raw):
    data = build([meeting(starts_at=starts_at)], name="AMA", stamp=STAMP)
    assert raw in data
    calendar = parse(data)
    start = the_event(calendar).decoded("DTSTART")
    assert (start.hour, start.minute) == (18, 0)
    assert start.tzinfo == ROME
    assert read_in_both_ways(calendar, "DTSTART") == starts_at
    assert read_in_both_ways(calendar, "DTEND") == starts_at + timedelta(hours=2)


@pytest.mark.parametrize(
    "starts_at",
    [
        datetime(2027, 10, 29, 16, 0, tzinfo=UTC),  # Friday, still summer time
        datetime(2027, 10, 30, 16, 0, tzinfo=UTC),  # Saturday, the night before
        datetime(2027, 10, 31, 17, 0, tzinfo=UTC),  # Sunday, clocks went back at 03:00
        datetime(2027, 11, 2, 17, 0, tzinfo=UTC),  # Tuesday after
    ],
)
def test_the_week_of_the_october_change_keeps_18_00(starts_at):
    calendar = parse(build([meeting(starts_at=starts_at)], name="AMA", stamp=STAMP))
    start = the_event(calendar).decoded("DTSTART")
    assert (start.hour, start.minute) == (18, 0)
    assert read_in_both_ways(calendar, "DTSTART") == starts_at


@pytest.mark.parametrize(
    ("starts_at", "raw"),
    [
        # 02:30 happens twice on 31 October 2027: the first one is what Rome time means...
        (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), b"DTSTART;TZID=Europe/Rome:20271031T023000"),
        # ... so the second one can only be written in UTC.
        (datetime(2027, 10, 31, 1, 30, tzinfo=UTC), b"DTSTART:20271031T013000Z"),
        # 02:30 does not exist on 28 March 2027.
        (datetime(2027, 3, 28, 0, 30, tzinfo=UTC), b"DTSTART;TZID=Europe/Rome:20270328T013000"),
        (datetime(2027, 3, 28, 1, 30, tzinfo=UTC), b"DTSTART;TZID=Europe/Rome:20270328T033000"),
    ],
)
def test_nights_of_the_change_give_back_the_exact_instants(starts_at, raw):
    data = build([meeting(starts_at=starts_at, hours=1)], name="AMA", stamp=STAMP)
    assert raw in data
    calendar = parse(data)
    assert read_in_both_ways(calendar, "DTSTART") == starts_at
    assert read_in_both_ways(calendar, "DTEND") == starts_at + timedelta(hours=1)


def test_the_vtimezone_agrees_with_the_zone_database_on_every_change():
    tz = vtimezone_tz(parse(build([], name="AMA", stamp=STAMP)))
    moments = []
    for year in range(1996, 2061):
        for month in (3, 10):
            last_sunday = max(
                datetime(year, month, day, tzinfo=UTC)
                for day in range(25, 32)
                if datetime(year, month, day).weekday() == 6
            )
            start = last_sunday - timedelta(days=1)
            moments += [start + timedelta(minutes=30 * n) for n in range(96)]
        moments += [datetime(year, month, 15, 12, tzinfo=UTC) for month in range(1, 13)]
    for moment in moments:
        assert moment.astimezone(tz).utcoffset() == moment.astimezone(ROME).utcoffset(), moment


def test_cancelled_meetings_say_so():
    calendar = parse(
        build([meeting(1, cancelled=True), meeting(2, SUMMER)], name="AMA", stamp=STAMP)
    )
    assert [event["STATUS"] for event in calendar.walk("VEVENT")] == ["CANCELLED", "CONFIRMED"]


@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_vtimezone_is_there_exactly_once(count):
    events = [meeting(n, WINTER + timedelta(days=40 * n)) for n in range(count)]
    data = build(events, name="AMA", stamp=STAMP)
    assert data.count(b"BEGIN:VTIMEZONE\r\n") == 1
    (timezone,) = parse(data).walk("VTIMEZONE")
    assert timezone["TZID"] == "Europe/Rome"
    if count:
        # Before the events that refer to it, for readers that go in one pass.
        assert data.index(b"BEGIN:VTIMEZONE") < data.index(b"BEGIN:VEVENT")


def test_an_empty_calendar_is_still_valid():
    data = build([], name="Nessuna riunione", stamp=STAMP)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    calendar = parse(data)
    assert calendar.walk("VEVENT") == []
    assert calendar["PRODID"] and calendar["VERSION"] == "2.0"
    # RFC 5545 wants at least one component: the VTIMEZONE is it.
    assert len(calendar.subcomponents) == 1


def test_events_can_be_any_iterable():
    data = build((meeting(n) for n in range(2)), name="AMA", stamp=STAMP)
    assert len(parse(data).walk("VEVENT")) == 2


def test_italian_titles_are_escaped_and_folded_by_the_library():
    title = "Riunione: città, verbale; «prossimi passi»\nseconda riga 🎉 " + "è" * 60
    data = build([meeting(title=title)], name="AMA", stamp=STAMP)
    escaped = r"SUMMARY:Riunione: città\, verbale\; «prossimi passi»\nseconda riga 🎉"
    assert escaped.encode() in data
    assert b"\r\n " in data  # folded
    assert the_event(parse(data))["SUMMARY"] == title


def test_a_meeting_without_duration_has_no_dtend():
    event = meeting(hours=0)
    parsed = the_event(parse(build([event], name="AMA", stamp=STAMP)))
    assert "DTEND" not in parsed
    assert parsed.decoded("DTSTART") == WINTER


@pytest.mark.parametrize(
    "fields",
    [
        {"starts_at": datetime(2027, 1, 12, 17)},
        {"updated_at": datetime(2027, 1, 1)},
        {"ends_at": WINTER - timedelta(minutes=1)},
        {"uid": ""},
        {"sequence": -1},
        {"url": "/riunioni/1"},
        {"url": "https://tavolo.example/riunioni/1\r\nBEGIN:VTODO"},
        {"url": "https://tavolo.example/riunioni 1"},
    ],
)
def test_mistakes_are_refused(fields):
    values = {
        "uid": "meeting-1@tavolo.example",
        "sequence": 0,
        "starts_at": WINTER,
        "ends_at": WINTER + timedelta(hours=2),
        "title": "Riunione",
    } | fields
    with pytest.raises(ValueError):
        CalendarEvent(**values)


def test_a_naive_stamp_is_refused():
    with pytest.raises(ValueError):
        build([meeting()], name="AMA", stamp=datetime(2027, 1, 1))


def physical_lines_are_valid(data: bytes) -> None:
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines), max(lines, key=len)
    # No stray CR or LF, and no control characters that RFC 5545 forbids (the tab is allowed).
    assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", b"".join(lines))
    for line in lines:
        line.decode("utf-8")  # folding never cuts a character in two


def expected_text(text: str) -> str:
    """Line ends become LF; the control characters RFC 5545 forbids in text become spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(" " if ord(c) < 32 and c not in "\t\n" or c == "\x7f" else c for c in text)


@settings(max_examples=300)
@given(title=st.text(), place=st.text(), name=st.text())
def test_any_text_gives_a_file_that_reads_back(title, place, name):
    data = build([meeting(title=title, location=place)], name=name, stamp=STAMP)
    physical_lines_are_valid(data)
    calendar = parse(data)
    event = the_event(calendar)
    assert event["SUMMARY"] == expected_text(title)
    assert event.get("LOCATION", "") == expected_text(place)
    assert calendar_name(calendar) == expected_text(name).replace("\n", " ")


PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cc",), include_characters="\n\t")


@settings(max_examples=300)
@given(title=st.text(PRINTABLE, min_size=1), place=st.text(PRINTABLE, min_size=1))
def test_text_without_control_characters_reads_back_exactly(title, place):
    data = build([meeting(title=title, location=place)], name="AMA", stamp=STAMP)
    physical_lines_are_valid(data)
    event = the_event(parse(data))
    assert event["SUMMARY"] == title
    assert event["LOCATION"] == place
