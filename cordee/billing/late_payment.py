"""Late payment as plain arithmetic (R-1.10 to R-1.12): days late, penalties, the recovery indemnity, and
which level of a reminder ladder is due on a day. No database: the reminder service and the tests call
these with the invoice's own figures.
"""

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from cordee.billing.legal import legal_values
from cordee.core.money import ZERO, round_cents, to_decimal

# The default ladder: 3 days before the due date, on it, then 7, 15 and 30 days after.
DEFAULT_LADDER_OFFSETS = (-3, 0, 7, 15, 30)
# How far from the due date a level may be: a month before it, four months after it.
LEVEL_OFFSET_MIN, LEVEL_OFFSET_MAX = -30, 120
DAYS_IN_YEAR = Decimal(365)


def days_late(due_on: date, on: date) -> int:
    """Days past the due date on a day: penalties run from the day after the due date (R-1.10)."""
    return max(0, (on - due_on).days)


def late_penalty(balance, rate_percent, days: int) -> Decimal:
    """Penalties on the unpaid balance: balance × rate × days / 365, half-up to the cent once."""
    if days <= 0:
        return ZERO
    balance = to_decimal(balance)
    if balance <= 0:
        return ZERO
    return round_cents(balance * to_decimal(rate_percent) / Decimal(100) * Decimal(days) / DAYS_IN_YEAR)


def recovery_indemnity(*, business: bool, days: int, on: date) -> Decimal:
    """The fixed recovery indemnity of a late B2B invoice, in full even after a partial payment (R-1.11);
    never for a consumer."""
    if not business or days <= 0:
        return ZERO
    return legal_values(on).recovery_indemnity


def level_date(due_on: date, offset_days: int) -> date:
    return due_on + timedelta(days=offset_days)


def level_due(offsets: Sequence[int], due_on: date, today: date, sent: set[int]) -> int | None:
    """The offset of the ladder level to send today, or None.

    The latest level whose date has come, unless it or a later one was already sent: a tick that was
    stopped for a week sends one reminder, the most recent, and never the levels it skipped.
    """
    reached = [offset for offset in sorted(offsets) if level_date(due_on, offset) <= today]
    if not reached:
        return None
    latest = reached[-1]
    if any(offset >= latest for offset in sent):
        return None
    return latest
