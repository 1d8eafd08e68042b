"""Billing's transitions become webhook events, delivered once to a real receiver over HTTP."""

import re
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cordee.api.models import WebhookDelivery, WebhookEndpoint
from cordee.api.services.webhooks import webhook_endpoint_create
from cordee.api.tests.receiver import Receiver
from cordee.billing import signals as billing_signals
from cordee.billing.models import Invoice, Quote
from cordee.billing.services.invoices import credit_note_issue, invoice_batch_send, invoice_issue
from cordee.billing.services.payments import invoice_paid_refresh, payment_record, payment_reverse
from cordee.billing.services.plans import PortalRefused
from cordee.billing.services.quotes import quote_accept
from cordee.billing.tests.conftest import sent_quote, world  # noqa: F401 - the billing world fixture
from cordee.billing.tests.invoicing import ready_to_invoice
from cordee.billing.tests.payment_helpers import issued_invoice, member_seller, mission_batch

pytestmark = pytest.mark.django_db(transaction=True)

Event = WebhookEndpoint.Event
MONEY = re.compile(r"^-?[0-9]+\.[0-9]{2}$")
BILLING_EVENTS = [
    Event.INVOICE_ISSUED,
    Event.INVOICE_SENT,
    Event.INVOICE_PAID,
    Event.CREDIT_NOTE_ISSUED,
    Event.QUOTE_ACCEPTED,
]


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def endpoint(world, receiver):  # noqa: F811 - the fixture imported above
    endpoint = webhook_endpoint_create(
        by=world.lead, collective_id=world.collective.pk, url=receiver.url, events=BILLING_EVENTS
    )
    receiver.secret = endpoint.secret
    return endpoint


def events(receiver) -> list[str]:
    assert all(request["verified"] for request in receiver.received)
    return [request["verified"]["type"] for request in receiver.received]


def test_a_quote_accepted_in_the_portal_is_one_event(world, endpoint, receiver):  # noqa: F811
    quote = sent_quote(world)
    accepted = quote_accept(
        contact=world.contact,
        quote_id=quote.pk,
        typed_name="Louise Bernard",
        ip="203.0.113.7",
        user_agent="Mozilla/5.0",
        pdf_sha256=quote.pdf_sha256,
    )
    assert events(receiver) == ["quote.accepted"]
    data = receiver.received[0]["verified"]["data"]
    assert data["quote_id"] == quote.pk and data["number"] == accepted.number
    assert data["total_incl_vat"] == f"{accepted.total_incl_vat:.2f}"
    assert receiver.ids == [f"msg_quote_{quote.pk}_accepted"]

    with pytest.raises(PortalRefused):
        quote_accept(
            contact=world.contact,
            quote_id=quote.pk,
            typed_name="Louise Bernard",
            ip="203.0.113.7",
            user_agent="Mozilla/5.0",
            pdf_sha256=quote.pdf_sha256,
        )
    billing_signals.quote_accepted.send(sender=Quote, quote=accepted)  # the same transition, told twice
    assert events(receiver) == ["quote.accepted"]
    assert WebhookDelivery.objects.count() == 1


@time_machine.travel(date(2026, 4, 20), tick=False)
def test_an_invoice_paid_in_full_is_one_event_and_recomputing_it_adds_none(world, endpoint, receiver):  # noqa: F811
    invoice = issued_invoice(
        mission=world.mission,
        seller=member_seller(world.collective, world.lead),
        batch=mission_batch(world.mission),
        number="CM-2026-00001",
        total="1200.00",
        issued_on=date(2026, 4, 1),
    )
    payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=date(2026, 4, 10), amount="500.00")
    assert events(receiver) == []  # partly paid: not yet
    last = payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=date(2026, 4, 12), amount="700.00")
    assert events(receiver) == ["invoice.paid"]
    body = receiver.received[0]["verified"]["data"]
    assert (body["invoice_id"], body["amount_paid"], body["payment_status"]) == (
        invoice.pk,
        "1200.00",
        "paid",
    )
    assert receiver.ids == [f"msg_invoice_{invoice.pk}_paid_{last.pk}"]

    invoice.refresh_from_db()
    invoice_paid_refresh(invoice)  # the same state recomputed: the same message, dropped
    extra = payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=date(2026, 4, 13), amount="50.00")
    invoice.refresh_from_db()
    assert invoice.payment_status == "overpaid"  # still paid: no second event
    assert events(receiver) == ["invoice.paid"]
    assert WebhookDelivery.objects.count() == 1
    payment_reverse(by=world.lead, payment_id=extra.pk, reason="Trop-perçu remboursé")
    invoice.refresh_from_db()
    assert invoice.payment_status == "paid"  # paid all along: still one event
    assert events(receiver) == ["invoice.paid"]

    payment_reverse(by=world.lead, payment_id=last.pk, reason="Doublon de la banque")
    assert events(receiver) == ["invoice.paid"]
    again = payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=date(2026, 4, 14), amount="700.00")
    assert events(receiver) == ["invoice.paid", "invoice.paid"]  # paid again after the reversal: a new event
    assert receiver.ids[-1] == f"msg_invoice_{invoice.pk}_paid_{again.pk}"


def test_drafts_emit_nothing(world, endpoint, receiver):  # noqa: F811
    invoice = issued_invoice(
        mission=world.mission,
        seller=member_seller(world.collective, world.lead),
        batch=None,
        number="CM-2026-00009",
        total="10.00",
        issued_on=date(2026, 4, 1),
    )
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.DRAFT, number="")
    draft = Invoice.objects.get(pk=invoice.pk)
    billing_signals.invoice_issued.send(sender=Invoice, invoice=draft)
    billing_signals.invoices_sent.send(sender=Invoice, invoices=[draft])
    billing_signals.invoice_payment_refreshed.send(sender=Invoice, invoice=draft)
    assert receiver.received == []
    assert WebhookDelivery.objects.count() == 0


def test_issue_send_and_credit_through_the_services_each_give_one_event(world, endpoint, receiver):  # noqa: F811
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    assert events(receiver) == []  # drafts: nothing
    lead_invoice = invoicing.invoice_of(batch, world.lead)
    member_invoice = invoicing.invoice_of(batch, invoicing.member)
    invoice_issue(by=world.lead, invoice_id=lead_invoice.pk)
    invoice_issue(by=invoicing.member, invoice_id=member_invoice.pk)
    assert events(receiver) == ["invoice.issued", "invoice.issued"]
    assert sorted(receiver.ids) == sorted(
        [f"msg_invoice_{lead_invoice.pk}_issued", f"msg_invoice_{member_invoice.pk}_issued"]
    )
    issued = receiver.received[0]["verified"]["data"]
    assert issued["number"] and MONEY.match(issued["total_incl_tax"])
    with pytest.raises(ValidationError):
        invoice_issue(by=world.lead, invoice_id=lead_invoice.pk)  # issued once only

    invoice_batch_send(by=world.lead, batch_id=batch.pk)
    assert events(receiver)[2:] == ["invoice.sent", "invoice.sent"]
    with pytest.raises(ValidationError):
        invoice_batch_send(by=world.lead, batch_id=batch.pk)
    lead_invoice.refresh_from_db()
    billing_signals.invoices_sent.send(sender=Invoice, invoices=[lead_invoice])  # told twice: dropped
    assert len(receiver.received) == 4

    credit = credit_note_issue(by=invoicing.member, invoice_id=member_invoice.pk, reason="Livrable refusé")
    assert events(receiver)[4:] == ["credit_note.issued"]
    data = receiver.received[4]["verified"]["data"]
    assert (data["invoice_id"], data["corrects_id"], data["document_type"]) == (
        credit.pk,
        member_invoice.pk,
        "381",
    )
    assert receiver.ids[4] == f"msg_credit_note_{credit.pk}_issued"
    assert WebhookDelivery.objects.count() == 5
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {WebhookDelivery.State.DELIVERED}
