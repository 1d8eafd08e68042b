"""The client's invoices in the portal: a mission's invoices and credit notes with their status and PDF,
and the page of a batch sent together (each seller's amount due and bank details).

Scoped by the portal session (`portal_view`): every invoice is fetched through the signed-in contact's
collective and client, so another client's invoice is a 404; a PDF whose SHA-256 changed is never served.
"""

import logging

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from cordee.billing.models import Invoice, InvoiceBatch
from cordee.billing.queries_invoices import portal_mission_invoices
from cordee.billing.services.invoices import (
    InvoiceTampered,
    invoice_filename,
    invoice_pdf_checked,
    portal_batch,
    portal_invoice,
)
from cordee.core.money import money_sum
from cordee.portal.permissions import portal_view
from cordee.portal.queries import portal_mission

logger = logging.getLogger(__name__)


@portal_view
def invoices(request, mission_pk):
    mission = portal_mission(request.portal_contact, mission_pk)
    return render(
        request,
        "billing/portal/invoices.html",
        {"mission": mission, "invoices": portal_mission_invoices(request.portal_contact, mission)},
    )


@portal_view
def batch(request, batch_pk):
    try:
        batch, invoices = portal_batch(request.portal_contact, batch_pk)
    except InvoiceBatch.DoesNotExist as error:
        raise Http404 from error
    to_pay = [
        invoice
        for invoice in invoices
        if invoice.status == Invoice.Status.ISSUED and not invoice.is_credit_note
    ]
    return render(
        request,
        "billing/portal/batch.html",
        {
            "batch": batch,
            "mission": batch.mission,
            "invoices": invoices,
            "to_pay": to_pay,
            "total_due": money_sum(invoice.balance_due for invoice in to_pay),
        },
    )


@portal_view
def invoice_pdf(request, invoice_pk):
    try:
        invoice = portal_invoice(request.portal_contact, invoice_pk)
        content = invoice_pdf_checked(invoice)
    except Invoice.DoesNotExist as error:
        raise Http404 from error
    except InvoiceTampered:
        logger.error("Refused to serve invoice %s: its PDF does not match its SHA-256", invoice_pk)
        return HttpResponse(
            _("This invoice failed its integrity check and is not shown: please contact the team."),
            status=409,
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_filename(invoice)}"'
    return response
