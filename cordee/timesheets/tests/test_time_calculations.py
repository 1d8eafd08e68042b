import datetime as dt
from decimal import Decimal

import pytest

from cordee.core.numbers import hours_plain
from cordee.timesheets.calculations import (
    days_from_hours,
    hours_from_days,
    is_quarter_hours,
    week_days,
    week_from_param,
    week_param,
    week_start,
)

TODAY = dt.date(2026, 3, 4)


@pytest.mark.parametrize(
    ("days", "hours_per_day", "hours"),
    [
        ("0.5", "7", "3.5"),
        ("1", "7", "7"),
        ("1.5", "7", "10.5"),
        ("0.25", "7", "1.75"),
        ("0.5", "7.5", "3.75"),
        ("2", "8", "16"),
    ],
)
def test_days_are_converted_at_the_collective_working_day(days, hours_per_day, hours):
    assert hours_from_days(Decimal(days), Decimal(hours_per_day)) == Decimal(hours)


def test_days_conversion_stays_exact_when_it_is_not_a_quarter_hour():
    assert hours_from_days(Decimal("0.1"), Decimal("7")) == Decimal("0.7")
    assert is_quarter_hours(Decimal("0.7")) is False


@pytest.mark.parametrize(
    ("hours", "hours_per_day", "days"),
    [("10.5", "7", "1.50"), ("7", "7", "1.00"), ("1", "7", "0.14"), ("3.5", "7", "0.50"), ("0", "7", "0.00")],
)
def test_hours_are_shown_in_days_rounded_half_up_to_the_hundredth(hours, hours_per_day, days):
    result = days_from_hours(Decimal(hours), Decimal(hours_per_day))
    assert result == Decimal(days)
    assert str(result) == days


@pytest.mark.parametrize("hours", ["0.25", "0.5", "0.75", "1", "7.25", "24"])
def test_quarter_hours_are_accepted(hours):
    assert is_quarter_hours(Decimal(hours)) is True


@pytest.mark.parametrize("hours", ["0.1", "0.3", "1.2", "7.05", "3.33"])
def test_other_fractions_are_not_quarter_hours(hours):
    assert is_quarter_hours(Decimal(hours)) is False


def test_plain_hours_drop_trailing_zeros_without_scientific_notation():
    assert str(hours_plain(Decimal("3.50"))) == "3.5"
    assert str(hours_plain(Decimal("10.00"))) == "10"
    assert str(hours_plain(Decimal("0.25"))) == "0.25"
    assert hours_plain(None) is None


def test_weeks_start_on_monday_and_are_named_the_iso_way():
    assert week_start(TODAY) == dt.date(2026, 3, 2)
    assert week_start(dt.date(2026, 3, 8)) == dt.date(2026, 3, 2)
    assert week_days(dt.date(2026, 3, 2)) == [dt.date(2026, 3, day) for day in range(2, 9)]
    assert week_param(dt.date(2026, 3, 2)) == "2026-W10"
    assert week_param(dt.date(2026, 12, 28)) == "2026-W53"


@pytest.mark.parametrize(
    ("value", "monday"),
    [
        ("2026-W10", dt.date(2026, 3, 2)),
        ("2026-W01", dt.date(2025, 12, 29)),
        ("2026-W53", dt.date(2026, 12, 28)),
        ("2025-W53", dt.date(2026, 3, 2)),  # 2025 has 52 ISO weeks: the current week instead
        ("2026-W00", dt.date(2026, 3, 2)),
        ("nonsense", dt.date(2026, 3, 2)),
        ("", dt.date(2026, 3, 2)),
        (None, dt.date(2026, 3, 2)),
    ],
)
def test_the_week_parameter_falls_back_to_the_current_week(value, monday):
    assert week_from_param(value, TODAY) == monday
