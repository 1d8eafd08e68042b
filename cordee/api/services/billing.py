"""What billing shows through the API: issued documents only, never drafts, each with the moment it last
changed (for `updated_since`). Read-only: every function takes the token's collective and filters on it.
"""

from django.db.models import DateTimeField, Max, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from cordee.billing.models import Invoice, Payment, Quote, RevenueSplit, SplitApproval, SplitShare

# The stored files are read by their own operations, never with a list.
FILE_FIELDS = ("pdf", "xml")


def _latest(queryset: QuerySet, field: str) -> Subquery:
    """The latest `field` of the rows of `queryset` (filtered on an OuterRef), as a subquery."""
    return Subquery(
        queryset.order_by().values(field).annotate(latest=Max(field)).values("latest")[:1],
        output_field=DateTimeField(),
    )


def _changed_at(created: str, *moments) -> Greatest:
    """The latest of the moments, each read as the creation when null (SQLite's GREATEST is null when any
    argument is)."""
    return Greatest(created, *(Coalesce(moment, created, output_field=DateTimeField()) for moment in moments))


def issued_invoices(collective_id: int) -> QuerySet:
    """The collective's issued (or cancelled) invoices and credit notes, without their files, with
    `changed_at`: the issue, the sending, the cancellation, a payment or its reversal, a credit note."""
    payments = Payment.objects.filter(invoice=OuterRef("pk"))
    credit_notes = Invoice.objects.filter(corrects=OuterRef("pk")).exclude(status=Invoice.Status.DRAFT)
    return (
        Invoice.objects.filter(collective_id=collective_id)
        .exclude(status=Invoice.Status.DRAFT)
        .defer(*FILE_FIELDS)
        .annotate(
            changed_at=_changed_at(
                "created_at",
                "issued_at",
                "sent_at",
                "cancelled_at",
                _latest(payments, "created_at"),
                _latest(payments, "reversed_at"),
                _latest(credit_notes, "issued_at"),
            )
        )
    )


def issued_invoice_detail(collective_id: int) -> QuerySet:
    """`issued_invoices` with their lines and their issued credit notes (`issued_credit_notes`)."""
    credit_notes = (
        Invoice.objects.exclude(status=Invoice.Status.DRAFT)
        .only("pk", "number", "issued_on", "total_incl_tax", "corrects_id")
        .order_by("pk")
    )
    return issued_invoices(collective_id).prefetch_related(
        "lines", Prefetch("credit_notes", queryset=credit_notes, to_attr="issued_credit_notes")
    )


def issued_invoice_files(collective_id: int) -> QuerySet:
    """The collective's issued invoices with their stored files and fingerprints, nothing else."""
    return (
        Invoice.objects.filter(collective_id=collective_id)
        .exclude(status=Invoice.Status.DRAFT)
        .only(
            "pk",
            "collective_id",
            "document_type",
            "status",
            "number",
            *FILE_FIELDS,
            "pdf_sha256",
            "xml_sha256",
        )
    )


def sent_quotes(collective_id: int) -> QuerySet:
    """Quotes once sent (sent, accepted, declined, revised), without the PDF nor the acceptor's IP and
    browser, with `changed_at`."""
    revisions = Quote.objects.filter(supersedes=OuterRef("pk"))
    return (
        Quote.objects.filter(collective_id=collective_id)
        .exclude(status=Quote.Status.DRAFT)
        .defer("pdf", "accepted_ip", "accepted_user_agent")
        .annotate(
            changed_at=_changed_at(
                "created_at", "sent_at", "accepted_at", "declined_at", _latest(revisions, "sent_at")
            )
        )
    )


def recorded_payments(collective_id: int) -> QuerySet:
    """Payments of the collective's issued invoices, reversed ones included, with `changed_at`."""
    return (
        Payment.objects.filter(collective_id=collective_id)
        .exclude(invoice__status=Invoice.Status.DRAFT)
        .annotate(changed_at=_changed_at("created_at", "reversed_at"))
    )


def proposed_splits(collective_id: int) -> QuerySet:
    """Revenue splits once proposed (proposed, approved, superseded) with their shares and decisions, and
    `changed_at`: the proposal, a decision, the approval, a later version."""
    approvals = SplitApproval.objects.filter(split=OuterRef("pk"))
    revisions = RevenueSplit.objects.filter(supersedes=OuterRef("pk"))
    return (
        RevenueSplit.objects.filter(collective_id=collective_id)
        .exclude(status=RevenueSplit.Status.DRAFT)
        .annotate(
            changed_at=_changed_at(
                "created_at",
                "proposed_at",
                "approved_at",
                _latest(approvals, "decided_at"),
                _latest(revisions, "created_at"),
            )
        )
        .prefetch_related(
            Prefetch("shares", queryset=SplitShare.objects.order_by("pk")),
            Prefetch("approvals", queryset=SplitApproval.objects.order_by("decided_at", "pk")),
        )
    )
