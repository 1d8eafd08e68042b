"""Billing through the API, read only: issued invoices and credit notes with their files, quotes once sent,
payments, revenue splits once proposed. Drafts are never exposed; everything is scoped to the token's
collective like the other resources. Issuing, sending and recording payments stay on the pages.
"""

from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Query

from cordee.api import schemas, schemas_billing
from cordee.api.api import api, page
from cordee.api.endpoints import ChangedMissionListParams, _since
from cordee.api.schemas import Code, Id
from cordee.api.schemas_billing import Day
from cordee.api.services.billing import (
    issued_invoice_detail,
    issued_invoices,
    proposed_splits,
    recorded_payments,
    sent_quotes,
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
    queryset = _since(issued_invoices(request.collective.pk), params, field="changed_at")
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
    return get_object_or_404(issued_invoice_detail(request.collective.pk), pk=invoice_id)


class QuoteListParams(ChangedMissionListParams):
    status: Code | None = None


@api.get("/quotes", response=schemas.list_responses(schemas_billing.QuoteOut), tags=["billing"])
def quotes_list(request, params: Query[QuoteListParams]):
    """Quotes once sent (drafts never): sent, accepted, declined or revised."""
    queryset = _since(sent_quotes(request.collective.pk), params, field="changed_at")
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
    queryset = _since(recorded_payments(request.collective.pk), params, field="changed_at")
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
    queryset = _since(proposed_splits(request.collective.pk), params, field="changed_at")
    if params.mission_id is not None:
        queryset = queryset.filter(mission_id=params.mission_id)
    if params.status:
        queryset = queryset.filter(status=params.status)
    return page(request, queryset, schemas_billing.SplitOut, limit=params.limit, cursor=params.cursor)
