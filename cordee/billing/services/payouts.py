"""Payouts to members from the account of the seller that was paid (INVOICING_FR.md section 4, R-6.3).

Only when the lead re-invoices or the collective's entity invoices does one seller collect the client's
money for others; there each member invoices that seller for their share of the approved split. Once the
client's invoice is paid, the seller owes each member what their invoice to it says (incl. VAT, less
credit notes) less what was already paid out. The seller's admin (the lead themself, or an admin of the
collective for its entity) batches these, approves the batch, exports its SEPA file, and marks it paid
once the bank ran it. In the per-member and mandate modes clients pay members directly: no payout.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cordee.accounts.models import User
from cordee.billing import sepa
from cordee.billing.models import BillingPlan, Invoice, LegalSeller, Payment, Payout, PayoutBatch
from cordee.billing.pdf import sha256_hex
from cordee.billing.services.payments import payout_payments_record
from cordee.billing.services.sellers import seller_identity
from cordee.collectives.access import membership_for
from cordee.core.access import AccessDenied
from cordee.core.money import ZERO, money_sum, round_cents

PAYOUT_MODES = (BillingPlan.InvoicingMode.LEAD_REINVOICES, BillingPlan.InvoicingMode.ENTITY)
PAID_STATUSES = (Invoice.PaymentStatus.PAID, Invoice.PaymentStatus.OVERPAID)
OPEN_BATCH_STATUSES = (
    PayoutBatch.Status.DRAFT,
    PayoutBatch.Status.APPROVED,
    PayoutBatch.Status.EXPORTED,
    PayoutBatch.Status.PAID,
)


# --- Who may pay from a seller's account -------------------------------------------------------------


def seller_admin_for(by, seller_id: int, *, lock: bool = False) -> LegalSeller:
    """The seller whose account and books `by` administers, or `AccessDenied`: a member's business by
    that member only, the collective's entity by the collective's admins (R-6.3, R-4.8)."""
    sellers = LegalSeller.objects.select_related("user")
    if lock:
        sellers = sellers.select_for_update(of=("self",))
    seller = sellers.filter(pk=seller_id).first()
    if seller is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    membership = membership_for(by, seller.collective_id)
    if seller.is_member and seller.user_id != by.pk:
        raise AccessDenied(_("Only the owner of this business can pay out from its account."))
    if not seller.is_member and not membership.is_admin:
        raise AccessDenied(_("Only an admin of the collective can pay out from the entity's account."))
    return seller


def payout_sellers(user, collective_id: int) -> list[LegalSeller]:
    """The sellers of the collective whose account `user` may pay out from: their own business, and the
    entity for an admin."""
    membership = membership_for(user, collective_id)
    sellers = LegalSeller.objects.select_related("user").filter(collective_id=collective_id, archived_at=None)
    condition = Q(kind=LegalSeller.Kind.MEMBER, user_id=user.pk)
    if membership.is_admin:
        condition |= Q(kind=LegalSeller.Kind.ENTITY)
    return list(sellers.filter(condition))


# --- What each member is owed -----------------------------------------------------------------------


@dataclass
class OwedInvoice:
    """A member's invoice to the seller, for a client invoice the seller was paid."""

    invoice: Invoice
    client_invoice_number: str
    amount_due: Decimal
    paid_out: Decimal
    in_batches: Decimal

    @property
    def remaining(self) -> Decimal:
        return round_cents(self.amount_due - self.paid_out - self.in_batches)


@dataclass
class Owed:
    member: User
    items: list[OwedInvoice] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return money_sum(item.remaining for item in self.items if item.remaining > 0)

    @property
    def bank_problem(self) -> str:
        try:
            sepa.bank_account_checked(
                holder=member_holder(self.member), iban=self.member.iban, bic=self.member.bic
            )
        except ValidationError as error:
            return error.messages[0]
        return ""


def member_holder(user: User) -> str:
    return user.account_holder or user.full_name or user.display_name


def _settled_by_payouts(seller: LegalSeller) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Per member invoice: what paid batches settled, and what open batches (draft to exported) hold."""
    paid, held = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    payouts = Payout.objects.filter(batch__seller=seller, batch__status__in=OPEN_BATCH_STATUSES).values_list(
        "batch__status", "references"
    )
    for status, references in payouts:
        target = paid if status == PayoutBatch.Status.PAID else held
        for reference in references:
            target[reference["invoice_id"]] += Decimal(reference["amount"])
    return paid, held


def _recorded_from_payouts(invoices) -> dict[int, Decimal]:
    """Per invoice: the payments that paid payouts recorded on it (already counted by their batch)."""
    recorded = defaultdict(lambda: ZERO)
    rows = (
        Payment.objects.filter(invoice__in=invoices, payout__isnull=False, reversed_at__isnull=True)
        .values("invoice_id")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        recorded[row["invoice_id"]] = row["total"]
    return recorded


def owed_by_seller(seller: LegalSeller, *, mission_id: int | None = None) -> list[Owed]:
    """What the seller owes each member, from the members' invoices to it whose client invoice is paid.

    A constant number of queries whatever the number of invoices.
    """
    client_invoices = Invoice.objects.filter(
        seller=seller,
        client__isnull=False,
        document_type=Invoice.DocumentType.INVOICE,
        payment_status__in=PAID_STATUSES,
        plan__invoicing_mode__in=PAYOUT_MODES,
        batch__isnull=False,
    ).exclude(status=Invoice.Status.CANCELLED)
    if mission_id is not None:
        client_invoices = client_invoices.filter(mission_id=mission_id)
    paid_numbers = dict(client_invoices.values_list("batch_id", "number"))
    member_invoices = (
        Invoice.objects.filter(
            buyer_seller=seller,
            document_type=Invoice.DocumentType.INVOICE,
            status=Invoice.Status.ISSUED,
            batch_id__in=list(paid_numbers),
        )
        .select_related("seller__user")
        .order_by("issued_on", "pk")
    )
    paid, held = _settled_by_payouts(seller)
    recorded = _recorded_from_payouts(member_invoices)
    owed: dict[int, Owed] = {}
    for invoice in member_invoices:
        member = invoice.seller.user
        # What the invoice's own payments left due; the payouts' payments are counted as paid out.
        due = round_cents(invoice.balance_due + recorded[invoice.pk])
        item = OwedInvoice(
            invoice=invoice,
            client_invoice_number=paid_numbers[invoice.batch_id],
            amount_due=due,
            paid_out=paid[invoice.pk],
            in_batches=held[invoice.pk],
        )
        owed.setdefault(member.pk, Owed(member=member)).items.append(item)
    return sorted(owed.values(), key=lambda entry: member_holder(entry.member).lower())


# --- The batch's life ---------------------------------------------------------------------------------


def _refuse_modes_without_payouts(seller: LegalSeller, mission_id: int | None) -> None:
    if mission_id is None:
        return
    plan = (
        BillingPlan.objects.select_related("mission")
        .filter(mission_id=mission_id, collective_id=seller.collective_id, status=BillingPlan.Status.ACTIVE)
        .first()
    )
    if plan is None:
        raise ValidationError(_("This mission has no active billing plan."), code="no_plan")
    if plan.invoicing_mode not in PAYOUT_MODES:
        raise ValidationError(
            _(
                "No payout for “%(mission)s”: each member invoices the client in their own name there, and the "
                "client pays each member directly. Payouts exist only when the lead re-invoices or the "
                "collective's entity invoices."
            )
            % {"mission": plan.mission.title},
            code="mode",
        )
    if plan.seller_id != seller.pk:
        raise ValidationError(
            _("%(seller)s did not collect this mission's payments: pay out from the plan's seller's account.")
            % {"seller": seller.display_name},
            code="seller",
        )


def _debtor(seller: LegalSeller) -> sepa.Debtor:
    identity = seller_identity(seller)
    return sepa.Debtor(
        name=identity["account_holder"] or identity["name"],
        iban=identity["iban"],
        bic=identity["bic"],
        address_line=identity["address_line"],
        postal_code=identity["postal_code"],
        town=identity["city"],
        country=identity["country"],
    )


def _check_debtor(seller: LegalSeller) -> sepa.Debtor:
    debtor = _debtor(seller)
    sepa.bank_account_checked(holder=debtor.name, iban=debtor.iban, bic=debtor.bic)
    sepa.structured_address(
        address_line=debtor.address_line,
        postal_code=debtor.postal_code,
        town=debtor.town,
        country=debtor.country,
    )
    return debtor


def _remittance(seller: LegalSeller, references: list[dict]) -> str:
    prefix = _("Payout %(seller)s") % {"seller": seller.display_name}
    return sepa.remittance_text(
        [(reference["invoice_number"], Decimal(reference["amount"])) for reference in references],
        prefix=prefix,
    )


@transaction.atomic
def payout_batch_create(
    *, by, seller_id: int, execution_date: date, mission_id: int | None = None, member_ids=None
) -> PayoutBatch:
    """A draft batch of what the seller owes its members (all of them, or those listed), for one mission
    or all. Refused in the modes where clients pay members directly, and for a member whose IBAN is
    missing or invalid (named)."""
    seller = seller_admin_for(by, seller_id, lock=True)
    _refuse_modes_without_payouts(seller, mission_id)
    if execution_date < timezone.localdate():
        raise ValidationError({"execution_date": _("The transfer date cannot be in the past.")})
    _check_debtor(seller)
    owed = [entry for entry in owed_by_seller(seller, mission_id=mission_id) if entry.total > 0]
    if member_ids is not None:
        wanted = {int(member_id) for member_id in member_ids}
        owed = [entry for entry in owed if entry.member.pk in wanted]
    if not owed:
        raise ValidationError(
            _("Nobody is owed anything from paid invoices of this seller yet."), code="nothing"
        )
    problems = [entry.bank_problem for entry in owed if entry.bank_problem]
    if problems:
        raise ValidationError(problems, code="bank_details")
    batch = PayoutBatch.objects.create(
        collective_id=seller.collective_id, seller=seller, execution_date=execution_date, created_by=by
    )
    payouts = []
    for entry in owed:
        iban, bic = sepa.bank_account_checked(
            holder=member_holder(entry.member), iban=entry.member.iban, bic=entry.member.bic
        )
        references = [
            {
                "invoice_id": item.invoice.pk,
                "invoice_number": item.invoice.number,
                "client_invoice_number": item.client_invoice_number,
                "amount": str(item.remaining),
            }
            for item in entry.items
            if item.remaining > 0
        ]
        payouts.append(
            Payout(
                collective_id=seller.collective_id,
                batch=batch,
                member=entry.member,
                amount=entry.total,
                account_holder=member_holder(entry.member)[:150],
                iban=iban,
                bic=bic,
                references=references,
                remittance=_remittance(seller, references),
            )
        )
    Payout.objects.bulk_create(payouts)
    batch.total = money_sum(payout.amount for payout in payouts)
    batch.save(update_fields=["total"])
    return batch


def _batch_for_change(by, batch_id: int) -> PayoutBatch:
    batch = PayoutBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    seller_admin_for(by, batch.seller_id)
    return batch


def _refuse_unless(batch: PayoutBatch, *statuses) -> None:
    if batch.status not in statuses:
        raise ValidationError(
            _("This batch is “%(status)s”: this step is no longer possible.")
            % {"status": batch.get_status_display()},
            code="status",
        )


@transaction.atomic
def payout_batch_approve(*, by, batch_id: int) -> PayoutBatch:
    """The seller's admin approves a draft batch: only approved batches are exported (R-4.7)."""
    batch = _batch_for_change(by, batch_id)
    _refuse_unless(batch, PayoutBatch.Status.DRAFT)
    batch.status = PayoutBatch.Status.APPROVED
    batch.approved_by = by
    batch.approved_at = timezone.now()
    batch.save(update_fields=["status", "approved_by", "approved_at"])
    return batch


@transaction.atomic
def payout_batch_export(*, by, batch_id: int) -> PayoutBatch:
    """The SEPA file of an approved batch, validated, stored with its SHA-256; exporting again gives the
    same stored file."""
    batch = _batch_for_change(by, batch_id)
    if batch.status in (PayoutBatch.Status.EXPORTED, PayoutBatch.Status.PAID) and batch.file:
        return batch
    _refuse_unless(batch, PayoutBatch.Status.APPROVED)
    seller = LegalSeller.objects.select_related("user").get(pk=batch.seller_id)
    debtor = _check_debtor(seller)
    payouts = list(batch.payouts.order_by("pk"))
    transfers = [
        sepa.Transfer(
            end_to_end_id=payout.end_to_end_id,
            name=payout.account_holder,
            iban=payout.iban,
            bic=payout.bic,
            amount=payout.amount,
            remittance=payout.remittance,
        )
        for payout in payouts
    ]
    execution_date = max(batch.execution_date, timezone.localdate())
    content = sepa.credit_transfer_file(debtor=debtor, transfers=transfers, execution_date=execution_date)
    batch.file = content
    batch.file_sha256 = sha256_hex(content)
    batch.debtor_snapshot = {
        "name": debtor.name,
        "iban": debtor.iban,
        "bic": debtor.bic,
        "address_line": debtor.address_line,
        "postal_code": debtor.postal_code,
        "town": debtor.town,
        "country": debtor.country,
    }
    batch.execution_date = execution_date
    batch.status = PayoutBatch.Status.EXPORTED
    batch.exported_at = timezone.now()
    batch.save(
        update_fields=["file", "file_sha256", "debtor_snapshot", "execution_date", "status", "exported_at"]
    )
    return batch


@transaction.atomic
def payout_batch_mark_paid(*, by, batch_id: int) -> PayoutBatch:
    """The bank ran the transfers: the batch is paid, what it settles is no longer owed, and each member's
    invoice to the seller records the payment it received (shown paid, in the member's receipts book and
    statement). Marking a paid batch again records nothing more."""
    batch = _batch_for_change(by, batch_id)
    if batch.status == PayoutBatch.Status.PAID:
        return batch
    _refuse_unless(batch, PayoutBatch.Status.EXPORTED)
    batch.status = PayoutBatch.Status.PAID
    batch.paid_by = by
    batch.paid_at = timezone.now()
    batch.save(update_fields=["status", "paid_by", "paid_at"])
    payout_payments_record(batch.payouts.order_by("pk"), by=by, paid_on=timezone.localdate(batch.paid_at))
    return batch


@transaction.atomic
def payout_batch_cancel(*, by, batch_id: int) -> PayoutBatch:
    """A batch not yet paid is cancelled (kept, never deleted): what it held is owed again."""
    batch = _batch_for_change(by, batch_id)
    _refuse_unless(batch, PayoutBatch.Status.DRAFT, PayoutBatch.Status.APPROVED, PayoutBatch.Status.EXPORTED)
    batch.status = PayoutBatch.Status.CANCELLED
    batch.cancelled_at = timezone.now()
    batch.save(update_fields=["status", "cancelled_at"])
    return batch


def payout_batch_file(*, by, batch_id: int) -> PayoutBatch:
    """An exported batch with its stored file, for the seller's admin."""
    batch = PayoutBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    seller_admin_for(by, batch.seller_id)
    if not batch.file:
        raise ValidationError(_("This batch has no transfer file yet: approve it, then export it."))
    return batch


# --- A member's statement -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    invoice: Invoice
    buyer: str
    invoiced: Decimal
    received: Decimal
    paid_out: Decimal
    in_batches: Decimal


def member_statement(*, by, collective_id: int, member_id: int) -> list[StatementRow]:
    """What the member invoiced, what the buyer paid, and what was paid out to them, invoice by invoice:
    the member themself, or an admin of the collective."""
    membership = membership_for(by, collective_id)
    if member_id != by.pk and not membership.is_admin:
        raise AccessDenied(_("Only the member or an admin of the collective can see this statement."))
    invoices = list(
        Invoice.objects.filter(
            collective_id=collective_id,
            seller__kind=LegalSeller.Kind.MEMBER,
            seller__user_id=member_id,
            document_type=Invoice.DocumentType.INVOICE,
        )
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("client", "buyer_seller__user")
        .order_by("issued_on", "pk")
    )
    recorded = _recorded_from_payouts([invoice.pk for invoice in invoices])
    paid, held = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    payouts = Payout.objects.filter(
        collective_id=collective_id, member_id=member_id, batch__status__in=OPEN_BATCH_STATUSES
    ).values_list("batch__status", "references")
    for status, references in payouts:
        target = paid if status == PayoutBatch.Status.PAID else held
        for reference in references:
            target[reference["invoice_id"]] += Decimal(reference["amount"])
    rows = []
    for invoice in invoices:
        buyer = invoice.client.name if invoice.client_id else invoice.buyer_seller.display_name
        rows.append(
            StatementRow(
                invoice=invoice,
                buyer=buyer,
                invoiced=round_cents(invoice.amount_due - invoice.amount_credited),
                received=invoice.amount_paid
                + (ZERO if invoice.client_id else paid[invoice.pk] - recorded[invoice.pk]),
                paid_out=paid[invoice.pk],
                in_batches=held[invoice.pk],
            )
        )
    return rows
