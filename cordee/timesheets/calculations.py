"""Time arithmetic of timesheets: days ↔ hours, the quarter-hour rule, ISO weeks. Decimal only."""

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from cordee.core.validators import DATE_MAX, DATE_MIN

QUARTER_HOUR = Decimal("0.25")
MAX_HOURS_PER_ENTRY = Decimal("24")
MAX_HOURS_PER_DAY = Decimal("24")
CENT = Decimal("0.01")

_WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


def hours_from_days(days: Decimal, hours_per_day: Decimal) -> Decimal:
    """Days converted at the collective's working day: 0.5 day × 7 h = 3.5 h (kept exact, not rounded)."""
    return Decimal(days) * Decimal(hours_per_day)


def days_from_hours(hours: Decimal, hours_per_day: Decimal) -> Decimal:
    """Hours shown as days of the collective, rounded half-up to the hundredth: 10.5 h / 7 h = 1.5 d."""
    if not hours_per_day:
        return Decimal("0.00")
    return (Decimal(hours) / Decimal(hours_per_day)).quantize(CENT, rounding=ROUND_HALF_UP)


def is_quarter_hours(hours: Decimal) -> bool:
    return Decimal(hours) % QUARTER_HOUR == 0


def week_start(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=offset) for offset in range(7)]


def week_param(monday: date) -> str:
    """The `?week=` value of a week: 2026-W10."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_from_param(value: str | None, today: date) -> date:
    """The Monday named by `?week=2026-W10`; the current week when missing, not a real ISO week, or
    outside the dates people may type (core/validators.py)."""
    match = _WEEK_PATTERN.match((value or "").strip())
    if match and DATE_MIN.year <= int(match.group(1)) <= DATE_MAX.year:
        try:
            monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            monday = None
        if monday is not None and monday >= DATE_MIN and monday + timedelta(days=6) <= DATE_MAX:
            return monday
    return week_start(today)
