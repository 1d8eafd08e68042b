"""Business days: weekends and French public holidays are skipped (the `holidays` package)."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _french_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.France(years=year))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def business_days_between(start: date, end: date) -> int:
    """Business days in the half-open interval (start, end]: from the day after `start` up to `end`."""
    if end <= start:
        return 0
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        count += is_business_day(day)
        day += timedelta(days=1)
    return count


def add_business_days(start: date, days: int) -> date:
    """The date `days` business days after `start` (start itself is not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


def subtract_business_days(end: date, days: int) -> date:
    day = end
    remaining = days
    while remaining > 0:
        day -= timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


def margin_business_days(start: date, internal_date: date, percent: int = 20, minimum: int = 2) -> int:
    """The safety margin between the internal and the announced date (seed, Conseil 2).

    `percent` of the business days between the mission's start and the internal date, rounded half
    up, and never fewer than `minimum` business days.
    """
    working_days = business_days_between(start, internal_date)
    proportional = (Decimal(working_days) * Decimal(percent) / Decimal(100)).quantize(
        Decimal("1"), rounding=ROUND_HALF_UP
    )
    return max(int(proportional), minimum)


def announced_date_for(start: date, internal_date: date, percent: int = 20, minimum: int = 2) -> date:
    """The date promised to the client: the internal date plus the margin, on a business day."""
    return add_business_days(internal_date, margin_business_days(start, internal_date, percent, minimum))
