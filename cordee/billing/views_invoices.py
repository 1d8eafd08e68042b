"""Invoicing pages of the collective's members: draft a batch from an approved split, an invoice's page
(draft details, issue, PDF, credit note), send a batch to the client together, billing mandates. Thin:
parse, call a service, render."""

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cordee.billing.access import may_read_files, readable_invoices
from cordee.billing.forms import apply_errors
from cordee.billing.forms_invoices import BillingMandateForm, CreditNoteForm, InvoiceDraftForm
from cordee.billing.models import BillingMandate, ClientCredit, Invoice, InvoiceBatch, LegalSeller
from cordee.billing.permissions import mission_billing_view
from cordee.billing.services.invoices import (
    InvoiceTampered,
    billing_mandate_archive,
    billing_mandate_record,
    credit_note_issue,
    credited_excl_tax,
    invoice_batch_discard,
    invoice_batch_draft,
    invoice_batch_send,
    invoice_draft_update,
    invoice_filename,
    invoice_issue,
    invoice_pdf_checked,
)
from cordee.billing.services.payments import can_record_payments, invoice_balance
from cordee.billing.services.revenue import member_threshold_warnings
from cordee.collectives.permissions import collective_view
from cordee.core.access import AccessDenied
from cordee.missions.permissions import mission_view

logger = logging.getLogger(__name__)


def _billing_url(request):
    return reverse("billing:mission", args=[request.collective.slug, request.mission.pk]) + "#invoices-title"


def _invoice_url(request, invoice):
    return reverse("billing:invoice", args=[request.collective.slug, request.mission.pk, invoice.pk])


def _flash(request, errors) -> None:
    for message in dict.fromkeys(errors):
        messages.error(request, message)


def _invoice(request, invoice_pk) -> Invoice:
    """The mission's invoice if the member reads it (`readable_invoices`: its seller's owner reads it even
    outside the team), else a 404: the invoice pages follow the invoice's rule, not the mission's."""
    return get_object_or_404(
        Invoice.objects.select_related(
            "seller__user",
            "issuer__user",
            "buyer_seller__user",
            "client",
            "corrects",
            "batch",
            "mandate",
            "deposit_invoice",
        )
        .defer("pdf", "xml", "deposit_invoice__pdf", "deposit_invoice__xml")
        .filter(readable_invoices(request.membership)),
        collective=request.collective,
        mission=request.mission,
        pk=invoice_pk,
    )


@mission_billing_view(manage=True)
@require_POST
def invoice_batch_create(request):
    kind, _sep, pk = request.POST.get("source", "").partition(":")
    source = {"deliverable_id": int(pk)} if kind == "deliverable" and pk.isdigit() else {}
    if kind == "report" and pk.isdigit():
        source = {"activity_report_id": int(pk)}
    if kind in (Invoice.Kind.DEPOSIT, Invoice.Kind.BONUS):
        # The active plan's deposit or bonus: the service reads it from the mission's active plan.
        source = {"kind": kind}
    if not source:
        messages.error(request, _("Choose a milestone or an activity report to invoice."))
        return redirect(_billing_url(request))
    try:
        invoice_batch_draft(by=request.user, mission_id=request.mission.pk, **source)
    except ValidationError as error:
        _flash(request, error.messages)
    else:
        messages.success(
            request,
            _("The draft invoices are ready: each seller issues theirs, then send them together."),
        )
    return redirect(_billing_url(request))


@mission_view
@require_http_methods(["GET", "POST"])
def invoice_detail(request, invoice_pk):
    invoice = _invoice(request, invoice_pk)
    action = request.POST.get("action") if request.method == "POST" else None
    draft_form = InvoiceDraftForm(
        request.POST if action == "update" else None,
        initial={
            "purchase_order": invoice.purchase_order,
            "flow": invoice.flow,
            "operation_nature": invoice.operation_nature,
            "vat_on_debits": invoice.vat_on_debits,
            "note": invoice.note,
        },
    )
    credit_form = CreditNoteForm(request.POST if action == "credit" else None)
    try:
        if action == "update" and draft_form.is_valid():
            invoice_draft_update(by=request.user, invoice_id=invoice.pk, values=draft_form.cleaned_data)
            messages.success(request, _("The draft is saved."))
            return redirect(_invoice_url(request, invoice))
        if action == "credit" and credit_form.is_valid():
            credit = credit_note_issue(
                by=request.user,
                invoice_id=invoice.pk,
                amount_excl_tax=credit_form.cleaned_data["amount"],
                reason=credit_form.cleaned_data["reason"],
            )
            messages.success(request, _("Credit note %(number)s is issued.") % {"number": credit.number})
            return redirect(_invoice_url(request, credit))
    except ValidationError as error:
        apply_errors(credit_form if action == "credit" else draft_form, error)
    except AccessDenied as denied:
        messages.error(request, str(denied))
    lines = list(invoice.lines.order_by("position", "pk"))
    payable = invoice.status != Invoice.Status.DRAFT and invoice.document_type == Invoice.DocumentType.INVOICE
    invoice.mission = request.mission  # the same mission (filtered on it): no query to read its lead
    return render(
        request,
        "billing/invoice.html",
        {
            "invoice": invoice,
            "lines": lines,
            "draft_form": draft_form,
            "credit_form": credit_form,
            "credit_notes": list(invoice.credit_notes.defer("pdf", "xml").order_by("pk")),
            "remaining": invoice.total_excl_tax - credited_excl_tax(invoice)
            if not invoice.is_draft
            else None,
            "may_issue": _may_issue(request, invoice),
            "payable": payable,
            "payments": list(invoice.payments.order_by("paid_on", "pk")) if payable else [],
            "credit_applied": list(
                invoice.credit_allocations.select_related("credit__payment__invoice").order_by(
                    "made_on", "pk"
                )
            )
            if payable
            else [],
            "credits_made": list(
                ClientCredit.objects.filter(payment__invoice=invoice, payment__reversed_at__isnull=True)
                .prefetch_related("allocations__invoice")
                .order_by("pk")
            )
            if payable
            else [],
            "balance": invoice_balance(invoice) if payable else None,
            "may_record_payment": payable
            and invoice.status == Invoice.Status.ISSUED
            and can_record_payments(request.user, invoice, request.membership),
            "threshold_warnings": _threshold_warnings(invoice),
        },
        status=400 if request.method == "POST" else 200,
    )


def _threshold_warnings(invoice: Invoice) -> list:
    """Before a member's draft is issued: the revenue thresholds its amount would bring them near or over."""
    if not invoice.is_draft or invoice.is_credit_note or not invoice.seller.is_member:
        return []
    return member_threshold_warnings(
        invoice.seller.user, added=invoice.total_excl_tax, year=timezone.localdate().year
    )


def _may_issue(request, invoice: Invoice) -> bool:
    acting_for = invoice.issuer if invoice.issuer_id else invoice.seller
    if acting_for.is_member:
        return acting_for.user_id == request.user.pk
    return request.can_manage_mission


@mission_view
@require_POST
def invoice_issue_view(request, invoice_pk):
    invoice = _invoice(request, invoice_pk)
    try:
        invoice = invoice_issue(by=request.user, invoice_id=invoice.pk)
    except ValidationError as error:
        _flash(request, error.messages)
    except AccessDenied as denied:
        messages.error(request, str(denied))
    else:
        messages.success(request, _("Invoice %(number)s is issued.") % {"number": invoice.number})
    return redirect(_invoice_url(request, invoice))


@mission_view
def invoice_pdf(request, invoice_pk):
    invoice = get_object_or_404(
        Invoice.objects.select_related("seller", "buyer_seller").filter(
            readable_invoices(request.membership)
        ),
        collective=request.collective,
        mission=request.mission,
        pk=invoice_pk,
    )
    if invoice.is_draft or not may_read_files(request.membership, invoice):
        raise Http404
    try:
        content = invoice_pdf_checked(invoice)
    except InvoiceTampered:
        logger.error("Refused to serve invoice %s: its PDF does not match its SHA-256", invoice.pk)
        return HttpResponse(
            _("This invoice's stored file does not match its fingerprint: it is not served."), status=409
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_filename(invoice)}"'
    return response


def _batch(request, batch_pk) -> InvoiceBatch:
    return get_object_or_404(
        InvoiceBatch, collective=request.collective, mission=request.mission, pk=batch_pk
    )


@mission_billing_view(manage=True)
@require_POST
def invoice_batch_send_view(request, batch_pk):
    batch = _batch(request, batch_pk)
    try:
        invoice_batch_send(by=request.user, batch_id=batch.pk)
    except ValidationError as error:
        _flash(request, error.messages)
    else:
        messages.success(request, _("The invoices are sent together to the client's finance contact."))
    return redirect(_billing_url(request))


@mission_billing_view(manage=True)
@require_POST
def invoice_batch_discard_view(request, batch_pk):
    batch = _batch(request, batch_pk)
    try:
        invoice_batch_discard(by=request.user, batch_id=batch.pk)
    except ValidationError as error:
        _flash(request, error.messages)
    else:
        messages.success(request, _("The draft invoices are discarded."))
    return redirect(_billing_url(request))


# --- Billing mandates -------------------------------------------------------------------------------


@collective_view
@require_http_methods(["GET", "POST"])
def mandates(request):
    """The member's billing mandates: who may issue their invoices in their name (model B, R-6.2)."""
    collective = request.collective
    sellers = [
        seller
        for seller in LegalSeller.objects.filter(
            collective=collective, archived_at__isnull=True
        ).select_related("user")
        if seller.user_id != request.user.pk
    ]
    action = request.POST.get("action") if request.method == "POST" else None
    form = BillingMandateForm(request.POST if action == "record" else None, sellers=sellers)
    if action == "record" and form.is_valid():
        try:
            values = dict(form.cleaned_data)
            billing_mandate_record(
                by=request.user, collective_id=collective.pk, issuer_id=values.pop("issuer"), **values
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The billing mandate is recorded."))
            return redirect("billing:mandates", collective.slug)
    elif action == "archive":
        try:
            billing_mandate_archive(by=request.user, mandate_id=int(request.POST.get("mandate") or 0))
        except AccessDenied as denied:
            messages.error(request, str(denied))
        else:
            messages.success(request, _("The mandate is ended; the invoices issued under it keep it."))
            return redirect("billing:mandates", collective.slug)
    mandates = list(
        BillingMandate.objects.filter(collective=collective)
        .select_related("seller__user", "issuer__user")
        .order_by("-signed_on", "-pk")
    )
    return render(
        request,
        "billing/mandates.html",
        {"form": form, "mandates": mandates},
        status=400 if request.method == "POST" else 200,
    )
