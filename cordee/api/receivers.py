"""What happens in the lower apps becomes webhook events: each receiver reads a row the app saved."""

from decimal import Decimal

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from cordee.api.models import WebhookEndpoint
from cordee.api.services.webhooks import webhook_event_emit
from cordee.api.tasks import deliveries_enqueue
from cordee.billing import signals as billing_signals
from cordee.billing.models import Invoice, Payment, Quote
from cordee.feedback.models import SurveyResponse
from cordee.missions.models import MissionEvent
from cordee.opportunities.models import Opportunity

Event = WebhookEndpoint.Event

MISSION_EVENTS = {
    MissionEvent.Kind.ACTIVATED: Event.MISSION_ACTIVATED,
    MissionEvent.Kind.DELIVERABLE_DELIVERED: Event.DELIVERABLE_DELIVERED,
    MissionEvent.Kind.DELAY_NOTICE: Event.DELAY_NOTICE_SENT,
}


def _emit_on_commit(*, collective_id: int, event_type: str, message_id: str, data: dict) -> None:
    def emit():
        with transaction.atomic():
            deliveries_enqueue(
                webhook_event_emit(
                    collective_id=collective_id, event_type=event_type, message_id=message_id, data=data
                )
            )

    transaction.on_commit(emit)


@receiver(post_save, sender=MissionEvent, dispatch_uid="api-webhooks-mission-event")
def mission_event_saved(sender, instance: MissionEvent, created: bool, **kwargs):
    event_type = MISSION_EVENTS.get(instance.kind)
    if not created or event_type is None:
        return
    _emit_on_commit(
        collective_id=instance.collective_id,
        event_type=event_type,
        message_id=f"msg_mission_event_{instance.pk}",
        data={"mission_id": instance.mission_id, "summary": instance.summary, **instance.data},
    )


@receiver(post_save, sender=Opportunity, dispatch_uid="api-webhooks-opportunity")
def opportunity_saved(sender, instance: Opportunity, created: bool, **kwargs):
    if not created:
        return
    _emit_on_commit(
        collective_id=instance.collective_id,
        event_type=Event.OPPORTUNITY_RECEIVED,
        message_id=f"msg_opportunity_{instance.pk}",
        data={
            "opportunity_id": instance.pk,
            "source": instance.source,
            "company": instance.company,
            "contact_name": instance.contact_name,
            "contact_email": instance.contact_email,
        },
    )


@receiver(post_save, sender=SurveyResponse, dispatch_uid="api-webhooks-survey-response")
def survey_response_saved(sender, instance: SurveyResponse, created: bool, **kwargs):
    if not created:
        return
    _emit_on_commit(
        collective_id=instance.collective_id,
        event_type=Event.SURVEY_ANSWERED,
        message_id=f"msg_survey_response_{instance.pk}",
        data={"survey_id": instance.survey_id, "response_id": instance.pk, "score": instance.score},
    )


def _invoice_data(invoice: Invoice) -> dict:
    return {
        "invoice_id": invoice.pk,
        "number": invoice.number,
        "document_type": invoice.document_type,
        "mission_id": invoice.mission_id,
        "seller_id": invoice.seller_id,
        "client_id": invoice.client_id,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "total_incl_tax": f"{invoice.total_incl_tax:.2f}",
        "amount_paid": f"{invoice.amount_paid:.2f}",
        "payment_status": invoice.payment_status,
    }


@receiver(billing_signals.invoice_issued, dispatch_uid="api-webhooks-invoice-issued")
def invoice_issued(sender, invoice: Invoice, **kwargs):
    if invoice.is_draft:
        return
    data = _invoice_data(invoice)
    if invoice.is_credit_note:
        _emit_on_commit(
            collective_id=invoice.collective_id,
            event_type=Event.CREDIT_NOTE_ISSUED,
            message_id=f"msg_credit_note_{invoice.pk}_issued",
            data={**data, "corrects_id": invoice.corrects_id},
        )
        return
    _emit_on_commit(
        collective_id=invoice.collective_id,
        event_type=Event.INVOICE_ISSUED,
        message_id=f"msg_invoice_{invoice.pk}_issued",
        data=data,
    )


@receiver(billing_signals.invoices_sent, dispatch_uid="api-webhooks-invoices-sent")
def invoices_sent(sender, invoices, **kwargs):
    for invoice in invoices:
        if invoice.is_draft or invoice.sent_at is None:
            continue
        _emit_on_commit(
            collective_id=invoice.collective_id,
            event_type=Event.INVOICE_SENT,
            message_id=f"msg_invoice_{invoice.pk}_sent",
            data={**_invoice_data(invoice), "sent_at": invoice.sent_at, "batch_id": invoice.batch_id},
        )


PAID_IN_FULL = (Invoice.PaymentStatus.PAID, Invoice.PaymentStatus.OVERPAID)


@receiver(billing_signals.invoice_payment_refreshed, dispatch_uid="api-webhooks-invoice-paid")
def invoice_payment_refreshed(sender, invoice: Invoice, **kwargs):
    """`invoice.paid` when the invoice is paid in full (or beyond). The message id names the payment with
    which the counted payments first covered what is due: recomputing a paid invoice, or an extra payment
    that makes it overpaid, or reversing that extra, is the same message (dropped); paying it again after
    the covering payment was reversed is a new event."""
    if invoice.is_draft or invoice.payment_status not in PAID_IN_FULL:
        return
    due = invoice.amount_due - invoice.amount_credited
    covered_by, paid = None, Decimal("0")
    for payment_id, amount in (
        Payment.objects.filter(invoice_id=invoice.pk, reversed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "amount")
    ):
        paid += amount
        if paid >= due:
            covered_by = payment_id
            break
    _emit_on_commit(
        collective_id=invoice.collective_id,
        event_type=Event.INVOICE_PAID,
        message_id=f"msg_invoice_{invoice.pk}_paid_{covered_by or 0}",
        data=_invoice_data(invoice),
    )


@receiver(billing_signals.quote_accepted, dispatch_uid="api-webhooks-quote-accepted")
def quote_accepted(sender, quote: Quote, **kwargs):
    if quote.status != Quote.Status.ACCEPTED:
        return
    _emit_on_commit(
        collective_id=quote.collective_id,
        event_type=Event.QUOTE_ACCEPTED,
        message_id=f"msg_quote_{quote.pk}_accepted",
        data={
            "quote_id": quote.pk,
            "number": quote.number,
            "mission_id": quote.mission_id,
            "plan_id": quote.plan_id,
            "seller_id": quote.seller_id,
            "total_excl_vat": f"{quote.total_excl_vat:.2f}",
            "total_incl_vat": f"{quote.total_incl_vat:.2f}",
            "accepted_at": quote.accepted_at,
            "accepted_name": quote.accepted_name,
        },
    )
