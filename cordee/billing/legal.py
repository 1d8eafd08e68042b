"""Legal values of French billing as dated data (R-0.2): each entry applies from its date until the next.

Rates and mention texts change by law; a document uses the values in force on its issue date. Keep this
table in step with INVOICING_FR.md and the accountant's advice; never write these values elsewhere.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class LegalValues:
    standard_vat_rate: Decimal
    franchise_mention: str
    recovery_indemnity: Decimal
    # The floor of a contractual late-penalty rate: 3 × the professional legal interest rate.
    late_penalty_floor: Decimal


# (in force from, values). Texts stay in French: they are printed on French legal documents as such.
LEGAL_VALUES: list[tuple[date, LegalValues]] = [
    (
        date(2026, 1, 1),
        LegalValues(
            standard_vat_rate=Decimal("20.00"),
            franchise_mention="TVA non applicable, art. 293 B du CGI",
            recovery_indemnity=Decimal("40.00"),
            late_penalty_floor=Decimal("7.86"),
        ),
    ),
]


def legal_values(on: date) -> LegalValues:
    """The values in force on a day (the earliest table for a day before it, so old drafts still render)."""
    current = LEGAL_VALUES[0][1]
    for since, values in LEGAL_VALUES:
        if since <= on:
            current = values
    return current
