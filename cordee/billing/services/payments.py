"""Payments against invoices, and the review of bank statement lines (confirm, split, ignore).

Cordée never holds client money: a payment records what reached the seller's account. An invoice's
`amount_paid` is the sum of its payments that were not reversed, and its payment status follows:
open → partly paid → paid, or overpaid, the excess then kept as a credit for the client (never lost).
Every change locks the invoice row; deciding a statement line takes it with a conditional update, so two
people matching the same line at once cannot both win.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cordee.accounts.models import User
from cordee.billing.models import ClientCredit, CreditAllocation, Invoice, LegalSeller, Payment, StatementLine
from cordee.billing.signals import invoice_payment_refreshed
from cordee.collectives.access import membership_for
from cordee.core.access import AccessDenied
from cordee.core.money import ZERO, money_sum, round_cents, to_decimal
from cordee.core.validators import date_in_range

PAYABLE_DOCUMENT_TYPE = "380"
CONSUMER_FLOWS = (Invoice.Flow.B2C, Invoice.Flow.B2CINT)


class LineAlreadyDecided(ValidationError):
    """Someone else confirmed, split or ignored this statement line first."""


def payment_status_for(total_due: Decimal, paid: Decimal) -> str:
    """The payment status for what is due (the total less credit notes, R-1.8) and what was paid."""
    if paid <= 0:
        return Invoice.PaymentStatus.OPEN
    if paid < total_due:
        return Invoice.PaymentStatus.PARTLY_PAID
    if paid == total_due:
        return Invoice.PaymentStatus.PAID
    return Invoice.PaymentStatus.OVERPAID


def invoice_balance(invoice: Invoice) -> Decimal:
    """What the client still owes on the invoice, after credit notes and payments (negative when they
    paid too much)."""
    return round_cents(invoice.balance_due)


def can_record_payments(user, invoice: Invoice, membership) -> bool:
    """The member whose business issued the invoice, the mission's lead, or an admin of the collective."""
    seller_user_id = invoice.seller.user_id if invoice.seller.kind == LegalSeller.Kind.MEMBER else None
    return membership.is_admin or user.pk in (seller_user_id, invoice.mission.lead_id)


def invoice_for_payment(user, invoice_id: int) -> Invoice:
    """The issued invoice, locked, for someone who may record its payments; `AccessDenied` otherwise."""
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("seller", "mission", "client")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    membership = membership_for(user, invoice.collective_id)
    if not can_record_payments(user, invoice, membership):
        raise AccessDenied(
            _("Only the member who issued the invoice, the lead of the mission or an admin can do this.")
        )
    return invoice


def seller_account_for(user, seller_id: int) -> LegalSeller:
    """A seller whose bank account the user may reconcile: their own business, or any seller for an admin."""
    seller = LegalSeller.objects.select_related("user").filter(pk=seller_id).first()
    if seller is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    membership = membership_for(user, seller.collective_id)
    if not membership.is_admin and not (seller.is_member and seller.user_id == user.pk):
        raise AccessDenied(_("Only the account's owner or an admin of the collective can do this."))
    return seller


def invoice_paid_refresh(invoice: Invoice) -> None:
    """Recompute the invoice's paid amount and payment status from its payments, the client credit applied
    to it and its credit notes; for a locked invoice row, by the payment services and after a credit note
    changes what is due (R-1.8)."""
    paid = Payment.objects.filter(invoice=invoice, reversed_at__isnull=True).aggregate(total=Sum("amount"))
    credit = CreditAllocation.objects.filter(invoice=invoice).aggregate(total=Sum("amount"))
    invoice.amount_paid = round_cents((paid["total"] or ZERO) + (credit["total"] or ZERO))
    invoice.payment_status = payment_status_for(
        invoice.amount_due - invoice.amount_credited, invoice.amount_paid
    )
    invoice.save(update_fields=["amount_paid", "payment_status"])
    invoice_payment_refreshed.send(sender=Invoice, invoice=invoice)


def _clean_payment(invoice: Invoice, *, paid_on, amount, statement_line) -> Decimal:
    errors = {}
    try:
        amount = round_cents(to_decimal(amount))
    except ValueError:
        errors["amount"] = _("Enter an amount such as 1200.50.")
    else:
        if amount <= 0:
            errors["amount"] = _("A payment is a positive amount. To undo a payment, reverse it.")
    if not isinstance(paid_on, date):
        errors["paid_on"] = _("Enter the date of the payment.")
    else:
        try:
            date_in_range(paid_on)
        except ValidationError as error:
            errors["paid_on"] = error.messages[0]
        if paid_on > timezone.localdate():
            errors["paid_on"] = _("A payment cannot be in the future.")
    if invoice.status != Invoice.Status.ISSUED or invoice.document_type != PAYABLE_DOCUMENT_TYPE:
        errors["__all__"] = _(
            "Only an issued invoice (not a draft, a credit note or a cancelled one) is paid."
        )
    elif (
        statement_line is None
        and invoice.flow in CONSUMER_FLOWS
        and invoice.seller_snapshot.get("vat_regime") == User.VatRegime.REGISTERED
    ):
        # R-1.18: no cash-register feature for VAT-registered sellers' consumer sales.
        errors["__all__"] = _(
            "A consumer's payment to a VAT-registered seller is recorded from the bank statement only: "
            "import the statement and match its line."
        )
    if errors:
        raise ValidationError(errors)
    return amount


def _payment_create(
    invoice: Invoice,
    *,
    by,
    paid_on: date,
    amount: Decimal,
    method: str,
    reference: str,
    statement_line=None,
    payout=None,
) -> Payment:
    balance_before = invoice_balance(invoice)
    payment = Payment(
        collective_id=invoice.collective_id,
        invoice=invoice,
        paid_on=paid_on,
        amount=amount,
        method=method,
        reference=(reference or "")[:140],
        statement_line=statement_line,
        payout=payout,
        recorded_by=by,
    )
    payment.save()
    invoice_paid_refresh(invoice)
    excess = amount - max(balance_before, ZERO)
    if excess > 0 and invoice.client_id:
        ClientCredit.objects.create(
            collective_id=invoice.collective_id,
            client_id=invoice.client_id,
            seller_id=invoice.seller_id,
            payment=payment,
            amount=excess,
        )
    return payment


@transaction.atomic
def payment_record(
    *, by, invoice_id: int, paid_on: date, amount, method: str = Payment.Method.TRANSFER, reference: str = ""
) -> Payment:
    """Record a full or partial payment; beyond the balance, the excess becomes the client's credit."""
    invoice = invoice_for_payment(by, invoice_id)
    amount = _clean_payment(invoice, paid_on=paid_on, amount=amount, statement_line=None)
    return _payment_create(invoice, by=by, paid_on=paid_on, amount=amount, method=method, reference=reference)


def payout_payments_record(payouts, *, by, paid_on: date) -> list[Payment]:
    """The payments a paid payout batch made on the members' invoices to the seller that collected, one per
    invoice the payout settles; a step of marking the batch paid (checked there). Recorded once: nothing for
    a payout already recorded, nor for one the member matched on their own bank statement (a payment whose
    reference is the payout's)."""
    payouts = list(payouts)
    settled = {int(ref["invoice_id"]) for payout in payouts for ref in payout.references}
    invoices = {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update(of=("self",)).filter(pk__in=settled).order_by("pk")
    }
    already = set(
        Payment.objects.filter(invoice_id__in=settled, payout__in=payouts).values_list(
            "payout_id", "invoice_id"
        )
    )
    matched = {
        (invoice_id, reference)
        for invoice_id, reference in Payment.objects.filter(
            invoice_id__in=settled, payout__isnull=True, reversed_at__isnull=True
        ).values_list("invoice_id", "reference")
    }
    payments = []
    for payout in payouts:
        for reference in payout.references:
            invoice = invoices.get(int(reference["invoice_id"]))
            if (
                invoice is None
                or (payout.pk, invoice.pk) in already
                or any(
                    invoice_id == invoice.pk and re.search(rf"\b{payout.end_to_end_id}\b", text)
                    for invoice_id, text in matched
                )
            ):
                continue
            payments.append(
                _payment_create(
                    invoice,
                    by=by,
                    paid_on=paid_on,
                    amount=round_cents(to_decimal(reference["amount"])),
                    method=Payment.Method.TRANSFER,
                    reference=payout.end_to_end_id,
                    payout=payout,
                )
            )
    return payments


@transaction.atomic
def payment_reverse(*, by, payment_id: int, reason: str) -> Payment:
    """Reverse a mistaken payment: it stays, marked with who, when and why, and no longer counts."""
    payment = Payment.objects.filter(pk=payment_id).only("invoice_id").first()
    if payment is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    invoice = invoice_for_payment(by, payment.invoice_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why this payment is reversed.")})
    if payment.reversed_at is not None:
        raise ValidationError(_("This payment was already reversed."))
    list(ClientCredit.objects.select_for_update().filter(payment=payment))  # against a use at the same time
    if CreditAllocation.objects.filter(credit__payment=payment).exists():
        raise ValidationError(
            _(
                "The client's credit from this payment was already applied or refunded: it cannot be "
                "reversed any more."
            )
        )
    payment.reversed_at = timezone.now()
    payment.reversed_by = by
    payment.reversal_reason = reason[:300]
    payment.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
    ClientCredit.objects.filter(payment=payment, settled_at__isnull=True).update(
        settled_at=payment.reversed_at, settled_note=_("Payment reversed")
    )
    if payment.statement_line_id:
        StatementLine.objects.filter(pk=payment.statement_line_id).exclude(
            payments__reversed_at__isnull=True
        ).update(status=StatementLine.Status.UNMATCHED, decided_by=None, decided_at=None)
    invoice_paid_refresh(invoice)
    return payment


# --- Statement lines ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Allocation:
    invoice_id: int
    amount: Decimal


def _line_for_decision(by, line_id: int) -> StatementLine:
    line = StatementLine.objects.select_for_update().filter(pk=line_id).first()
    if line is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    seller_account_for(by, line.seller_id)
    return line


def _claim_line(line: StatementLine, *, by, status: str) -> None:
    """Take the line for one decision: one conditional UPDATE, so a concurrent decision finds it taken."""
    taken = StatementLine.objects.filter(pk=line.pk, status__in=StatementLine.OPEN_STATUSES).update(
        status=status, decided_by=by, decided_at=timezone.now()
    )
    if not taken:
        raise LineAlreadyDecided(
            _("Someone else has just decided this line. Reload the page to see what they chose.")
        )
    line.status = status


@transaction.atomic
def statement_line_split(*, by, line_id: int, allocations: list[Allocation]) -> list[Payment]:
    """Record the line as payments of one or more of the seller's invoices; the parts add up to the line."""
    line = _line_for_decision(by, line_id)
    allocations = [
        Allocation(allocation.invoice_id, round_cents(to_decimal(allocation.amount)))
        for allocation in allocations
    ]
    if not allocations:
        raise ValidationError(_("Choose at least one invoice."))
    if any(allocation.amount <= 0 for allocation in allocations):
        raise ValidationError(_("Each part must be a positive amount."))
    if money_sum(allocation.amount for allocation in allocations) != line.amount:
        raise ValidationError(
            _("The parts add up to %(sum)s instead of the line's %(amount)s.")
            % {"sum": money_sum(a.amount for a in allocations), "amount": line.amount}
        )
    if len({allocation.invoice_id for allocation in allocations}) != len(allocations):
        raise ValidationError(_("Each invoice can appear only once."))
    status = StatementLine.Status.CONFIRMED if len(allocations) == 1 else StatementLine.Status.SPLIT
    _claim_line(line, by=by, status=status)
    payments = []
    for allocation in sorted(allocations, key=lambda allocation: allocation.invoice_id):
        invoice = invoice_for_payment(by, allocation.invoice_id)
        if invoice.seller_id != line.seller_id:
            raise ValidationError(_("This line is on another seller's account than the invoice."))
        amount = _clean_payment(
            invoice, paid_on=line.booking_date, amount=allocation.amount, statement_line=line
        )
        payments.append(
            _payment_create(
                invoice,
                by=by,
                paid_on=line.booking_date,
                amount=amount,
                method=Payment.Method.TRANSFER,
                reference=line.reference or line.bank_reference,
                statement_line=line,
            )
        )
    return payments


def statement_line_confirm(*, by, line_id: int, invoice_id: int | None = None) -> Payment:
    """The line pays one invoice in full of the line's amount (the suggested one unless another is chosen)."""
    line = StatementLine.objects.filter(pk=line_id).only("amount", "suggested_invoice_id").first()
    if line is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    chosen = invoice_id or line.suggested_invoice_id
    if chosen is None:
        raise ValidationError(_("Choose the invoice this line pays."))
    return statement_line_split(by=by, line_id=line_id, allocations=[Allocation(chosen, line.amount)])[0]


@transaction.atomic
def statement_line_ignore(*, by, line_id: int) -> StatementLine:
    """The line is not an invoice's payment (a refund, a transfer between accounts…): set it aside."""
    line = _line_for_decision(by, line_id)
    _claim_line(line, by=by, status=StatementLine.Status.IGNORED)
    return line
