"""The chart geometry (workspace.overview.charts) as properties: every bar inside the viewBox,
heights and widths proportional to the values, one label per period, nothing lost in the
totals, empty data drawn as an empty state."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace.overview import charts

EPSILON = 1e-6

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
day_lists = st.lists(days, max_size=300)
# Revisions of one document tend to bunch: a start and offsets within a few years.
bunched = st.builds(
    lambda start, offsets: [start + timedelta(days=offset) for offset in offsets],
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.lists(st.integers(min_value=0, max_value=2000), max_size=200),
)
counts = st.lists(st.integers(min_value=0, max_value=5000), max_size=80)
rows = st.lists(
    st.builds(
        charts.Row,
        st.text(min_size=1, max_size=80),
        st.integers(min_value=0, max_value=3000),
        st.integers(min_value=0, max_value=40),
    ),
    max_size=30,
)


def _periods_of(values: list[int]) -> list[charts.Period]:
    start = date(2030, 1, 7)  # a Monday
    return [
        charts.Period(start + timedelta(weeks=i), start + timedelta(weeks=i + 1), value)
        for i, value in enumerate(values)
    ]


def _inside(bar: charts.Bar, width: float, height: float) -> bool:
    return (
        bar.x >= -EPSILON
        and bar.y >= -EPSILON
        and bar.width >= 0
        and bar.height >= 0
        and bar.x + bar.width <= width + EPSILON
        and bar.y + bar.height <= height + EPSILON
    )


# -- Periods ------------------------------------------------------------------------------------


@given(st.one_of(day_lists, bunched))
@settings(max_examples=200, deadline=None)
def test_periods_keep_every_edit_and_leave_no_gap(found_days):
    found = charts.periods(found_days)
    assert sum(period.count for period in found) == len(found_days)
    if not found_days:
        assert found == []
        return
    # Contiguous, in order, each period covering its edits.
    for before, after in zip(found, found[1:], strict=False):
        assert before.end == after.start
        assert before.start < before.end
    assert found[0].start <= min(found_days) < found[0].end
    assert found[-1].start <= max(found_days) < found[-1].end
    for day in found_days:
        (period,) = [p for p in found if p.start <= day < p.end]
        assert period.count >= 1


@given(bunched, st.integers(min_value=0, max_value=400))
@settings(max_examples=100, deadline=None)
def test_periods_reach_until(found_days, extra):
    if not found_days:
        return
    until = max(found_days) + timedelta(days=extra)
    found = charts.periods(found_days, until=until)
    assert found[-1].start <= until < found[-1].end
    assert sum(period.count for period in found) == len(found_days)


def test_weeks_for_a_short_span_months_for_a_longer_one_years_beyond():
    monday = date(2030, 1, 7)
    weeks = charts.periods([monday, monday + timedelta(days=15)])
    assert [p.count for p in weeks] == [1, 0, 1]  # the quiet week in between is a zero
    assert charts.unit_of(weeks) == charts.WEEK
    assert weeks[0].start == monday
    months = charts.periods([date(2030, 1, 31), date(2030, 12, 1), date(2030, 12, 2)])
    assert charts.unit_of(months) == charts.MONTH
    assert len(months) == 12
    assert months[0].start == date(2030, 1, 1) and months[-1].count == 2
    years = charts.periods([date(2020, 5, 1), date(2030, 5, 1)])
    assert charts.unit_of(years) == charts.YEAR
    assert [p.start.year for p in years] == list(range(2020, 2031))


def test_a_week_starts_on_monday_even_across_years():
    (period,) = charts.periods([date(2031, 1, 1)])  # a Wednesday
    assert period.start == date(2030, 12, 30)
    assert period.end == date(2031, 1, 6)


# -- Column chart -------------------------------------------------------------------------------


@given(counts)
@settings(max_examples=200, deadline=None)
def test_columns_stay_inside_the_viewbox_and_are_proportional(values):
    chart = charts.column_chart(_periods_of(values))
    assert chart.total == sum(values)
    assert len(chart.bars) == len(values)
    assert [bar.value for bar in chart.bars] == values
    assert chart.scale >= max(values, default=0)
    for bar in chart.bars:
        assert _inside(bar, chart.width, chart.height)
        assert bar.y + bar.height == pytest.approx(chart.baseline)
        assert bar.height == pytest.approx(bar.value * charts.PLOT_HEIGHT / chart.scale)
        assert 0 <= bar.value_y <= chart.height and 0 <= bar.text_y <= chart.height
    # Bars do not overlap and keep the periods' order.
    for left, right in zip(chart.bars, chart.bars[1:], strict=False):
        assert left.x + left.width <= right.x + EPSILON
    for tick in chart.ticks:
        assert 0 <= tick.y <= chart.height
        assert 0 <= tick.value <= chart.scale


@given(counts)
@settings(max_examples=100, deadline=None)
def test_one_label_per_period_and_enough_axis_labels(values):
    chart = charts.column_chart(
        _periods_of(values), label=lambda p: f"L{p.start}", short=lambda p: f"S{p.start}"
    )
    assert len([bar.label for bar in chart.bars]) == len(values)
    assert all(bar.label.startswith("L") for bar in chart.bars)
    shown = [bar for bar in chart.bars if bar.short]
    if values:
        assert chart.bars[0].short  # the first period is always named
        assert len(shown) <= charts.PLOT_WIDTH // charts.LABEL_ROOM


def test_no_data_is_an_empty_chart():
    chart = charts.column_chart([])
    assert chart.empty and chart.bars == [] and chart.total == 0
    quiet = charts.column_chart(_periods_of([0, 0, 0]))
    assert quiet.empty
    assert all(bar.height == 0 for bar in quiet.bars)


def test_nice_scale_is_round_and_covers_the_maximum():
    assert charts.nice_scale(0) == (1, 1)
    assert charts.nice_scale(1) == (1, 1)
    assert charts.nice_scale(7) == (8, 2)
    assert charts.nice_scale(100) == (100, 50)


@given(st.integers(min_value=1, max_value=10**7))
def test_nice_scale_properties(maximum):
    top, step = charts.nice_scale(maximum)
    assert top >= maximum
    assert top % step == 0
    assert top // step <= 4
    assert top < maximum * 2 + step


# -- Row chart ----------------------------------------------------------------------------------


@given(rows, st.integers(min_value=1, max_value=8))
@settings(max_examples=200, deadline=None)
def test_top_rows_keep_the_total(given_rows, top):
    result = charts.top_rows(given_rows, top=top, others="altri")
    assert sum(row.value for row in result) == sum(row.value for row in given_rows)
    assert len(result) <= top + 1
    assert all(row.value > 0 for row in result)
    named = [row for row in result if not row.is_others]
    assert [row.value for row in named] == sorted((row.value for row in named), reverse=True)
    others = [row for row in result if row.is_others]
    assert len(others) <= 1
    if others:
        assert result[-1].is_others and len(named) == top


def test_top_rows_merge_the_same_label_and_fold_the_rest():
    given_rows = [charts.Row(name, value, 1) for name, value in [("A", 3), ("B", 1), ("A", 2)]]
    assert charts.top_rows(given_rows, top=5) == [charts.Row("A", 5, 2), charts.Row("B", 1, 1)]
    many = [charts.Row(f"S{i}", 10 - i, 1) for i in range(8)]
    result = charts.top_rows(many, top=3, others="altri")
    assert [row.label for row in result] == ["S0", "S1", "S2", "altri"]
    assert result[-1] == charts.Row("altri", 7 + 6 + 5 + 4 + 3, 5, is_others=True)
    # One row left over is shown by name: "altri" would hide it for nothing.
    assert [row.label for row in charts.top_rows(many[:4], top=3)] == ["S0", "S1", "S2", "S3"]


@given(rows)
@settings(max_examples=200, deadline=None)
def test_row_bars_inside_and_proportional(given_rows):
    kept = charts.top_rows(given_rows, top=5)
    chart = charts.row_chart(kept)
    assert chart.total == sum(row.value for row in kept)
    assert len(chart.bars) == len(kept)
    widest = max((row.value for row in kept), default=0)
    room = chart.width - charts.ROW_PADDING * 2 - charts.VALUE_ROOM
    for bar, row in zip(chart.bars, kept, strict=True):
        assert _inside(bar, chart.width, chart.height)
        assert bar.width == pytest.approx(row.value * room / widest)
        assert bar.value_x <= chart.width - charts.ROW_PADDING
        assert len(bar.short) <= charts.ROW_LABEL_CHARS
        assert bar.label == row.label
        assert 0 <= bar.text_y <= chart.height and 0 <= bar.value_y <= chart.height
    for upper, lower in zip(chart.bars, chart.bars[1:], strict=False):
        assert upper.y + upper.height <= lower.text_y


def test_no_rows_is_an_empty_chart():
    chart = charts.row_chart([])
    assert chart.empty and chart.bars == []
    assert chart.height > 0
