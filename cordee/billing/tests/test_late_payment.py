"""Late-payment arithmetic (R-1.10, R-1.11), checked against figures computed by hand."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cordee.billing.late_payment import (
    DEFAULT_LADDER_OFFSETS,
    days_late,
    late_penalty,
    level_due,
    recovery_indemnity,
)

DUE = date(2026, 5, 15)


def test_penalties_run_from_the_day_after_the_due_date():
    assert days_late(DUE, date(2026, 5, 15)) == 0
    assert days_late(DUE, date(2026, 5, 16)) == 1
    assert days_late(DUE, date(2026, 6, 14)) == 30
    assert days_late(DUE, date(2026, 5, 1)) == 0


@pytest.mark.parametrize(
    ("balance", "rate", "days", "penalty"),
    [
        # 1 200 × 10.15 % = 121.80 a year; × 15 / 365 = 5.0054… → 5.01
        ("1200.00", "10.15", 15, "5.01"),
        # 3 600 × 10.15 % = 365.40 a year; × 30 / 365 = 30.0328… → 30.03
        ("3600.00", "10.15", 30, "30.03"),
        # 14.60 × 12.5 % = 1.825 a year; / 365 = 0.005 exactly → half-up 0.01 (half-even would give 0.00)
        ("14.60", "12.50", 1, "0.01"),
        # 2 400 × 7.86 % = 188.64 a year; × 45 / 365 = 23.2569… → 23.26
        ("2400.00", "7.86", 45, "23.26"),
        ("1200.00", "10.15", 0, "0.00"),
        ("0.00", "10.15", 30, "0.00"),
    ],
)
def test_penalty_amounts_computed_by_hand(balance, rate, days, penalty):
    assert late_penalty(Decimal(balance), Decimal(rate), days) == Decimal(penalty)


@given(
    balance=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999"), places=2),
    days=st.integers(min_value=1, max_value=3650),
)
def test_penalty_is_in_cents_and_grows_with_time(balance, days):
    penalty = late_penalty(balance, Decimal("10.15"), days)
    assert penalty == penalty.quantize(Decimal("0.01"))
    assert penalty <= late_penalty(balance, Decimal("10.15"), days + 1)


def test_the_indemnity_is_40_euros_per_late_b2b_invoice_and_never_for_consumers():
    assert recovery_indemnity(business=True, days=1, on=date(2026, 5, 16)) == Decimal("40.00")
    assert recovery_indemnity(business=True, days=0, on=date(2026, 5, 15)) == Decimal("0.00")
    assert recovery_indemnity(business=False, days=30, on=date(2026, 6, 14)) == Decimal("0.00")


def test_ladder_levels_come_each_in_turn():
    sent: set[int] = set()
    calendar = []
    for day in range(-10, 46):
        today = date.fromordinal(DUE.toordinal() + day)
        offset = level_due(DEFAULT_LADDER_OFFSETS, DUE, today, sent)
        if offset is not None:
            sent.add(offset)
            calendar.append(day)
    assert calendar == [-3, 0, 7, 15, 30]


def test_a_stopped_tick_sends_only_the_latest_level():
    today = date(2026, 5, 31)  # +16: levels -3, 0, 7 and 15 have all come
    assert level_due(DEFAULT_LADDER_OFFSETS, DUE, today, set()) == 15
    assert level_due(DEFAULT_LADDER_OFFSETS, DUE, today, {15}) is None
    assert level_due(DEFAULT_LADDER_OFFSETS, DUE, date(2026, 5, 1), set()) is None
