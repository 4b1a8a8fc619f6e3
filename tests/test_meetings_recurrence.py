"""Recurring meetings, a pure module: examples, and properties with hypothesis.

The expected dates are worked out here independently of dateutil (the series of the form's
patterns by counting weeks and months, Rome's offset by the EU rules: summer time from 01:00
UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October).
"""

import calendar
import time
from datetime import UTC, date, datetime, timedelta
from itertools import islice, pairwise

import pytest
from dateutil.rrule import rrulestr
from hypothesis import example, given, settings
from hypothesis import strategies as st

from workspace.meetings.recurrence import (
    MAX_OCCURRENCES,
    MAX_SPAN,
    ROME,
    Occurrence,
    Pattern,
    RecurrenceError,
    expand,
    is_last_of_its_weekday,
    parse,
    rule_for,
    to_utc,
    week_of_month,
)

HOUR = timedelta(hours=1)
PROPERTIES = settings(max_examples=150, deadline=None)
FUZZ = settings(max_examples=200, deadline=None)


# Independent arithmetic


def last_sunday(year: int, month: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - 6) % 7)


def expected_utc(local: datetime) -> datetime:
    """Summer time (+2) from 03:00 of the last Sunday of March (02:00-03:00 does not exist and
    moves forward, still read at +1) to 03:00 summer time of the last Sunday of October (the
    repeated 02:00-03:00 is the first, summer, one); +1 otherwise."""
    spring = datetime.combine(last_sunday(local.year, 3), datetime.min.time()).replace(hour=3)
    autumn = datetime.combine(last_sunday(local.year, 10), datetime.min.time()).replace(hour=3)
    offset = 2 * HOUR if spring <= local < autumn else HOUR
    return (local - offset).replace(tzinfo=UTC)


def is_summer(instant: datetime) -> bool:
    year = instant.year
    spring = datetime.combine(last_sunday(year, 3), datetime.min.time(), UTC).replace(hour=1)
    autumn = datetime.combine(last_sunday(year, 10), datetime.min.time(), UTC).replace(hour=1)
    return spring <= instant < autumn


def days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def months_from(day: date):
    year, month = day.year, day.month
    while True:
        yield year, month
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)


def weekdays_of(year: int, month: int, weekday: int) -> list[date]:
    return [
        date(year, month, d)
        for d in range(1, days_in(year, month) + 1)
        if date(year, month, d).weekday() == weekday
    ]


def pattern_dates(pattern: Pattern, first: date):
    """The dates of a series, without bounds, from the first meeting on (never dateutil)."""
    if pattern in (Pattern.WEEKLY, Pattern.FORTNIGHTLY):
        step = timedelta(days=7 if pattern == Pattern.WEEKLY else 14)
        day = first
        while True:
            yield day
            day += step
    yield first
    for year, month in months_from(first):
        if pattern == Pattern.MONTHLY_DAY:
            day = date(year, month, min(first.day, days_in(year, month)))
        else:
            same = weekdays_of(year, month, first.weekday())
            n = week_of_month(first)
            last = pattern == Pattern.MONTHLY_LAST_WEEKDAY or n == 5
            day = same[-1] if last else same[n - 1]
        if day > first:
            yield day


def expected_series(pattern, first: datetime, *, until: date | None, count: int | None):
    wanted = min(count if count is not None else MAX_OCCURRENCES, MAX_OCCURRENCES)
    limit = first + MAX_SPAN
    moments = []
    for day in pattern_dates(pattern, first.date()):
        moment = datetime.combine(day, first.time())
        if moment > limit or len(moments) >= wanted:
            break
        if count is None and day > until:
            break
        moments.append(moment)
    return moments


# Strategies: the form accepts dates between 2000 and 2100, and times to the minute.

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
# The hours around the change (02:00-03:00) are drawn often.
times = st.builds(
    lambda hour, minute: datetime.min.time().replace(hour=hour, minute=minute),
    st.one_of(st.just(2), st.integers(0, 23)),
    st.sampled_from([0, 30, 59]) | st.integers(0, 59),
)
firsts = st.builds(datetime.combine, days, times)
patterns = st.sampled_from(list(Pattern))
counts = st.integers(1, 2 * MAX_OCCURRENCES)


@st.composite
def series(draw, pattern=patterns, first=firsts):
    """(pattern, first local start, until, count, rule, occurrences)."""
    pattern = draw(pattern)
    first = draw(first)
    if draw(st.booleans()):
        until, count = None, draw(counts)
    else:
        until = first.date() + timedelta(days=draw(st.integers(0, 900)))
        count = None
    rule = rule_for(pattern, first.date(), until=until, count=count)
    return pattern, first, until, count, rule, expand(rule, first)


def locals_of(occurrences: list[Occurrence]) -> list[datetime]:
    return [occurrence.local for occurrence in occurrences]


# Weeks of the month


@PROPERTIES
@given(days)
def test_week_of_month_and_last_of_its_weekday(day):
    same = weekdays_of(day.year, day.month, day.weekday())
    assert week_of_month(day) == same.index(day) + 1
    assert is_last_of_its_weekday(day) == (day == same[-1])


# Rome's time


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        (datetime(2027, 1, 12, 18, 0), datetime(2027, 1, 12, 17, 0)),
        (datetime(2027, 7, 13, 18, 0), datetime(2027, 7, 13, 16, 0)),
        (datetime(2027, 3, 28, 1, 59), datetime(2027, 3, 28, 0, 59)),
        # 02:30 does not exist on the last Sunday of March: it moves forward to 03:30 (+2).
        (datetime(2027, 3, 28, 2, 30), datetime(2027, 3, 28, 1, 30)),
        (datetime(2027, 3, 28, 3, 0), datetime(2027, 3, 28, 1, 0)),
        # 02:30 happens twice on the last Sunday of October: the first, still summer time.
        (datetime(2027, 10, 31, 2, 30), datetime(2027, 10, 31, 0, 30)),
        (datetime(2027, 10, 31, 3, 0), datetime(2027, 10, 31, 2, 0)),
        (datetime(2028, 3, 26, 2, 0), datetime(2028, 3, 26, 1, 0)),
    ],
)
def test_to_utc(local, utc):
    instant = to_utc(local)
    assert instant == utc.replace(tzinfo=UTC)
    assert instant.utcoffset() == timedelta(0)


def test_a_time_that_does_not_exist_moves_forward_by_the_gap():
    instant = to_utc(datetime(2027, 3, 28, 2, 30)).astimezone(ROME)
    assert (instant.hour, instant.minute, instant.utcoffset()) == (3, 30, 2 * HOUR)


def test_an_ambiguous_time_is_the_first_of_the_two():
    first = to_utc(datetime(2027, 10, 31, 2, 30))
    second = datetime(2027, 10, 31, 2, 30, tzinfo=ROME, fold=1).astimezone(UTC)
    assert first < second
    assert second - first == HOUR
    assert first.astimezone(ROME).utcoffset() == 2 * HOUR


@PROPERTIES
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59)))
@example(datetime(2027, 3, 28, 2, 30))
@example(datetime(2027, 10, 31, 2, 30))
def test_to_utc_follows_the_eu_rules(local):
    instant = to_utc(local)
    assert instant == expected_utc(local)
    in_rome = instant.astimezone(ROME)
    assert in_rome.utcoffset() == (2 * HOUR if is_summer(instant) else HOUR)
    # The wall-clock time is kept, except in the hour that does not exist.
    if in_rome.replace(tzinfo=None) != local:
        assert in_rome.replace(tzinfo=None) == local + HOUR
        assert local.date() == last_sunday(local.year, 3) and local.hour == 2


def test_the_ama_group_meets_at_18_in_january_and_in_july():
    first = datetime(2027, 1, 5, 18, 0)
    occurrences = expand(rule_for(Pattern.WEEKLY, first.date(), until=None, count=52), first)
    assert len(occurrences) == 52
    for occurrence in occurrences:
        in_rome = occurrence.starts_at.astimezone(ROME)
        assert (in_rome.hour, in_rome.minute) == (18, 0)
        assert occurrence.starts_at.hour == (16 if is_summer(occurrence.starts_at) else 17)
    by_day = {occurrence.local.date(): occurrence for occurrence in occurrences}
    # The Tuesdays either side of both changes.
    assert by_day[date(2027, 3, 23)].starts_at == datetime(2027, 3, 23, 17, tzinfo=UTC)
    assert by_day[date(2027, 3, 30)].starts_at == datetime(2027, 3, 30, 16, tzinfo=UTC)
    assert by_day[date(2027, 10, 26)].starts_at == datetime(2027, 10, 26, 16, tzinfo=UTC)
    assert by_day[date(2027, 11, 2)].starts_at == datetime(2027, 11, 2, 17, tzinfo=UTC)


@PROPERTIES
@given(series())
def test_every_occurrence_keeps_the_wall_clock_time(drawn):
    _, first, _, _, _, occurrences = drawn
    for occurrence in occurrences:
        assert occurrence.local.tzinfo is None
        assert occurrence.local.time() == first.time()
        assert occurrence.starts_at == to_utc(occurrence.local) == expected_utc(occurrence.local)
        assert occurrence.starts_at.tzinfo is not None
        assert occurrence.starts_at.utcoffset() == timedelta(0)
        in_rome = occurrence.starts_at.astimezone(ROME)
        assert in_rome.utcoffset() == (2 * HOUR if is_summer(occurrence.starts_at) else HOUR)
        if in_rome.replace(tzinfo=None) != occurrence.local:  # only 02:xx on the March Sunday
            assert occurrence.local.date() == last_sunday(occurrence.local.year, 3)
            assert in_rome.replace(tzinfo=None) == occurrence.local + HOUR


@PROPERTIES
@given(
    st.integers(2000, 2099),
    st.sampled_from([3, 10]),
    st.integers(0, 8),
    st.sampled_from([Pattern.WEEKLY, Pattern.FORTNIGHTLY]),
    st.integers(0, 59),
    st.sampled_from([1, 2, 3, 18]),
)
def test_weekly_meetings_across_the_change_sunday(year, month, weeks, pattern, minute, hour):
    """Sunday meetings from before a change, at the hour that is skipped or repeated too."""
    change = last_sunday(year, month)
    step = 7 if pattern == Pattern.WEEKLY else 14
    first = datetime.combine(change - timedelta(days=step * weeks), datetime.min.time())
    first = first.replace(hour=hour, minute=minute)
    occurrences = expand(rule_for(pattern, first.date(), until=change, count=None), first)
    assert [o.local.date() for o in occurrences][-1] == change
    for occurrence in occurrences:
        assert occurrence.local.time() == first.time()
        assert occurrence.starts_at == expected_utc(occurrence.local)
    on_the_day = occurrences[-1].starts_at.astimezone(ROME)
    if month == 3 and hour == 2:  # does not exist: an hour later, in summer time
        assert (on_the_day.hour, on_the_day.utcoffset()) == (3, 2 * HOUR)
    elif month == 3:
        assert (on_the_day.hour, on_the_day.utcoffset()) == (hour, HOUR if hour < 2 else 2 * HOUR)
    else:  # 02:xx is the first, in summer time
        assert (on_the_day.hour, on_the_day.utcoffset()) == (hour, 2 * HOUR if hour <= 2 else HOUR)


# The series of each pattern


@PROPERTIES
@given(series())
def test_the_series_is_the_expected_one(drawn):
    pattern, first, until, count, _, occurrences = drawn
    assert locals_of(occurrences) == expected_series(pattern, first, until=until, count=count)


@PROPERTIES
@given(series())
def test_bounds(drawn):
    _, first, until, count, _, occurrences = drawn
    moments = locals_of(occurrences)
    assert moments[0] == first
    assert all(earlier < later for earlier, later in pairwise(moments))
    instants = [occurrence.starts_at for occurrence in occurrences]
    assert all(earlier < later for earlier, later in pairwise(instants))
    assert len(moments) <= MAX_OCCURRENCES
    assert moments[-1] - first <= MAX_SPAN
    if count is not None:
        assert len(moments) <= count
    else:
        assert all(moment.date() <= until for moment in moments[1:])


@PROPERTIES
@given(
    st.sampled_from([Pattern.WEEKLY, Pattern.FORTNIGHTLY]),
    firsts,
    st.integers(1, MAX_OCCURRENCES),
)
def test_weekly_and_fortnightly_count_exactly(pattern, first, count):
    occurrences = expand(rule_for(pattern, first.date(), until=None, count=count), first)
    step = 7 if pattern == Pattern.WEEKLY else 14
    # 60 fortnights are longer than MAX_SPAN.
    assert len(occurrences) == min(count, MAX_SPAN.days // step + 1)
    moments = locals_of(occurrences)
    for earlier, later in pairwise(moments):
        assert (later.date() - earlier.date()).days == step
        assert later.time() == earlier.time()


@PROPERTIES
@given(series(pattern=st.just(Pattern.MONTHLY_WEEKDAY)))
def test_monthly_on_the_nth_weekday(drawn):
    _, first, _, _, rule, occurrences = drawn
    n = week_of_month(first)
    assert f"BYDAY={-1 if n == 5 else n}" in rule
    months = list(islice(months_from(first.date()), MAX_OCCURRENCES + 1))
    for index, occurrence in enumerate(occurrences):
        day = occurrence.local.date()
        assert (day.year, day.month) == months[index]  # one a month, none skipped
        assert day.weekday() == first.weekday()
        if n == 5:
            assert is_last_of_its_weekday(day)
        else:
            assert week_of_month(day) == n
            assert 7 * (n - 1) < day.day <= 7 * n


def test_every_second_tuesday():
    first = datetime(2027, 1, 12, 18)
    rule = rule_for(Pattern.MONTHLY_WEEKDAY, first.date(), until=None, count=6)
    assert rule == "FREQ=MONTHLY;BYDAY=2TU;COUNT=6"
    assert [o.local.day for o in expand(rule, first)] == [12, 9, 9, 13, 11, 8]


def test_a_fifth_weekday_becomes_the_last():
    first = datetime(2027, 3, 30, 18)  # the fifth Tuesday of March
    rule = rule_for(Pattern.MONTHLY_WEEKDAY, first.date(), until=None, count=4)
    assert rule == "FREQ=MONTHLY;BYDAY=-1TU;COUNT=4"
    assert [o.local.date() for o in expand(rule, first)] == [
        date(2027, 3, 30),
        date(2027, 4, 27),
        date(2027, 5, 25),
        date(2027, 6, 29),
    ]


last_weekdays = days.map(lambda day: weekdays_of(day.year, day.month, day.weekday())[-1])


@PROPERTIES
@given(series(pattern=st.just(Pattern.MONTHLY_LAST_WEEKDAY)))
def test_monthly_on_the_last_weekday(drawn):
    _, first, _, _, _, occurrences = drawn
    later = [occurrence.local.date() for occurrence in occurrences[1:]]
    months = list(islice(months_from(first.date()), MAX_OCCURRENCES + 1))
    if is_last_of_its_weekday(first.date()):
        months = months[1:]
    for index, day in enumerate(later):
        assert (day.year, day.month) == months[index]
        assert day.weekday() == first.weekday()
        assert is_last_of_its_weekday(day)


@PROPERTIES
@given(
    series(
        pattern=st.just(Pattern.MONTHLY_LAST_WEEKDAY),
        first=st.builds(datetime.combine, last_weekdays, times),
    )
)
def test_monthly_on_the_last_weekday_from_a_last_weekday(drawn):
    _, first, _, _, _, occurrences = drawn
    assert all(is_last_of_its_weekday(o.local.date()) for o in occurrences)


def test_every_last_friday():
    first = datetime(2027, 1, 29, 9, 30)
    rule = rule_for(Pattern.MONTHLY_LAST_WEEKDAY, first.date(), until=date(2027, 6, 30), count=None)
    assert rule == "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270630T235959Z"
    assert [o.local.day for o in expand(rule, first)] == [29, 26, 26, 30, 28, 25]


late_days = st.builds(
    lambda year, month, day: date(year, month, min(day, days_in(year, month))),
    st.integers(2000, 2099),
    st.integers(1, 12),
    st.integers(29, 31),
).filter(lambda day: day.day >= 29)


@PROPERTIES
@given(
    series(
        pattern=st.just(Pattern.MONTHLY_DAY), first=st.builds(datetime.combine, late_days, times)
    )
)
def test_monthly_on_days_29_to_31_falls_on_the_last_day_of_shorter_months(drawn):
    _, first, _, _, _, occurrences = drawn
    months = list(islice(months_from(first.date()), MAX_OCCURRENCES + 1))
    for index, occurrence in enumerate(occurrences):
        day = occurrence.local.date()
        assert (day.year, day.month) == months[index]
        assert day.day == min(first.day, days_in(day.year, day.month))


@PROPERTIES
@given(series(pattern=st.just(Pattern.MONTHLY_DAY)))
def test_monthly_on_the_same_day(drawn):
    _, first, _, _, _, occurrences = drawn
    months = list(islice(months_from(first.date()), MAX_OCCURRENCES + 1))
    for index, occurrence in enumerate(occurrences):
        day = occurrence.local.date()
        assert (day.year, day.month) == months[index]
        assert day.day == min(first.day, days_in(day.year, day.month))


@pytest.mark.parametrize(
    ("first", "february"),
    [
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2027, 1, 30), date(2027, 2, 28)),
        (date(2027, 1, 29), date(2027, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year
        (date(2028, 1, 30), date(2028, 2, 29)),
        (date(2028, 1, 29), date(2028, 2, 29)),
        (date(2099, 12, 29), None),
    ],
)
def test_the_end_of_the_month(first, february):
    start = datetime.combine(first, datetime.min.time()).replace(hour=18)
    rule = rule_for(Pattern.MONTHLY_DAY, first, until=None, count=13)
    occurrences = expand(rule, start)
    assert len(occurrences) == 13
    days_ = [occurrence.local.date() for occurrence in occurrences]
    if february is not None:
        assert days_[1] == february
    for day in days_:
        assert day.day == min(first.day, days_in(day.year, day.month))


def test_the_31st_every_month():
    first = datetime(2027, 1, 31, 18)
    rule = rule_for(Pattern.MONTHLY_DAY, first.date(), until=None, count=12)
    assert rule == "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;COUNT=12"
    days_ = [o.local.day for o in expand(rule, first)]
    assert days_ == [days_in(2027, month) for month in range(1, 13)]  # 31, 28, 31, 30...


def test_the_12th_every_month():
    assert (
        rule_for(Pattern.MONTHLY_DAY, date(2027, 1, 12), until=None, count=3)
        == "FREQ=MONTHLY;BYMONTHDAY=12;COUNT=3"
    )


@pytest.mark.parametrize(
    ("pattern", "rule"),
    [
        (Pattern.WEEKLY, "FREQ=WEEKLY;COUNT=5"),
        (Pattern.FORTNIGHTLY, "FREQ=WEEKLY;INTERVAL=2;COUNT=5"),
    ],
)
def test_weekly_rules(pattern, rule):
    assert rule_for(pattern, date(2027, 1, 5), until=date(2027, 3, 1), count=5) == rule


# Bounds


def test_count_is_respected_and_counts_the_first_meeting():
    first = datetime(2027, 1, 5, 18)
    assert len(expand("FREQ=WEEKLY;COUNT=1", first)) == 1
    assert len(expand("FREQ=WEEKLY;COUNT=7", first)) == 7
    # A first meeting off the rule (a Tuesday; the rule says Mondays) is the first of COUNT,
    # as DTSTART is in RFC 5545.
    assert locals_of(expand("FREQ=WEEKLY;BYDAY=MO;COUNT=3", first)) == [
        first,
        datetime(2027, 1, 11, 18),
        datetime(2027, 1, 18, 18),
    ]


def test_never_more_than_max_occurrences():
    first = datetime(2027, 1, 5, 18)
    assert len(expand("FREQ=DAILY;COUNT=1000", first)) == MAX_OCCURRENCES
    assert len(expand("FREQ=DAILY;UNTIL=20991231T235959Z", first)) == MAX_OCCURRENCES
    rule = rule_for(Pattern.WEEKLY, first.date(), until=None, count=MAX_OCCURRENCES + 1)
    assert len(expand(rule, first)) == MAX_OCCURRENCES


def test_never_beyond_max_span():
    first = datetime(2027, 1, 31, 18)
    occurrences = expand("FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;COUNT=60", first)
    assert occurrences[-1].local == datetime(2029, 1, 31, 18)
    assert len(occurrences) == 25
    yearly = expand("FREQ=YEARLY;UNTIL=20401231", first)
    assert locals_of(yearly) == [first, datetime(2028, 1, 31, 18), datetime(2029, 1, 31, 18)]


def test_until_is_the_end_of_that_day_in_rome():
    first = datetime(2027, 1, 5, 23, 30)
    rule = rule_for(Pattern.WEEKLY, first.date(), until=date(2027, 1, 19), count=None)
    assert rule == "FREQ=WEEKLY;UNTIL=20270119T235959Z"
    assert [o.local.day for o in expand(rule, first)] == [5, 12, 19]
    # A date alone, and a time of the day.
    assert len(expand("FREQ=WEEKLY;UNTIL=20270119", first)) == 3
    assert len(expand("FREQ=WEEKLY;UNTIL=20270119T230000Z", first)) == 2
    assert len(expand("FREQ=WEEKLY;UNTIL=20270119T233000", first)) == 3


def test_the_first_meeting_is_always_included():
    first = datetime(2027, 1, 5, 18)
    assert locals_of(expand("FREQ=WEEKLY;UNTIL=20260101T000000Z", first)) == [first]
    assert locals_of(expand("FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2;COUNT=5", first)) == [first]


def test_an_impossible_rule_does_not_search_until_the_year_9999():
    """dateutil looks for a next 30th of February day by day up to 9999 (seconds of CPU)."""
    first = datetime(2027, 1, 5, 18)
    started = time.perf_counter()
    for rule in (
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=2",
        "FREQ=WEEKLY;BYMONTH=4;BYMONTHDAY=31;UNTIL=20280101",
        "FREQ=DAILY;BYMONTHDAY=1;BYDAY=MO;INTERVAL=7;COUNT=5",  # never a Monday from a Tuesday
    ):
        assert locals_of(expand(rule, first)) == [first]
    assert time.perf_counter() - started < 2


# Other rules, as written in a calendar


@st.composite
def custom_rules(draw):
    """Rules that always have a next occurrence within a few years (dateutil, used as the
    reference, would otherwise look for one until the year 9999)."""
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 3))}")
    weekdays = draw(
        st.lists(
            st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    by_day = draw(st.booleans())
    if by_day:
        parts.append("BYDAY=" + ",".join(weekdays))
    if draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.sampled_from([1, 13, 28, -1]))}")
    elif by_day and freq == "MONTHLY" and draw(st.booleans()):
        parts.append(f"BYSETPOS={draw(st.sampled_from([1, 2, -1]))}")
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(['MO', 'SU']))}")
    if draw(st.booleans()):
        bound = f"COUNT={draw(st.integers(1, 80))}"
    else:
        until = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2102, 1, 1)))
        bound = f"UNTIL={until:%Y%m%dT%H%M%S}" + draw(st.sampled_from(["", "Z"]))
    parts.insert(draw(st.integers(0, len(parts))), bound)
    return ";".join(parts)


def reference(rule: str, first: datetime) -> list[datetime]:
    """The same expansion with dateutil straight from the first meeting's date."""
    parts = dict(part.split("=") for part in rule.split(";"))
    count, until = parts.pop("COUNT", None), parts.pop("UNTIL", None)
    limit = first + MAX_SPAN
    if until is not None:
        until = until.rstrip("Z")
        limit = min(limit, datetime.strptime(until, "%Y%m%dT%H%M%S"))
    wanted = min(int(count or MAX_OCCURRENCES), MAX_OCCURRENCES)
    moments = [first]
    bare = ";".join(f"{name}={value}" for name, value in parts.items())
    for moment in rrulestr(bare, dtstart=first):
        if moment > limit or len(moments) >= wanted:
            break
        if moment > first:
            moments.append(moment)
    return moments


@PROPERTIES
@given(custom_rules(), firsts)
@example("FREQ=YEARLY;BYMONTHDAY=-1;COUNT=5", datetime(2028, 2, 29, 18))
@example("FREQ=MONTHLY;BYDAY=TU;BYSETPOS=-1;UNTIL=21000101T000000", datetime(2099, 12, 29, 2, 30))
def test_other_rules_are_expanded_as_dateutil_does(rule, first):
    assert parse(rule) == rule
    occurrences = expand(rule, first)
    assert locals_of(occurrences) == reference(rule, first)
    moments = locals_of(occurrences)
    assert moments[0] == first
    assert all(earlier < later for earlier, later in pairwise(moments))
    assert all(moment.time() == first.time() for moment in moments)
    assert len(moments) <= MAX_OCCURRENCES
    assert moments[-1] - first <= MAX_SPAN


# Rules that are refused


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("", "rule"),
        ("   ", "rule"),
        (None, "rule"),
        ("RRULE:", "rule"),
        ("FREQ=WEEKLY", "unbounded"),
        ("FREQ=MONTHLY;BYDAY=2TU", "unbounded"),
        ("FREQ=WEEKLY;INTERVAL=2;WKST=MO", "unbounded"),
        ("FREQ=HOURLY;COUNT=5", "frequency"),
        ("FREQ=MINUTELY;COUNT=5", "frequency"),
        ("FREQ=SECONDLY;COUNT=5", "frequency"),
        ("freq=hourly;count=5", "frequency"),
        ("FREQ=HOURLY;UNTIL=20271231T235959Z", "frequency"),
        # Times of the day repeat a meeting within the day.
        ("FREQ=DAILY;BYHOUR=9,10,11;COUNT=9", "frequency"),
        ("FREQ=DAILY;BYMINUTE=0,30;COUNT=9", "frequency"),
        ("FREQ=WEEKLY;BYSECOND=1;COUNT=9", "frequency"),
        ("garbage", "rule"),
        ("FREQ=WEEKLY;COUNT=five", "rule"),
        ("FREQ=WEEKLY;COUNT=", "rule"),
        ("FREQ=WEEKLY;COUNT=0", "rule"),
        ("FREQ=WEEKLY;COUNT=-1", "rule"),
        ("FREQ=WEEKLY;INTERVAL=0;COUNT=3", "rule"),
        ("FREQ=WEEKLY;INTERVAL=-1;COUNT=3", "rule"),
        ("FREQ=FORTNIGHTLY;COUNT=3", "rule"),
        ("COUNT=3", "rule"),
        ("FREQ=WEEKLY;FREQ=DAILY;COUNT=3", "rule"),
        ("FREQ=WEEKLY;COUNT=3;COUNT=4", "rule"),
        ("FREQ=WEEKLY;COUNT=3;", "rule"),
        ("FREQ=WEEKLY;;COUNT=3", "rule"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20271231T235959Z", "rule"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=3", "rule"),
        ("FREQ=MONTHLY;BYMONTHDAY=32;COUNT=3", "rule"),
        ("FREQ=MONTHLY;BYMONTHDAY=0;COUNT=3", "rule"),
        ("FREQ=MONTHLY;BYMONTHDAY=-32;COUNT=3", "rule"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,,2;COUNT=3", "rule"),
        ("FREQ=YEARLY;BYMONTH=13;COUNT=3", "rule"),
        ("FREQ=YEARLY;BYMONTH=-1;COUNT=3", "rule"),
        ("FREQ=YEARLY;BYMONTH=0;COUNT=3", "rule"),
        ("FREQ=MONTHLY;BYSETPOS=0;BYDAY=MO;COUNT=3", "rule"),
        ("FREQ=WEEKLY;X-NAME=1;COUNT=3", "rule"),
        ("FREQ=YEARLY;BYYEARDAY=366;COUNT=3", "rule"),
        ("FREQ=YEARLY;BYWEEKNO=53;COUNT=3", "rule"),
        ("FREQ=YEARLY;BYEASTER=0;COUNT=3", "rule"),
        ("FREQ=WEEKLY;UNTIL=tomorrow", "until"),
        ("FREQ=WEEKLY;UNTIL=20271331", "until"),
        ("FREQ=WEEKLY;UNTIL=20271231T2359", "until"),
        ("FREQ=WEEKLY;UNTIL=20271231T235959ZZ", "until"),
        ("FREQ=WEEKLY;UNTIL=2027123", "until"),
        ("FREQ=WEEKLY;UNTIL=20271231Z", "until"),
        # DTSTART belongs to the series, not to its rule.
        ("DTSTART:20270105T180000\nRRULE:FREQ=WEEKLY;COUNT=3", "rule"),
        ("FREQ=WEEKLY;COUNT=3;DTSTART=20270105T180000", "rule"),
        ("FREQ=WEEKLY;COUNT=3\nRRULE:FREQ=DAILY", "rule"),
        # dateutil reads any whitespace as a new line: a set of rules, dates and exclusions.
        ("FREQ=WEEKLY;COUNT=3 RRULE:FREQ=DAILY", "rule"),
        ("FREQ=WEEKLY;COUNT=3\rRRULE:FREQ=DAILY", "rule"),
        ("FREQ=WEEKLY;COUNT=3\tRDATE:20270101T030000", "rule"),
        ("FREQ=WEEKLY;COUNT=3\x1cFREQ=DAILY", "rule"),
        ("FREQ=WEEKLY;COUNT=3\u2028FREQ=DAILY", "rule"),
        ("FREQ=WEEKLY; COUNT=3", "rule"),
        ("EXRULE:FREQ=WEEKLY;COUNT=3", "rule"),
        ("RRULE:RRULE:FREQ=WEEKLY;COUNT=3", "rule"),
        ("FREQ=WEEKLY;COUNT=٣", "rule"),
        ("FREQ=WEEKLY;COUNT=3000;BYDAY=" + ",".join(["MO"] * 91), "rule"),  # 301 characters
    ],
)
def test_parse_refuses(rule, code):
    with pytest.raises(RecurrenceError) as raised:
        parse(rule)
    assert isinstance(raised.value, ValueError)
    assert raised.value.args == (code,)
    with pytest.raises(RecurrenceError):
        expand(rule, datetime(2027, 1, 5, 18))


def test_parse_accepts_and_strips():
    assert parse("  RRULE:FREQ=WEEKLY;COUNT=3 ") == "FREQ=WEEKLY;COUNT=3"
    assert parse("rrule:freq=weekly;count=3") == "freq=weekly;count=3"
    assert len(expand("rrule:freq=weekly;byday=tu;count=3", datetime(2027, 1, 5, 18))) == 3
    longest = "FREQ=WEEKLY;COUNT=300;BYDAY=" + ",".join(["MO"] * 91)
    assert len(longest) == 300
    assert parse(longest) == longest


def test_recurrence_error_is_a_value_error():
    assert issubclass(RecurrenceError, ValueError)


@PROPERTIES
@given(series())
def test_the_form_rules_are_accepted(drawn):
    *_, rule, _ = drawn
    assert parse(rule) == rule
    assert parse("RRULE:" + rule) == rule


RULE_WORDS = st.sampled_from(
    [
        "FREQ",
        "=",
        ";",
        ",",
        ":",
        " ",
        "\n",
        "\r",
        "\t",
        "RRULE",
        "DTSTART",
        "RDATE",
        "EXDATE",
        "EXRULE",
        "COUNT",
        "UNTIL",
        "INTERVAL",
        "BYDAY",
        "BYMONTHDAY",
        "BYMONTH",
        "BYSETPOS",
        "BYHOUR",
        "BYMINUTE",
        "BYSECOND",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYEASTER",
        "WKST",
        "DAILY",
        "WEEKLY",
        "MONTHLY",
        "YEARLY",
        "HOURLY",
        "MINUTELY",
        "SECONDLY",
        "MO",
        "TU",
        "FR",
        "SU",
        "2TU",
        "-1FR",
        "+1MO",
        "53MO",
        "0",
        "1",
        "2",
        "-1",
        "-366",
        "31",
        "366",
        "99999999999999999999",
        "20270105",
        "T",
        "180000",
        "Z",
        "20271231T235959Z",
        "00010101",
        "99991231T235959",
    ]
)
rule_like = st.lists(RULE_WORDS, max_size=20).map("".join)


@FUZZ
@given(st.text(max_size=400) | rule_like)
@example("FREQ=WEEKLY;COUNT=3 RRULE:FREQ=DAILY")
@example("FREQ=DAILY;BYMONTHDAY=31;BYMONTH=4;UNTIL=99991231T235959")
def test_parse_returns_a_string_or_raises_recurrence_error(text):
    try:
        checked = parse(text)
    except RecurrenceError:
        return
    assert isinstance(checked, str)
    assert checked == parse(checked)
    assert checked.strip() == checked and "\n" not in checked and len(checked) <= 300
    upper = checked.upper()
    assert "DTSTART" not in upper
    assert "COUNT=" in upper or "UNTIL=" in upper
    assert not any(f"FREQ={f}" in upper for f in ("HOURLY", "MINUTELY", "SECONDLY"))


@FUZZ
@given(rule_like, firsts)
@example("FREQ=DAILY;COUNT=99999999999999999999", datetime(2099, 12, 31, 23, 59))
@example("FREQ=YEARLY;INTERVAL=99999999999999999999;COUNT=3", datetime(2000, 1, 1))
def test_expand_returns_a_series_or_raises_recurrence_error(text, first):
    try:
        occurrences = expand(text, first)
    except RecurrenceError:
        return
    moments = locals_of(occurrences)
    assert moments[0] == first
    assert all(earlier < later for earlier, later in pairwise(moments))
    assert all(moment.time() == first.time() for moment in moments)
    assert len(moments) <= MAX_OCCURRENCES
    assert moments[-1] - first <= MAX_SPAN


@pytest.mark.parametrize("first", [datetime(9999, 12, 1, 18), datetime(1, 1, 1, 18)])
def test_the_ends_of_the_calendar(first):
    occurrences = expand("FREQ=WEEKLY;COUNT=3", first)
    assert occurrences[0].local == first
    assert len(occurrences) in (2, 3)
