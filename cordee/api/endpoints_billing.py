"""Billing through the API, read only: issued invoices and credit notes with their files, quotes once sent,
payments, revenue splits once proposed. Drafts are never exposed; everything is scoped to the token's
collective like the other resources. Issuing, sending and recording payments stay on the pages.
"""

from typing import Literal

from django.db.models import DateTimeField, Max, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.shortcuts import get_object_or_404
from ninja import Query

from cordee.api import schemas, schemas_billing
from cordee.api.api import api, page
from cordee.api.endpoints import ChangedMissionListParams, _scoped, _since
from cordee.api.schemas import Code, Id
from cordee.api.schemas_billing import Day
from cordee.billing.models import Invoice, Payment, Quote, RevenueSplit, SplitApproval, SplitShare

# The stored files are served by their own operations, never inside a list.
FILE_FIELDS = ("pdf", "xml")


def _latest(queryset: QuerySet, field: str) -> Subquery:
    """The latest `field` of the rows of `queryset` (filtered on OuterRef), as a subquery."""
    return Subquery(
        queryset.order_by().values(field).annotate(latest=Max(field)).values("latest")[:1],
        output_field=DateTimeField(),
    )


def _changed_at(created: str, *moments) -> Greatest:
    """The latest of the moments, each read as the creation when it is null (SQLite's GREATEST is null
    when any argument is)."""
    return Greatest(created, *(Coalesce(moment, created, output_field=DateTimeField()) for moment in moments))


def _issued(request) -> QuerySet:
    payments = Payment.objects.filter(invoice=OuterRef("pk"))
    credit_notes = Invoice.objects.filter(corrects=OuterRef("pk")).exclude(status=Invoice.Status.DRAFT)
    return (
        _scoped(request, Invoice)
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


class InvoiceListParams(ChangedMissionListParams):
    status: Code | None = None
    payment_status: Code | None = None
    seller_id: Id | None = None
    document_type: Literal["380", "381"] | None = None
    issued_from: Day | None = None
    issued_to: Day | None = None


@api.get("/invoices", response=schemas.list_responses(schemas_billing.InvoiceOut), tags=["billing"])
def invoices_list(request, params: Query[InvoiceListParams]):
    """Issued invoices and credit notes (drafts never), filtered by mission, status, payment, seller, type
    and issue dates (inclusive)."""
    queryset = _since(_issued(request), params, field="changed_at")
    filters = {
        "mission_id": params.mission_id,
        "status": params.status,
        "payment_status": params.payment_status,
        "seller_id": params.seller_id,
        "document_type": params.document_type,
        "issued_on__gte": params.issued_from,
        "issued_on__lte": params.issued_to,
    }
    queryset = queryset.filter(**{name: value for name, value in filters.items() if value is not None})
    return page(request, queryset, schemas_billing.InvoiceOut, limit=params.limit, cursor=params.cursor)


@api.get(
    "/invoices/{invoice_id}",
    response=schemas.responses(200, schemas_billing.InvoiceDetailOut),
    tags=["billing"],
)
def invoice_read(request, invoice_id: Id):
    """One issued invoice or credit note: lines, totals, VAT per rate, the seller and buyer as issued, what
    was paid and credited, and its credit notes."""
    credit_notes = (
        Invoice.objects.exclude(status=Invoice.Status.DRAFT)
        .only("pk", "number", "issued_on", "total_incl_tax", "corrects_id")
        .order_by("pk")
    )
    queryset = _issued(request).prefetch_related(
        "lines", Prefetch("credit_notes", queryset=credit_notes, to_attr="issued_credit_notes")
    )
    return get_object_or_404(queryset, pk=invoice_id)


class QuoteListParams(ChangedMissionListParams):
    status: Code | None = None


@api.get("/quotes", response=schemas.list_responses(schemas_billing.QuoteOut), tags=["billing"])
def quotes_list(request, params: Query[QuoteListParams]):
    """Quotes once sent (drafts never): sent, accepted, declined or revised."""
    revisions = Quote.objects.filter(supersedes=OuterRef("pk"))
    queryset = (
        _scoped(request, Quote)
        .exclude(status=Quote.Status.DRAFT)
        .defer("pdf", "accepted_ip", "accepted_user_agent")
        .annotate(
            changed_at=_changed_at(
                "created_at", "sent_at", "accepted_at", "declined_at", _latest(revisions, "sent_at")
            )
        )
    )
    queryset = _since(queryset, params, field="changed_at")
    if params.mission_id is not None:
        queryset = queryset.filter(mission_id=params.mission_id)
    if params.status:
        queryset = queryset.filter(status=params.status)
    return page(request, queryset, schemas_billing.QuoteOut, limit=params.limit, cursor=params.cursor)


class PaymentListParams(ChangedMissionListParams):
    invoice_id: Id | None = None
    paid_from: Day | None = None
    paid_to: Day | None = None


@api.get("/payments", response=schemas.list_responses(schemas_billing.PaymentOut), tags=["billing"])
def payments_list(request, params: Query[PaymentListParams]):
    """Payments recorded against issued invoices, reversed ones included (with `reversed_at`)."""
    queryset = (
        _scoped(request, Payment)
        .exclude(invoice__status=Invoice.Status.DRAFT)
        .annotate(changed_at=_changed_at("created_at", "reversed_at"))
    )
    queryset = _since(queryset, params, field="changed_at")
    filters = {
        "invoice__mission_id": params.mission_id,
        "invoice_id": params.invoice_id,
        "paid_on__gte": params.paid_from,
        "paid_on__lte": params.paid_to,
    }
    queryset = queryset.filter(**{name: value for name, value in filters.items() if value is not None})
    return page(request, queryset, schemas_billing.PaymentOut, limit=params.limit, cursor=params.cursor)


class SplitListParams(ChangedMissionListParams):
    status: Code | None = None


@api.get("/splits", response=schemas.list_responses(schemas_billing.SplitOut), tags=["billing"])
def splits_list(request, params: Query[SplitListParams]):
    """Revenue splits once proposed (drafts never), with their shares and each member's decision."""
    approvals = SplitApproval.objects.filter(split=OuterRef("pk"))
    revisions = RevenueSplit.objects.filter(supersedes=OuterRef("pk"))
    queryset = (
        _scoped(request, RevenueSplit)
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
    queryset = _since(queryset, params, field="changed_at")
    if params.mission_id is not None:
        queryset = queryset.filter(mission_id=params.mission_id)
    if params.status:
        queryset = queryset.filter(status=params.status)
    return page(request, queryset, schemas_billing.SplitOut, limit=params.limit, cursor=params.cursor)
