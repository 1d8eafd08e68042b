"""A client's credit with a seller: what the client paid beyond an invoice's balance, applied to another
open invoice of the same seller and client, or refunded to the client.

A credit is never lost and never spent twice: each use is an allocation (the payment that made the credit
is never edited), the credits of a client with a seller are locked oldest first while a use is recorded,
so two people using the same credit at once cannot spend more than there is. A use never exceeds the
credit available nor, when applied, the invoice's balance; the invoice is then partly paid or paid.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cordee.billing.models import ClientCredit, CreditAllocation, Invoice, LegalSeller, Payment
from cordee.billing.services.payments import (
    PAYABLE_DOCUMENT_TYPE,
    invoice_balance,
    invoice_for_payment,
    invoice_paid_refresh,
    seller_account_for,
)
from cordee.billing.templatetags.billing import euros
from cordee.clients.models import Client
from cordee.core.access import AccessDenied
from cordee.core.money import ZERO, MoneyError, money_sum, round_cents, to_decimal
from cordee.core.validators import date_in_range


def _used_by_credit(credit_ids) -> dict[int, Decimal]:
    used = (
        CreditAllocation.objects.filter(credit_id__in=list(credit_ids))
        .values("credit_id")
        .annotate(total=Sum("amount"))
    )
    return {row["credit_id"]: row["total"] for row in used}


def available_credits(collective_id: int, seller_ids, client_ids=None) -> dict[tuple[int, int], Decimal]:
    """(seller id, client id) → the credit still available, for the sellers given; two queries. READ."""
    credits = ClientCredit.objects.filter(
        collective_id=collective_id, seller_id__in=list(seller_ids), settled_at__isnull=True
    )
    if client_ids is not None:
        credits = credits.filter(client_id__in=list(client_ids))
    rows = list(credits.values_list("pk", "seller_id", "client_id", "amount"))
    used = _used_by_credit(pk for pk, *_rest in rows)
    available: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for pk, seller_id, client_id, amount in rows:
        available[seller_id, client_id] += amount - used.get(pk, ZERO)
    return {key: round_cents(amount) for key, amount in available.items() if amount > 0}


@dataclass
class CreditAccount:
    """A client's credit with one seller: where it came from, what became of it, what is left."""

    seller: LegalSeller
    client: Client
    credits: list[ClientCredit] = field(default_factory=list)
    allocations: list[CreditAllocation] = field(default_factory=list)
    open_invoices: list[Invoice] = field(default_factory=list)

    @property
    def available(self) -> Decimal:
        return money_sum(
            credit.amount - credit.allocations_total for credit in self.credits if credit.settled_at is None
        )


def credit_accounts(collective_id: int, seller_ids) -> list[CreditAccount]:
    """Every client credit of the sellers given, with its uses and the invoices it may still pay, grouped
    by seller and client; a fixed number of queries whatever the data size. READ."""
    credits = list(
        ClientCredit.objects.filter(collective_id=collective_id, seller_id__in=list(seller_ids))
        .exclude(payment__reversed_at__isnull=False)
        .select_related("seller__user", "client", "payment__invoice")
        .order_by("pk")
    )
    allocations = list(
        CreditAllocation.objects.filter(credit__in=credits)
        .select_related("invoice", "recorded_by")
        .order_by("made_on", "pk")
    )
    used: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for allocation in allocations:
        used[allocation.credit_id] += allocation.amount
    accounts: dict[tuple[int, int], CreditAccount] = {}
    for credit in credits:
        credit.allocations_total = used[credit.pk]
        account = accounts.setdefault(
            (credit.seller_id, credit.client_id), CreditAccount(seller=credit.seller, client=credit.client)
        )
        account.credits.append(credit)
    by_credit = {credit.pk: credit for credit in credits}
    for allocation in allocations:
        credit = by_credit[allocation.credit_id]
        accounts[credit.seller_id, credit.client_id].allocations.append(allocation)
    open_invoices = (
        Invoice.objects.filter(
            collective_id=collective_id,
            seller_id__in=list(seller_ids),
            client_id__in={client_id for _seller, client_id in accounts},
            status=Invoice.Status.ISSUED,
            document_type=PAYABLE_DOCUMENT_TYPE,
            payment_status__in=(Invoice.PaymentStatus.OPEN, Invoice.PaymentStatus.PARTLY_PAID),
        )
        .select_related("client")
        .order_by("due_on", "number")
    )
    for invoice in open_invoices:
        account = accounts.get((invoice.seller_id, invoice.client_id))
        if account is not None:
            account.open_invoices.append(invoice)
    return sorted(
        accounts.values(),
        key=lambda account: (account.seller.display_name.lower(), account.client.name.lower()),
    )


def _clean_amount(amount, errors: dict) -> Decimal:
    try:
        amount = round_cents(to_decimal(amount))
    except MoneyError:
        errors["amount"] = _("Enter an amount such as 1200.50.")
        return ZERO
    if amount <= 0:
        errors["amount"] = _("Enter a positive amount.")
    return amount


def _locked_credits(*, client_id: int, seller_id: int) -> list[ClientCredit]:
    """The client's credits with the seller not yet used up, locked oldest first, each with what is left."""
    credits = list(
        ClientCredit.objects.select_for_update()
        .filter(client_id=client_id, seller_id=seller_id, settled_at__isnull=True)
        .order_by("pk")
    )
    used = _used_by_credit(credit.pk for credit in credits)
    for credit in credits:
        credit.left = round_cents(credit.amount - used.get(credit.pk, ZERO))
    return [credit for credit in credits if credit.left > 0]


def _allocate(credits: list[ClientCredit], amount: Decimal, **values) -> list[CreditAllocation]:
    """Spend `amount` from the credits, oldest first; a credit used up is marked settled."""
    allocations, left_to_spend = [], amount
    settled_note = (
        _("Applied to invoices") if values["kind"] == CreditAllocation.Kind.APPLIED else _("Refunded")
    )
    for credit in credits:
        if left_to_spend <= 0:
            break
        part = min(credit.left, left_to_spend)
        allocations.append(
            CreditAllocation.objects.create(
                collective_id=credit.collective_id, credit=credit, amount=part, **values
            )
        )
        left_to_spend -= part
        if part == credit.left:
            credit.settled_at = timezone.now()
            credit.settled_note = settled_note
            credit.save(update_fields=["settled_at", "settled_note"])
    return allocations


def _over_credit_error(available: Decimal) -> str:
    return _("The client has only %(available)s of credit with this seller.") % {
        "available": euros(available)
    }


@transaction.atomic
def credit_apply(*, by, invoice_id: int, amount) -> list[CreditAllocation]:
    """Apply the client's credit with the invoice's seller to the invoice (all or part of its balance):
    for whoever may record the invoice's payments."""
    invoice = invoice_for_payment(by, invoice_id)
    errors: dict = {}
    amount = _clean_amount(amount, errors)
    if (
        invoice.status != Invoice.Status.ISSUED
        or invoice.document_type != PAYABLE_DOCUMENT_TYPE
        or invoice.client_id is None
    ):
        raise ValidationError(_("A credit pays only an issued invoice to a client."))
    balance = invoice_balance(invoice)
    credits = _locked_credits(client_id=invoice.client_id, seller_id=invoice.seller_id)
    available = money_sum(credit.left for credit in credits)
    if not errors:
        if balance <= 0:
            errors["amount"] = _("This invoice has nothing left to pay.")
        elif amount > balance:
            errors["amount"] = _("The invoice's balance is %(balance)s: apply at most that.") % {
                "balance": euros(balance)
            }
        elif amount > available:
            errors["amount"] = _over_credit_error(available)
    if errors:
        raise ValidationError(errors)
    allocations = _allocate(
        credits,
        amount,
        kind=CreditAllocation.Kind.APPLIED,
        invoice=invoice,
        made_on=timezone.localdate(),
        recorded_by=by,
    )
    invoice_paid_refresh(invoice)
    return allocations


@transaction.atomic
def credit_refund(
    *, by, seller_id: int, client_id: int, refunded_on: date, amount, method: str, reference: str = ""
) -> list[CreditAllocation]:
    """Record that the seller paid the client's credit back (all or part): for the owner of the seller's
    account or an admin."""
    seller = seller_account_for(by, seller_id)
    if not Client.objects.filter(pk=client_id, collective_id=seller.collective_id).exists():
        raise AccessDenied(_("Only members of the collective can do this."))
    errors: dict = {}
    amount = _clean_amount(amount, errors)
    if not isinstance(refunded_on, date):
        errors["refunded_on"] = _("Enter the date of the refund.")
    else:
        try:
            date_in_range(refunded_on)
        except ValidationError as error:
            errors["refunded_on"] = error.messages[0]
        if refunded_on > timezone.localdate():
            errors["refunded_on"] = _("A refund cannot be in the future.")
    if method not in Payment.Method.values:
        errors["method"] = _("Choose how the refund was made.")
    reference = " ".join((reference or "").split())
    if len(reference) > 140:
        errors["reference"] = _("The reference is at most 140 characters.")
    credits = _locked_credits(client_id=client_id, seller_id=seller.pk)
    available = money_sum(credit.left for credit in credits)
    if "amount" not in errors and amount > available:
        errors["amount"] = _over_credit_error(available)
    if errors:
        raise ValidationError(errors)
    return _allocate(
        credits,
        amount,
        kind=CreditAllocation.Kind.REFUNDED,
        made_on=refunded_on,
        method=method,
        reference=reference,
        recorded_by=by,
    )
