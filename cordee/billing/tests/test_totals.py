"""Quote totals (R-1.14): VAT computed once on the total of the rate, never summed per line; amounts to the
cent, half-up."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cordee.billing.services.quotes import quote_totals
from cordee.core.money import line_amount

ISSUED = date(2026, 3, 2)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


def test_three_times_10_10_at_20_percent():
    lines = [{"amount": str(line_amount(1, "10.10"))} for _ in range(3)]
    assert quote_totals(lines, vat_registered=True, issued_on=ISSUED) == (
        Decimal("30.30"),
        Decimal("6.06"),
        Decimal("36.36"),
    )


def test_lines_without_an_amount_time_and_materials_without_cap_are_left_out():
    lines = [{"amount": "3000.00"}, {"amount": ""}]
    assert quote_totals(lines, vat_registered=False, issued_on=ISSUED) == (
        Decimal("3000.00"),
        Decimal("0.00"),
        Decimal("3000.00"),
    )


@given(st.lists(amounts, min_size=1, max_size=12), st.booleans())
def test_totals_add_up_to_the_cent(values, registered):
    lines = [{"amount": str(value)} for value in values]
    total, vat, grand = quote_totals(lines, vat_registered=registered, issued_on=ISSUED)
    assert total == sum(values, Decimal("0"))
    expected_vat = (
        (total * Decimal("0.20")).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        if registered
        else Decimal("0.00")
    )
    assert vat == expected_vat
    assert grand == total + vat
    assert all(amount.as_tuple().exponent == -2 for amount in (total, vat, grand))
