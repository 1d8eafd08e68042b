"""Exports for accountants and members (INVOICING_FR.md section 5): per legal seller, the sales and bank
journal in FEC layout and the invoices CSV; per member, the receipts book (livre des recettes) as CSV and
PDF. Each runs in the worker as an `ExportJob` whose progress its page polls.

Who may export a seller's books: the member for their own business, the collective's admins for its
entity (the same rule as paying out from its account).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cordee.billing import fec
from cordee.billing.models import (
    CreditAllocation,
    ExportJob,
    Invoice,
    LegalSeller,
    Payment,
    Payout,
    PayoutBatch,
)
from cordee.billing.pdf import pdf_render
from cordee.billing.receipts import Receipt, receipts_header, receipts_in_order, receipts_rows, receipts_total
from cordee.billing.services.payouts import seller_admin_for
from cordee.billing.services.sellers import seller_identity
from cordee.collectives.access import membership_for
from cordee.core.access import AccessDenied
from cordee.core.csv import csv_bytes

EXPORT_LEASE = timedelta(minutes=10)
PAYOUT_REFERENCE = re.compile(r"\bCORDEE-PAYOUT-\d+\b")
FIRST_YEAR = 2000
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ExportFile:
    name: str
    content_type: str
    content: bytes


def _year_range(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _buyer_name(invoice: Invoice) -> str:
    return (invoice.buyer_snapshot or {}).get("name") or (
        invoice.client.name if invoice.client_id else invoice.buyer_seller.display_name
    )


def _buyer_account(invoice: Invoice) -> str:
    return f"C{invoice.client_id}" if invoice.client_id else f"S{invoice.buyer_seller_id}"


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


# --- The builders (plain functions the tests call directly) ------------------------------------------


def journal_entries(seller: LegalSeller, year: int, progress: Progress | None = None) -> list[fec.Entry]:
    """The seller's sales (invoices and credit notes issued in the year), the receipts of its invoices,
    the client credits it refunded and its payouts paid in the year, as balanced entries."""
    first, last = _year_range(year)
    invoices = list(
        Invoice.objects.filter(seller=seller, issued_on__range=(first, last))
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("client", "buyer_seller__user")
        .order_by("issued_on", "pk")
    )
    payments = list(
        Payment.objects.filter(invoice__seller=seller, paid_on__range=(first, last), reversed_at__isnull=True)
        .select_related("invoice__client", "invoice__buyer_seller__user")
        .order_by("paid_on", "pk")
    )
    payouts = list(
        Payout.objects.filter(batch__seller=seller, batch__status=PayoutBatch.Status.PAID)
        .filter(batch__paid_at__date__range=(first, last))
        .select_related("batch", "member")
        .order_by("batch__paid_at", "pk")
    )
    refunds = _refunds(seller, first, last)
    member_account = fec.SUPPLIERS if seller.is_member else fec.OTHER_THIRD_PARTIES
    total = len(invoices) + len(payments) + len(refunds) + len(payouts)
    entries = []
    for invoice in invoices:
        entries.append(
            fec.sale_entry(
                on=invoice.issued_on,
                number=invoice.number,
                client_number=_buyer_account(invoice),
                client_name=_buyer_name(invoice),
                excl_tax=invoice.total_excl_tax,
                tax=invoice.total_tax,
                incl_tax=invoice.total_incl_tax,
                is_credit_note=invoice.is_credit_note,
            )
        )
        _report(progress, len(entries), total)
    for payment in payments:
        invoice = payment.invoice
        entries.append(
            fec.receipt_entry(
                on=payment.paid_on,
                invoice_number=invoice.number,
                invoice_date=invoice.issued_on,
                client_number=_buyer_account(invoice),
                client_name=_buyer_name(invoice),
                amount=payment.amount,
            )
        )
        _report(progress, len(entries), total)
    for refund in refunds:
        entries.append(
            fec.refund_entry(
                on=refund.made_on,
                reference=refund.reference or f"REMB-{refund.pk}",
                client_number=f"C{refund.credit.client_id}",
                client_name=refund.credit.client.name,
                amount=refund.amount,
            )
        )
        _report(progress, len(entries), total)
    for payout in payouts:
        entries.append(
            fec.payout_entry(
                on=timezone.localdate(payout.batch.paid_at),
                reference=payout.end_to_end_id,
                member_number=f"M{payout.member_id}",
                member_name=payout.account_holder,
                amount=payout.amount,
                member_account=member_account,
            )
        )
        _report(progress, len(entries), total)
    return entries


def _refunds(seller: LegalSeller, first: date, last: date) -> list[CreditAllocation]:
    return list(
        CreditAllocation.objects.filter(
            credit__seller=seller, kind=CreditAllocation.Kind.REFUNDED, made_on__range=(first, last)
        )
        .select_related("credit__client")
        .order_by("made_on", "pk")
    )


def journal_file(seller: LegalSeller, year: int, progress: Progress | None = None) -> ExportFile:
    siren = seller_identity(seller)["siren"]
    if not (siren and len(siren) == 9 and siren.isdigit()):
        raise ValidationError(
            _(
                "%(seller)s has no SIREN: the journal's file is named after it. Complete the legal identity first."
            )
            % {"seller": seller.display_name}
        )
    content = fec.fec_file(journal_entries(seller, year, progress))
    return ExportFile(fec.fec_filename(siren, date(year, 12, 31)), "text/plain; charset=iso-8859-15", content)


def member_receipts(seller: LegalSeller, year: int, progress: Progress | None = None) -> list[Receipt]:
    """A member business's receipts of the year by payment date: its clients' payments, the payouts of
    the seller it invoiced (lead or entity), and the client credits it refunded (negative). A payout whose reference a recorded payment carries (the
    member matched it on their own bank statement) is that payment, listed once."""
    first, last = _year_range(year)
    payments = list(
        Payment.objects.filter(invoice__seller=seller, paid_on__range=(first, last), reversed_at__isnull=True)
        .select_related("invoice__client", "invoice__buyer_seller__user", "invoice__mission")
        .order_by("paid_on", "pk")
    )
    payouts = []
    if seller.is_member:
        payouts = list(
            Payout.objects.filter(
                collective_id=seller.collective_id,
                member_id=seller.user_id,
                batch__status=PayoutBatch.Status.PAID,
                batch__paid_at__date__range=(first, last),
            )
            .select_related("batch__seller__user")
            .order_by("batch__paid_at", "pk")
        )
    recorded = {
        reference
        for payment in payments
        if payment.invoice.buyer_seller_id
        for reference in PAYOUT_REFERENCE.findall(payment.reference)
    }
    payouts = [payout for payout in payouts if payout.end_to_end_id not in recorded]
    refunds = _refunds(seller, first, last)
    total = len(payments) + len(payouts) + len(refunds)
    receipts = []
    for payment in payments:
        invoice = payment.invoice
        receipts.append(
            Receipt(
                paid_on=payment.paid_on,
                client=_buyer_name(invoice),
                nature=invoice.mission.title,
                amount=payment.amount,
                method=str(payment.get_method_display()),
                invoice_number=invoice.number,
                reference=payment.reference,
            )
        )
        _report(progress, len(receipts), total)
    for payout in payouts:
        receipts.append(
            Receipt(
                paid_on=timezone.localdate(payout.batch.paid_at),
                client=payout.batch.seller.display_name,
                nature=payout.remittance,
                amount=payout.amount,
                method=str(Payment.Method.TRANSFER.label),
                invoice_number=", ".join(reference["invoice_number"] for reference in payout.references),
                reference=payout.end_to_end_id,
            )
        )
        _report(progress, len(receipts), total)
    for refund in refunds:
        receipts.append(
            Receipt(
                paid_on=refund.made_on,
                client=refund.credit.client.name,
                nature=_("Refund of the client's credit"),
                amount=-refund.amount,
                method=str(refund.get_method_display()),
                invoice_number="",
                reference=refund.reference,
            )
        )
        _report(progress, len(receipts), total)
    return receipts_in_order(receipts)


def _slug(text: str) -> str:
    return "".join(char if char.isalnum() else "-" for char in text.lower()).strip("-")[:40] or "export"


def receipts_csv(seller: LegalSeller, year: int, progress: Progress | None = None) -> ExportFile:
    content = csv_bytes(receipts_header(), receipts_rows(member_receipts(seller, year, progress)))
    return ExportFile(
        f"livre-des-recettes-{_slug(seller.display_name)}-{year}.csv", "text/csv; charset=utf-8", content
    )


def receipts_pdf(seller: LegalSeller, year: int, progress: Progress | None = None) -> ExportFile:
    receipts = member_receipts(seller, year, progress)
    content = pdf_render(
        "billing/pdf/receipts_book.html",
        {
            "seller": seller_identity(seller),
            "year": year,
            "receipts": receipts,
            "total": receipts_total(receipts),
            "printed_on": timezone.localdate(),
        },
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    return ExportFile(
        f"livre-des-recettes-{_slug(seller.display_name)}-{year}.pdf", "application/pdf", content
    )


def invoices_header() -> list[str]:
    return [
        _("Number"),
        _("Document"),
        _("Issue date"),
        _("Due date"),
        _("Buyer"),
        _("Mission"),
        _("Total excl. VAT (€)"),
        _("VAT (€)"),
        _("Total incl. VAT (€)"),
        _("Credited (€)"),
        _("Paid (€)"),
        _("Payment"),
    ]


def invoices_csv(seller: LegalSeller, year: int, progress: Progress | None = None) -> ExportFile:
    first, last = _year_range(year)
    invoices = list(
        Invoice.objects.filter(seller=seller, issued_on__range=(first, last))
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("client", "buyer_seller__user", "mission")
        .order_by("issued_on", "number")
    )
    rows = []
    for invoice in invoices:
        rows.append(
            [
                invoice.number,
                invoice.get_document_type_display(),
                invoice.issued_on,
                invoice.payment_due_on,
                _buyer_name(invoice),
                invoice.mission.title,
                invoice.total_excl_tax,
                invoice.total_tax,
                invoice.total_incl_tax,
                invoice.amount_credited,
                invoice.amount_paid,
                invoice.get_payment_status_display(),
            ]
        )
        _report(progress, len(rows), len(invoices))
    content = csv_bytes(invoices_header(), rows)
    return ExportFile(f"factures-{_slug(seller.display_name)}-{year}.csv", "text/csv; charset=utf-8", content)


BUILDERS = {
    ExportJob.Kind.JOURNAL: journal_file,
    ExportJob.Kind.RECEIPTS_CSV: receipts_csv,
    ExportJob.Kind.RECEIPTS_PDF: receipts_pdf,
    ExportJob.Kind.INVOICES_CSV: invoices_csv,
}


# --- Jobs ---------------------------------------------------------------------------------------------


def export_sellers(user, collective_id: int) -> list[LegalSeller]:
    """The sellers whose books `user` may export: their own business, and the entity for an admin."""
    membership = membership_for(user, collective_id)
    condition = Q(kind=LegalSeller.Kind.MEMBER, user_id=user.pk)
    if membership.is_admin:
        condition |= Q(kind=LegalSeller.Kind.ENTITY)
    return list(LegalSeller.objects.select_related("user").filter(condition, collective_id=collective_id))


@transaction.atomic
def export_request(*, by, seller_id: int, kind: str, year: int) -> ExportJob:
    """Queue an export of a seller's books for a year; the worker builds it (`export_run`)."""
    seller = seller_admin_for(by, seller_id)
    if kind not in ExportJob.Kind.values:
        raise ValidationError({"kind": _("Choose an export.")})
    this_year = timezone.localdate().year
    if not FIRST_YEAR <= int(year) <= this_year:
        raise ValidationError(
            {
                "year": _("Choose a year between %(first)d and %(last)d.")
                % {"first": FIRST_YEAR, "last": this_year}
            }
        )
    if kind in (ExportJob.Kind.RECEIPTS_CSV, ExportJob.Kind.RECEIPTS_PDF) and not seller.is_member:
        raise ValidationError({"kind": _("A receipts book is a member's: choose your own business.")})
    job = ExportJob.objects.create(
        collective_id=seller.collective_id, kind=kind, seller=seller, year=int(year), requested_by=by
    )
    return job


def _claim(job_id: int) -> bool:
    """Take the job if it waits, or if its worker died (lease lapsed): one conditional update."""
    now = timezone.now()
    return bool(
        ExportJob.objects.filter(pk=job_id)
        .filter(
            Q(status=ExportJob.Status.PENDING)
            | Q(status=ExportJob.Status.RUNNING, claimed_at__lte=now - EXPORT_LEASE)
        )
        .update(status=ExportJob.Status.RUNNING, claimed_at=now, progress=0)
    )


def export_run(job_id: int) -> bool:
    """Build a queued export in the worker, saving its progress as it goes; False when another worker
    holds it or it is finished."""
    if not _claim(job_id):
        return False
    job = ExportJob.objects.select_related("seller__user", "requested_by").get(pk=job_id)
    last = {"percent": 0}

    def progress(done: int, total: int) -> None:
        percent = min(99, done * 100 // max(total, 1))
        if percent >= last["percent"] + 5:
            last["percent"] = percent
            ExportJob.objects.filter(pk=job_id).update(progress=percent, claimed_at=timezone.now())

    try:
        with translation.override(job.requested_by.language or settings.LANGUAGE_CODE):
            result = BUILDERS[job.kind](job.seller, job.year, progress)
    except (ValidationError, fec.UnbalancedEntry) as error:
        message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED, error=message[:300], finished_at=timezone.now()
        )
        return True
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.DONE,
        progress=100,
        file=result.content,
        file_name=result.name,
        content_type=result.content_type,
        finished_at=timezone.now(),
    )
    return True


def export_job_for(*, by, job_id: int) -> ExportJob:
    """An export, for the member who asked for it (still a member of the collective)."""
    job = ExportJob.objects.select_related("seller__user").filter(pk=job_id).first()
    if job is None or job.requested_by_id != by.pk:
        raise AccessDenied(_("Only the member who asked for this export can see it."))
    membership_for(by, job.collective_id)
    return job


def export_jobs(user, collective_id: int, *, limit: int = 10) -> list[ExportJob]:
    membership_for(user, collective_id)
    return list(
        ExportJob.objects.filter(collective_id=collective_id, requested_by=user)
        .select_related("seller__user")
        .defer("file")[:limit]
    )
