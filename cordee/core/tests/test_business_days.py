from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cordee.core.business_days import (
    add_business_days,
    announced_date_for,
    business_days_between,
    is_business_day,
    margin_business_days,
    subtract_business_days,
)


def test_weekends_and_french_public_holidays_are_not_business_days():
    assert is_business_day(date(2026, 5, 4))  # a Monday
    assert not is_business_day(date(2026, 5, 2))  # Saturday
    assert not is_business_day(date(2026, 5, 3))  # Sunday
    assert not is_business_day(date(2026, 5, 1))  # Fête du Travail, a Friday
    assert not is_business_day(date(2026, 5, 8))  # Victoire 1945
    assert not is_business_day(date(2026, 5, 14))  # Ascension
    assert not is_business_day(date(2026, 5, 25))  # Lundi de Pentecôte
    assert not is_business_day(date(2026, 7, 14))


def test_counting_and_adding_skip_the_same_days():
    assert business_days_between(date(2026, 4, 30), date(2026, 5, 11)) == 5  # 4, 5, 6, 7, 11 May
    assert add_business_days(date(2026, 4, 30), 5) == date(2026, 5, 11)
    assert subtract_business_days(date(2026, 5, 11), 5) == date(2026, 4, 30)
    assert business_days_between(date(2026, 5, 11), date(2026, 5, 11)) == 0
    assert add_business_days(date(2026, 5, 7), 1) == date(2026, 5, 11)  # Friday 8 May is a holiday


def test_margin_is_20_percent_of_working_days_rounded_half_up():
    # 2 March → 27 March 2026: 19 business days after the start → 3.8 → 4 days.
    assert business_days_between(date(2026, 3, 2), date(2026, 3, 27)) == 19
    assert margin_business_days(date(2026, 3, 2), date(2026, 3, 27)) == 4
    assert announced_date_for(date(2026, 3, 2), date(2026, 3, 27)) == date(2026, 4, 2)


def test_margin_is_never_under_two_business_days():
    assert margin_business_days(date(2026, 3, 2), date(2026, 3, 4)) == 2
    # Internal date on a Friday: two business days later is Tuesday.
    assert announced_date_for(date(2026, 3, 2), date(2026, 3, 6)) == date(2026, 3, 10)


def test_margin_skips_holidays_around_easter_and_may():
    # Start 1 April, internal 30 April 2026: Easter Monday (6 April) is skipped → 20 days → 4 days margin,
    # then 1 May (Friday) and the weekend are skipped: 4, 5, 6, 7 May.
    assert business_days_between(date(2026, 4, 1), date(2026, 4, 30)) == 20
    assert announced_date_for(date(2026, 4, 1), date(2026, 4, 30)) == date(2026, 5, 7)


def test_margin_across_the_dst_change_counts_calendar_days_not_hours():
    # Clocks go forward in Paris on 29 March 2026: a day of 23 hours is still one business day.
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2026, 3, 23, 9, 0, tzinfo=paris)
    internal = datetime(2026, 4, 3, 9, 0, tzinfo=paris)
    elapsed = internal.astimezone(UTC) - start.astimezone(UTC)
    assert elapsed == timedelta(days=10, hours=23)
    assert business_days_between(start.date(), internal.date()) == 9
    assert announced_date_for(start.date(), internal.date()) == date(2026, 4, 8)  # 6 April is Easter Monday


def test_custom_percent_and_minimum():
    assert margin_business_days(date(2026, 3, 2), date(2026, 3, 27), percent=50, minimum=1) == 10
    assert margin_business_days(date(2026, 3, 2), date(2026, 3, 3), percent=0, minimum=0) == 0
