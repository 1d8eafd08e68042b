"""A member's receipts book (livre des recettes, INVOICING_FR.md R-5.2).

A micro-entrepreneur records each receipt by its *payment* date, with the client, the nature of the
service, the amount, the payment method and the reference of the invoice. These are its rows; the CSV
goes through `core/csv.py` and the PDF through `billing/pdf.py`.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from cordee.core.money import ZERO


@dataclass(frozen=True)
class Receipt:
    paid_on: date
    client: str
    nature: str
    amount: Decimal
    method: str
    invoice_number: str
    reference: str = ""


def receipts_in_order(receipts: Iterable[Receipt]) -> list[Receipt]:
    """By payment date, then invoice number (a stable order for two receipts on one day)."""
    return sorted(receipts, key=lambda receipt: (receipt.paid_on, receipt.invoice_number, receipt.reference))


def receipts_header() -> list[str]:
    return [
        _("Payment date"),
        _("Client"),
        _("Nature"),
        _("Amount received (€)"),
        _("Payment method"),
        _("Invoice"),
        _("Payment reference"),
    ]


def receipts_rows(receipts: Iterable[Receipt]) -> list[list]:
    return [
        [r.paid_on, r.client, r.nature, r.amount, r.method, r.invoice_number, r.reference]
        for r in receipts_in_order(receipts)
    ]


def receipts_total(receipts: Iterable[Receipt]) -> Decimal:
    return sum((receipt.amount for receipt in receipts), ZERO)
