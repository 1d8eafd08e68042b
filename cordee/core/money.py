"""Money: `Decimal` amounts in euros, rounded half-up to the cent at named points only.

Every amount Cordée stores, shows or sends goes through these functions. A float is refused: it cannot
hold 0.10 exactly, and an invoice must add up to the cent. Quantities (days, hours) keep up to four
decimals and unit prices up to six, the limits of the French e-invoicing rules; amounts keep two.
"""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
QUANTITY_STEP = Decimal("0.0001")
UNIT_PRICE_STEP = Decimal("0.000001")
ZERO = Decimal("0.00")
CURRENCY = "EUR"

# Database columns for amounts: up to 9 999 999 999,99 €.
AMOUNT_MAX_DIGITS = 12
AMOUNT_DECIMAL_PLACES = 2


class MoneyError(ValueError):
    """A value that cannot be an amount: a float, a non-number, an infinity or a NaN."""


def to_decimal(value: Decimal | int | str) -> Decimal:
    """The exact `Decimal` for an int, a string or a `Decimal`; floats are refused, never guessed."""
    if isinstance(value, bool | float):
        raise MoneyError(f"{value!r} is not an exact amount: pass a string, an int or a Decimal")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as error:
        raise MoneyError(f"{value!r} is not a number") from error
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite number")
    return result


def round_cents(value: Decimal | int | str) -> Decimal:
    """The amount rounded half-up to the cent (0.005 → 0.01, -0.005 → -0.01)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_quantity(value: Decimal | int | str) -> Decimal:
    """A quantity (days, hours) rounded half-up to four decimals."""
    return to_decimal(value).quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP)


def round_unit_price(value: Decimal | int | str) -> Decimal:
    """A unit price rounded half-up to six decimals."""
    return to_decimal(value).quantize(UNIT_PRICE_STEP, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal | int | str, unit_price: Decimal | int | str) -> Decimal:
    """Quantity × unit price, rounded once, to the cent."""
    return round_cents(to_decimal(quantity) * to_decimal(unit_price))


def percent_of(amount: Decimal | int | str, rate: Decimal | int | str) -> Decimal:
    """`rate` per cent of `amount`, to the cent (20 % of 99.99 → 20.00)."""
    return round_cents(to_decimal(amount) * to_decimal(rate) / Decimal(100))


def money_sum(amounts) -> Decimal:
    """The sum of amounts already in cents, as an amount (an empty sum is 0.00)."""
    return round_cents(sum((to_decimal(amount) for amount in amounts), ZERO))


def split_largest_remainder(
    total: Decimal | int | str, weights: Sequence[Decimal | int | str]
) -> list[Decimal]:
    """Split `total` into parts proportional to `weights` that add up to `total` exactly, to the cent.

    Each part first gets its share rounded down to the cent; the cents left over go one by one to the
    parts with the largest remainders (ties to the earlier part, so the result is deterministic). A
    negative total (a credit note) is split as its opposite. Weights must be ≥ 0 with a positive sum.
    """
    total = round_cents(total)
    weights = [to_decimal(weight) for weight in weights]
    if not weights:
        raise MoneyError("a split needs at least one part")
    if any(weight < 0 for weight in weights):
        raise MoneyError("a split's weights cannot be negative")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        raise MoneyError("a split's weights must add up to more than zero")
    if total < 0:
        return [-part for part in split_largest_remainder(-total, weights)]

    total_cents = int(total / CENT)
    exact_cents = [Decimal(total_cents) * weight / weight_sum for weight in weights]
    floor_cents = [int(cents) for cents in exact_cents]  # int() truncates: these are all ≥ 0
    left_over = total_cents - sum(floor_cents)
    by_remainder = sorted(
        range(len(weights)), key=lambda index: (-(exact_cents[index] - floor_cents[index]), index)
    )
    for index in by_remainder[:left_over]:
        floor_cents[index] += 1
    return [Decimal(cents) * CENT for cents in floor_cents]
