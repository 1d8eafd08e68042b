"""What billing shows through the API: issued documents only, never drafts, each with the moment it last
changed (for `updated_since`). Read-only: every function takes the token's membership and filters through
billing's reading rule (`cordee.billing.access`), the same as the pages', within the token's collective.
"""

from django.db.models import DateTimeField, Max, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from cordee.billing.access import readable_invoices, readable_missions
from cordee.billing.models import Invoice, Payment, Quote, RevenueSplit, SplitApproval, SplitShare

# The stored files are read by their own operations, never with a list.
FILE_FIELDS = ("pdf", "xml")
# The businesses an invoice is between: whether a reader sees their bank details depends on them.
PARTIES = ("seller", "buyer_seller")


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


def issued_invoices(membership) -> QuerySet:
    """The issued (or cancelled) invoices and credit notes the member reads, without their files, with
    `changed_at`: the issue, the sending, the cancellation, a payment or its reversal, a credit note."""
    payments = Payment.objects.filter(invoice=OuterRef("pk"))
    credit_notes = Invoice.objects.filter(corrects=OuterRef("pk")).exclude(status=Invoice.Status.DRAFT)
    return (
        Invoice.objects.filter(readable_invoices(membership))
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


def issued_invoice_detail(membership) -> QuerySet:
    """`issued_invoices` with their lines, their issued credit notes (`issued_credit_notes`) and whose
    businesses they are between (for `invoice_parties`)."""
    credit_notes = (
        Invoice.objects.exclude(status=Invoice.Status.DRAFT)
        .only("pk", "number", "issued_on", "total_incl_tax", "corrects_id")
        .order_by("pk")
    )
    return (
        issued_invoices(membership)
        .select_related("seller", "buyer_seller", "issuer")
        .prefetch_related(
            "lines", Prefetch("credit_notes", queryset=credit_notes, to_attr="issued_credit_notes")
        )
    )


def issued_invoice_files(membership) -> QuerySet:
    """The issued invoices the member reads with their stored files and fingerprints, and whose businesses
    they are between (for `may_read_files`), nothing else."""
    parties = [f"{party}__{name}" for party in PARTIES for name in ("kind", "user_id", "collective_id")]
    return (
        Invoice.objects.filter(readable_invoices(membership))
        .exclude(status=Invoice.Status.DRAFT)
        .select_related(*PARTIES)
        .only(
            "pk",
            "collective_id",
            "document_type",
            "status",
            "number",
            "client_id",
            *FILE_FIELDS,
            "pdf_sha256",
            "xml_sha256",
            *parties,
        )
    )


def sent_quotes(membership) -> QuerySet:
    """Quotes once sent (sent, accepted, declined, revised) of the missions whose billing the member reads,
    without the PDF nor the acceptor's IP and browser, with `changed_at`."""
    revisions = Quote.objects.filter(supersedes=OuterRef("pk"))
    return (
        Quote.objects.filter(readable_missions(membership))
        .exclude(status=Quote.Status.DRAFT)
        .defer("pdf", "accepted_ip", "accepted_user_agent")
        .annotate(
            changed_at=_changed_at(
                "created_at", "sent_at", "accepted_at", "declined_at", _latest(revisions, "sent_at")
            )
        )
    )


def recorded_payments(membership) -> QuerySet:
    """Payments of the issued invoices the member reads, reversed ones included, with `changed_at`."""
    return (
        Payment.objects.filter(readable_invoices(membership, prefix="invoice__"))
        .exclude(invoice__status=Invoice.Status.DRAFT)
        .annotate(changed_at=_changed_at("created_at", "reversed_at"))
    )


def proposed_splits(membership) -> QuerySet:
    """Revenue splits once proposed (proposed, approved, superseded) of the missions whose billing the
    member reads, with their shares and decisions, and `changed_at`: the proposal, a decision, the
    approval, a later version."""
    approvals = SplitApproval.objects.filter(split=OuterRef("pk"))
    revisions = RevenueSplit.objects.filter(supersedes=OuterRef("pk"))
    return (
        RevenueSplit.objects.filter(readable_missions(membership))
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
