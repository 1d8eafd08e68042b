"""Numbers of hours or days as people read them: 3.5 rather than 3.50, 10 rather than 10.00 or 1E+1."""

from decimal import Decimal

from django.utils import formats


def hours_plain(hours: Decimal | None) -> Decimal | None:
    """3.50 → 3.5 and 10.00 → 10, for fields whose value is shown again (never 1E+1)."""
    if hours is None:
        return None
    value = Decimal(hours)
    if value == value.to_integral_value():
        return value.quantize(Decimal("1"))
    return value.normalize()


def hours_text(value) -> str:
    """A number of hours or days without trailing zeros, localised: 3.5 (English), 3,5 (French)."""
    if value is None or value == "":
        return ""
    return formats.number_format(hours_plain(value), use_l10n=True)
