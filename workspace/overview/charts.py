"""Chart geometry for server-drawn SVG: edits per period and contributions by service.

Pure: no Flask, no database. The functions take counts and return plain data (bars with
coordinates, sizes, values and labels inside a fixed viewBox) that a Jinja partial turns into
inline ``<svg>``; words (period names, "altri") come in as arguments or callables, so that the
caller translates them. The viewBox is small enough that, drawn at 100% width on a 360 px phone,
its 12-unit text stays readable.
"""

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

WIDTH = 400

# Column chart (edits per period)
COLUMN_HEIGHT = 200
LEFT, RIGHT, TOP, BOTTOM = 32, 8, 18, 30
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = COLUMN_HEIGHT - TOP - BOTTOM
# Below this many units per bar, values are not written above the bars (the table has them).
MIN_SLOT_FOR_VALUES = 18
# Axis labels need about this much room each; beyond, only every k-th period is labelled.
LABEL_ROOM = 48

# Row chart (contributors)
ROW_HEIGHT = 40
ROW_BAR_HEIGHT = 14
ROW_LABEL_CHARS = 56
VALUE_ROOM = 44  # room at the end of the longest bar for its number
ROW_PADDING = 6

# Spans of time: weeks up to about half a year, months up to five years, then years.
WEEKS_UP_TO_DAYS = 26 * 7
MONTHS_UP_TO = 60

WEEK, MONTH, YEAR = "week", "month", "year"


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    count: int


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str  # the full name, for the tooltip and the table
    short: str = ""  # the text drawn next to the bar ("" when there is no room)
    text_x: float = 0.0  # where the value or the short label goes
    text_y: float = 0.0
    value_x: float = 0.0
    value_y: float = 0.0
    show_value: bool = True


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    unit: str
    bars: list[Bar]
    ticks: list[Tick]
    scale: int  # the value drawn at the top of the plot
    total: int
    plot_left: float = LEFT
    plot_right: float = WIDTH - RIGHT
    baseline: float = TOP + PLOT_HEIGHT

    @property
    def empty(self) -> bool:
        return self.total == 0


@dataclass(frozen=True)
class Row:
    label: str
    value: int
    people: int = 0
    is_others: bool = False


@dataclass(frozen=True)
class RowChart:
    width: int
    height: int
    bars: list[Bar]
    rows: list[Row]
    total: int
    scale: int

    @property
    def empty(self) -> bool:
        return self.total == 0


# -- Periods ------------------------------------------------------------------------------------


def _start_of(day: date, unit: str) -> date:
    if unit == WEEK:
        return day - timedelta(days=day.weekday())
    if unit == MONTH:
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _next(start: date, unit: str) -> date:
    if unit == WEEK:
        return start + timedelta(days=7)
    if unit == MONTH:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def choose_unit(first: date, last: date) -> str:
    """Weeks for a short span, months for a longer one, years for a very long one."""
    if (last - first).days <= WEEKS_UP_TO_DAYS:
        return WEEK
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return MONTH if months <= MONTHS_UP_TO else YEAR


def periods(days: Iterable[date], *, until: date | None = None) -> list[Period]:
    """The edits counted per period, from the first edit's period to the last (or to
    ``until``, when later), with the quiet periods in between counted as zero."""
    counts = Counter(days)
    if not counts:
        return []
    first, last = min(counts), max(counts)
    if until is not None and until > last:
        last = until
    unit = choose_unit(first, last)
    by_start: Counter = Counter()
    for day, count in counts.items():
        by_start[_start_of(day, unit)] += count
    result = []
    start, end = _start_of(first, unit), _start_of(last, unit)
    while start <= end:
        following = _next(start, unit)
        result.append(Period(start, following, by_start.get(start, 0)))
        start = following
    return result


def unit_of(found: list[Period]) -> str:
    if not found:
        return WEEK
    days = (found[0].end - found[0].start).days
    return WEEK if days == 7 else MONTH if days <= 31 else YEAR


# -- Scales -------------------------------------------------------------------------------------


def nice_scale(maximum: int, *, most_ticks: int = 4) -> tuple[int, int]:
    """A round top for the axis (at least ``maximum``) and the step between its lines."""
    if maximum <= 0:
        return 1, 1
    raw = maximum / most_ticks
    magnitude = 10 ** max(0, math.floor(math.log10(raw))) if raw >= 1 else 1
    for multiple in (1, 2, 5, 10):
        step = multiple * magnitude
        if step * most_ticks >= maximum:
            break
    step = max(1, step)
    return step * math.ceil(maximum / step), step


# -- Column chart -------------------------------------------------------------------------------


def column_chart(
    found: list[Period],
    *,
    label: Callable[[Period], str] = lambda period: period.start.isoformat(),
    short: Callable[[Period], str] | None = None,
) -> ColumnChart:
    """One column per period: heights proportional to the counts, all inside the viewBox."""
    unit = unit_of(found)
    total = sum(period.count for period in found)
    top, step = nice_scale(max((period.count for period in found), default=0))
    ticks = [
        Tick(y=TOP + PLOT_HEIGHT - value * PLOT_HEIGHT / top, value=value)
        for value in range(0, top + 1, step)
    ]
    n = len(found)
    bars: list[Bar] = []
    if n:
        slot = PLOT_WIDTH / n
        gap = slot * 0.2 if slot >= 4 else 0.0
        every = max(1, math.ceil(n / (PLOT_WIDTH // LABEL_ROOM)))
        short = short or label
        for index, period in enumerate(found):
            height = period.count * PLOT_HEIGHT / top
            x = LEFT + index * slot + gap / 2
            width = slot - gap
            y = TOP + PLOT_HEIGHT - height
            labelled = index % every == 0
            bars.append(
                Bar(
                    x=x,
                    y=y,
                    width=width,
                    height=height,
                    value=period.count,
                    label=label(period),
                    short=short(period) if labelled else "",
                    text_x=x + width / 2,
                    text_y=TOP + PLOT_HEIGHT + 16,
                    value_x=x + width / 2,
                    value_y=max(y - 4, 10),
                    show_value=period.count > 0 and slot >= MIN_SLOT_FOR_VALUES,
                )
            )
    return ColumnChart(
        width=WIDTH,
        height=COLUMN_HEIGHT,
        unit=unit,
        bars=bars,
        ticks=ticks,
        scale=top,
        total=total,
    )


# -- Row chart ----------------------------------------------------------------------------------


def top_rows(rows: Iterable[Row], *, top: int = 5, others: str = "altri") -> list[Row]:
    """The ``top`` largest rows (ties by label), the rest folded into one ``others`` row.

    Rows with the same label are added together first; a single leftover row is shown as it
    is (an "others" of one would hide its name for nothing).
    """
    merged: dict[str, list[int]] = {}
    for row in rows:
        if row.value <= 0:
            continue
        entry = merged.setdefault(row.label, [0, 0])
        entry[0] += row.value
        entry[1] += row.people
    ordered = sorted(merged.items(), key=lambda item: (-item[1][0], item[0]))
    if len(ordered) <= top + 1:
        return [Row(name, value, people) for name, (value, people) in ordered]
    kept = [Row(name, value, people) for name, (value, people) in ordered[:top]]
    rest = ordered[top:]
    kept.append(
        Row(
            others,
            sum(value for _name, (value, _people) in rest),
            sum(people for _name, (_value, people) in rest),
            is_others=True,
        )
    )
    return kept


def _clip(text: str, limit: int = ROW_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def row_chart(rows: list[Row]) -> RowChart:
    """One horizontal bar per row, its name above it and its number at its end."""
    total = sum(row.value for row in rows)
    scale = max((row.value for row in rows), default=0) or 1
    room = WIDTH - ROW_PADDING * 2 - VALUE_ROOM
    bars = []
    for index, row in enumerate(rows):
        top = ROW_PADDING + index * ROW_HEIGHT
        width = row.value * room / scale
        bar_y = top + 20
        bars.append(
            Bar(
                x=ROW_PADDING,
                y=bar_y,
                width=width,
                height=ROW_BAR_HEIGHT,
                value=row.value,
                label=row.label,
                short=_clip(row.label),
                text_x=ROW_PADDING,
                text_y=top + 14,
                value_x=ROW_PADDING + width + 4,
                value_y=bar_y + ROW_BAR_HEIGHT - 2,
                show_value=True,
            )
        )
    height = ROW_PADDING * 2 + max(1, len(rows)) * ROW_HEIGHT
    return RowChart(width=WIDTH, height=height, bars=bars, rows=rows, total=total, scale=scale)
