"""Billing through the API, read only: issued invoices and credit notes with their files, quotes once sent,
payments, revenue splits once proposed. Drafts are never exposed. Every operation needs the token's
`billing:read` scope (a 403 problem otherwise) and shows what the token's owner may read on the billing
pages, through the same filters (`cordee.billing.access`). Issuing, sending and recording payments stay
on the pages.
"""

import logging
from typing import Literal

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query

from cordee.api import schemas, schemas_billing
from cordee.api.api import api, page, require_billing
from cordee.api.endpoints import ChangedMissionListParams, _since
from cordee.api.problems import problem_response
from cordee.api.schemas import Code, Id
from cordee.api.schemas_billing import Day
from cordee.api.services.billing import (
    issued_invoice_detail,
    issued_invoice_files,
    issued_invoices,
    proposed_splits,
    recorded_payments,
    sent_quotes,
)
from cordee.billing.access import invoice_parties, may_read_files
from cordee.billing.services.invoices import (
    InvoiceTampered,
    invoice_filename,
    invoice_pdf_checked,
    invoice_xml_checked,
)

logger = logging.getLogger(__name__)


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
    require_billing(request)
    queryset = _since(issued_invoices(request.membership), params, field="changed_at")
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
    require_billing(request)
    invoice = get_object_or_404(issued_invoice_detail(request.membership), pk=invoice_id)
    invoice.parties = invoice_parties(request.membership, invoice)
    return invoice


class QuoteListParams(ChangedMissionListParams):
    status: Code | None = None


@api.get("/quotes", response=schemas.list_responses(schemas_billing.QuoteOut), tags=["billing"])
def quotes_list(request, params: Query[QuoteListParams]):
    """Quotes once sent (drafts never): sent, accepted, declined or revised."""
    require_billing(request)
    queryset = _since(sent_quotes(request.membership), params, field="changed_at")
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
    require_billing(request)
    queryset = _since(recorded_payments(request.membership), params, field="changed_at")
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
    require_billing(request)
    queryset = _since(proposed_splits(request.membership), params, field="changed_at")
    if params.mission_id is not None:
        queryset = queryset.filter(mission_id=params.mission_id)
    if params.status:
        queryset = queryset.filter(status=params.status)
    return page(request, queryset, schemas_billing.SplitOut, limit=params.limit, cursor=params.cursor)


FILE_RESPONSES = {**schemas.PROBLEMS, 409: schemas.Problem}


def _file_responses(media_type: str, description: str) -> dict:
    """The 200 of a file download in the OpenAPI description: binary content of `media_type`."""
    content = {media_type: {"schema": {"type": "string", "format": "binary"}}}
    return {"responses": {200: {"description": description, "content": content}}}


def _stored_file(request, invoice_id: int, *, read_checked, media_type: str, extension: str) -> HttpResponse:
    """An issued invoice's stored file after billing re-checked its SHA-256; a 409 problem when it no
    longer matches (the file is never served then). The fingerprint is the ETag."""
    invoice = get_object_or_404(issued_invoice_files(request.membership), pk=invoice_id)
    if not may_read_files(request.membership, invoice):
        raise Http404
    try:
        content = read_checked(invoice)
    except InvoiceTampered:
        logger.error(
            "Refused to serve invoice %s over the API: its %s does not match its SHA-256",
            invoice.pk,
            extension,
        )
        return problem_response(
            request,
            status=409,
            code="file-tampered",
            detail=_("This invoice's stored file does not match its fingerprint: it is not served."),
        )
    etag = f'"{invoice.pdf_sha256 if extension == "pdf" else invoice.xml_sha256}"'
    if etag in [value.strip() for value in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, content_type=media_type)
        response["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice, extension)}"'
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@api.get(
    "/invoices/{invoice_id}/pdf",
    response={200: None, 304: None, **FILE_RESPONSES},
    tags=["billing"],
    openapi_extra=_file_responses("application/pdf", "The Factur-X PDF/A-3 stored at issue."),
)
def invoice_pdf(request, invoice_id: Id):
    """The invoice's PDF as issued (Factur-X, its CII XML embedded), served only while its SHA-256 is
    still the one recorded at issue: otherwise a 409 problem."""
    require_billing(request)
    return _stored_file(
        request, invoice_id, read_checked=invoice_pdf_checked, media_type="application/pdf", extension="pdf"
    )


@api.get(
    "/invoices/{invoice_id}/xml",
    response={200: None, 304: None, **FILE_RESPONSES},
    tags=["billing"],
    openapi_extra=_file_responses("application/xml", "The CII XML (EN 16931) stored at issue."),
)
def invoice_xml(request, invoice_id: Id):
    """The invoice's CII XML as issued, served only while its SHA-256 is still the one recorded at issue:
    otherwise a 409 problem."""
    require_billing(request)
    return _stored_file(
        request, invoice_id, read_checked=invoice_xml_checked, media_type="application/xml", extension="xml"
    )
