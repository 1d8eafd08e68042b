"""Sending together (seed, "Envoyer ses factures en collectif"): every invoice of a milestone goes to the
client's finance contact in one email with every PDF attached, through a real SMTP server; one portal page
lists them with each seller's amount due and IBAN. Files are checked against their SHA-256 when served."""

import email
from decimal import Decimal
from email import policy

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from cordee.billing.models import Invoice
from cordee.billing.services.invoices import (
    InvoiceTampered,
    credit_note_issue,
    invoice_batch_send,
    invoice_issue,
    invoice_pdf_checked,
)
from cordee.billing.templatetags.billing import euros
from cordee.billing.tests.conftest import portal_sign_in
from cordee.billing.tests.invoicing import another_milestone, ready_to_invoice
from cordee.clients.models import ClientContact
from cordee.core import outbox
from cordee.core.access import AccessDenied
from cordee.core.models import OutboundEmail
from cordee.core.tests.conftest import smtp_server  # noqa: F401 - the real SMTP server fixture
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.tests.factories import ClientContactFactory, ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def issued_batch(world, **options):
    invoicing = ready_to_invoice(world, **options)
    batch = invoicing.draft()
    invoice_issue(by=world.lead, invoice_id=invoicing.invoice_of(batch, world.lead).pk)
    invoice_issue(by=invoicing.member, invoice_id=invoicing.invoice_of(batch, invoicing.member).pk)
    return invoicing, batch


def test_the_invoices_go_together_in_one_email_with_every_pdf(world, settings, smtp_server):  # noqa: F811
    invoicing, batch = issued_batch(world)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", smtp_server.port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""

    invoice_batch_send(by=world.lead, batch_id=batch.pk)

    rows = list(
        OutboundEmail.objects.filter(idempotency_key__startswith=f"billing:invoice-batch:{batch.pk}:")
    )
    assert [row.to_email for row in rows] == ["compta@client.fr"]
    assert outbox.email_deliver(rows[0].pk) is True
    assert len(smtp_server.handler.envelopes) == 1
    message = email.message_from_bytes(smtp_server.handler.envelopes[0].content, policy=policy.default)
    invoices = list(Invoice.objects.filter(batch=batch).order_by("pk"))
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert attachments == {f"facture-{invoice.number}.pdf": bytes(invoice.pdf) for invoice in invoices}
    assert message["Reply-To"] == world.lead.email
    text = message.get_body(preferencelist=("plain",)).get_content()
    for invoice in invoices:
        assert invoice.seller_snapshot["name"] in text
    assert "/portal/" in text
    batch.refresh_from_db()
    assert batch.sent_at is not None
    assert all(invoice.sent_at for invoice in invoices)


def test_a_batch_is_sent_only_once(world):
    _invoicing, batch = issued_batch(world)
    invoice_batch_send(by=world.lead, batch_id=batch.pk)

    with pytest.raises(ValidationError, match="already sent"):
        invoice_batch_send(by=world.lead, batch_id=batch.pk)

    assert OutboundEmail.objects.filter(idempotency_key__startswith="billing:invoice-batch:").count() == 1


def test_nothing_goes_while_one_invoice_is_a_draft(world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    invoice_issue(by=world.lead, invoice_id=invoicing.invoice_of(batch, world.lead).pk)

    with pytest.raises(ValidationError, match="still a draft: Paul Durand Conseil"):
        invoice_batch_send(by=world.lead, batch_id=batch.pk)

    assert not OutboundEmail.objects.filter(idempotency_key__startswith="billing:invoice-batch:").exists()


def test_a_client_without_finance_contact_is_asked_for_one(world):
    invoicing, batch = issued_batch(world)
    ClientContact.objects.filter(pk=invoicing.finance.pk).update(role=ClientContact.Role.PROJECT)

    with pytest.raises(ValidationError, match="no finance contact"):
        invoice_batch_send(by=world.lead, batch_id=batch.pk)


def test_only_the_lead_or_an_admin_sends_and_a_tampered_pdf_is_never_sent(world):
    invoicing, batch = issued_batch(world)
    with pytest.raises(AccessDenied):
        invoice_batch_send(by=invoicing.member, batch_id=batch.pk)
    invoice = invoicing.invoice_of(batch, invoicing.member)
    Invoice.objects.filter(pk=invoice.pk).update(pdf=bytes(invoice.pdf) + b"%tampered")

    with pytest.raises(InvoiceTampered):
        invoice_pdf_checked(Invoice.objects.get(pk=invoice.pk))
    with pytest.raises(ValidationError, match="no longer matches its fingerprint"):
        invoice_batch_send(by=world.lead, batch_id=batch.pk)
    assert not OutboundEmail.objects.filter(idempotency_key__startswith="billing:invoice-batch:").exists()


def test_a_credit_note_on_a_sent_invoice_goes_to_the_finance_contact(world):
    invoicing, batch = issued_batch(world)
    invoice_batch_send(by=world.lead, batch_id=batch.pk)

    credit = credit_note_issue(
        by=invoicing.member, invoice_id=invoicing.invoice_of(batch, invoicing.member).pk
    )

    row = OutboundEmail.objects.get(
        idempotency_key=f"billing:credit-note:{credit.pk}:contact:{invoicing.finance.pk}"
    )
    assert [attachment["filename"] for attachment in row.attachments] == [f"avoir-{credit.number}.pdf"]


# --- The portal ---------------------------------------------------------------------------------------------


def test_the_portal_page_lists_each_sellers_amount_due_and_iban(client, world):
    invoicing, batch = issued_batch(world)
    invoice_batch_send(by=world.lead, batch_id=batch.pk)
    portal_sign_in(client, invoicing.finance)

    page = client.get(reverse("billing_portal:batch", args=[batch.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert "FR76 3000 4000 0312 3456 7890 143" in content  # the member's IBAN
    assert "FR76 3000 6000 0112 3456 7890 189" in content  # the lead's
    with translation.override("fr"):  # the contact's language
        assert euros(Decimal("960")) in content and euros(Decimal("1200")) in content
        assert euros(Decimal("2160")) in content  # the total due
    listing = client.get(reverse("billing_portal:invoices", args=[world.mission.pk])).content.decode()
    for invoice in Invoice.objects.filter(batch=batch):
        assert invoice.number in listing
    pdf = client.get(reverse("billing_portal:invoice_pdf", args=[invoicing.invoice_of(batch, world.lead).pk]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert pdf.content == bytes(invoicing.invoice_of(batch, world.lead).pdf)


def test_the_portal_refuses_a_tampered_pdf(client, world):
    invoicing, batch = issued_batch(world)
    invoice_batch_send(by=world.lead, batch_id=batch.pk)
    invoice = invoicing.invoice_of(batch, world.lead)
    Invoice.objects.filter(pk=invoice.pk).update(pdf=b"%PDF-1.7 forged")
    portal_sign_in(client, invoicing.finance)

    response = client.get(reverse("billing_portal:invoice_pdf", args=[invoice.pk]))

    assert response.status_code == 409
    assert b"forged" not in response.content


def test_a_contact_sees_no_draft_and_nothing_of_another_client(client, world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    draft = invoicing.invoice_of(batch, world.lead)
    portal_sign_in(client, invoicing.finance)
    assert client.get(reverse("billing_portal:invoice_pdf", args=[draft.pk])).status_code == 404
    assert client.get(reverse("billing_portal:batch", args=[batch.pk])).status_code == 404  # not sent yet
    invoice_issue(by=world.lead, invoice_id=draft.pk)
    invoice_issue(by=invoicing.member, invoice_id=invoicing.invoice_of(batch, invoicing.member).pk)
    invoice_batch_send(by=world.lead, batch_id=batch.pk)

    stranger = ClientContactFactory(client=ClientFactory(collective=world.collective))
    client.logout()
    portal_sign_in(client, stranger)
    for url in (
        reverse("billing_portal:batch", args=[batch.pk]),
        reverse("billing_portal:invoice_pdf", args=[draft.pk]),
        reverse("billing_portal:invoices", args=[world.mission.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_portal_invoice_pages_run_a_constant_number_of_queries(client, world, django_assert_num_queries):
    invoicing, batch = issued_batch(world)
    invoice_batch_send(by=world.lead, batch_id=batch.pk)
    portal_sign_in(client, invoicing.finance)
    urls = [
        reverse("billing_portal:batch", args=[batch.pk]),
        reverse("billing_portal:invoices", args=[world.mission.pk]),
    ]
    counts = {}
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    for title in ("Prototype", "Recette"):
        more = another_milestone(invoicing, title=title)
        for invoice in more.invoices.order_by("pk"):
            invoice_issue(by=invoice.seller.user, invoice_id=invoice.pk)
        invoice_batch_send(by=world.lead, batch_id=more.pk)
    credit_note_issue(by=invoicing.member, invoice_id=invoicing.invoice_of(batch, invoicing.member).pk)

    for url in urls:
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200


# --- The members' pages ----------------------------------------------------------------------------------------


def test_the_lead_drafts_and_each_member_issues_on_the_pages(client, world):
    invoicing = ready_to_invoice(world)
    slug, mission = world.collective.slug, world.mission
    client.force_login(world.lead)
    billing_page = reverse("billing:mission", args=[slug, mission.pk])
    assert "Maquettes" in client.get(billing_page).content.decode()

    response = client.post(
        reverse("billing:invoice_batch_create", args=[slug, mission.pk]),
        {"source": f"deliverable:{invoicing.deliverable.pk}"},
    )

    assert response.status_code == 302
    member_draft = Invoice.objects.get(seller__user=invoicing.member)
    page = client.get(reverse("billing:invoice", args=[slug, mission.pk, member_draft.pk])).content.decode()
    assert "Issue the invoice" not in page  # the member's own invoice: the lead cannot issue it
    client.force_login(invoicing.member)
    page = client.get(reverse("billing:invoice", args=[slug, mission.pk, member_draft.pk])).content.decode()
    assert "Issue the invoice" in page
    client.post(reverse("billing:invoice_issue", args=[slug, mission.pk, member_draft.pk]))
    member_draft.refresh_from_db()
    assert member_draft.status == "issued"
    pdf = client.get(reverse("billing:invoice_pdf", args=[slug, mission.pk, member_draft.pk]))
    assert pdf.content == bytes(member_draft.pdf)
    Invoice.objects.filter(pk=member_draft.pk).update(pdf=b"%PDF forged")
    assert (
        client.get(reverse("billing:invoice_pdf", args=[slug, mission.pk, member_draft.pk])).status_code
        == 409
    )


def test_a_refused_issue_says_why_and_a_credit_note_is_issued_from_the_page(client, world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    slug, mission = world.collective.slug, world.mission
    invoice = invoicing.invoice_of(batch, invoicing.member)
    invoicing.member.address_line = ""
    invoicing.member.language = "en"
    invoicing.member.save()
    client.force_login(invoicing.member)

    response = client.post(reverse("billing:invoice_issue", args=[slug, mission.pk, invoice.pk]), follow=True)

    assert "missing: address" in response.content.decode()
    invoicing.member.address_line = "3 quai de Bercy"
    invoicing.member.save()
    client.post(reverse("billing:invoice_issue", args=[slug, mission.pk, invoice.pk]))
    page = reverse("billing:invoice", args=[slug, mission.pk, invoice.pk])
    refused = client.post(page, {"action": "credit", "amount": "900", "reason": "Trop"})
    assert refused.status_code == 400
    assert "cannot exceed" in refused.content.decode()
    assert 'value="Trop"' in refused.content.decode()
    client.post(page, {"action": "credit", "amount": "", "reason": "Annulée"})
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"


def test_mission_invoices_section_runs_a_constant_number_of_queries(client, world, django_assert_num_queries):
    invoicing, batch = issued_batch(world)
    client.force_login(world.lead)
    url = reverse("billing:mission", args=[world.collective.slug, world.mission.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    for title in ("Prototype", "Recette", "Déploiement"):
        another_milestone(invoicing, title=title)

    with django_assert_num_queries(len(captured)):
        assert client.get(url).status_code == 200


def test_a_member_records_and_ends_their_billing_mandate(client, world):
    invoicing = ready_to_invoice(world)
    url = reverse("billing:mandates", args=[world.collective.slug])
    client.force_login(invoicing.member)
    lead_seller = invoicing.seller_of(world.lead)

    refused = client.post(
        url, {"action": "record", "issuer": lead_seller.pk, "signed_on": "2099-01-01", "scope": "Tout"}
    )
    assert refused.status_code == 400
    client.post(
        url,
        {
            "action": "record",
            "issuer": lead_seller.pk,
            "signed_on": "2026-01-05",
            "scope": "Missions",
            "contest_days": 15,
        },
    )
    mandate = invoicing.seller_of(invoicing.member).mandates_given.get()
    assert (mandate.issuer, str(mandate.signed_on)) == (lead_seller, "2026-01-05")
    other = MembershipFactory(collective=world.collective).user
    client.force_login(other)
    client.post(url, {"action": "archive", "mandate": mandate.pk})
    mandate.refresh_from_db()
    assert mandate.archived_at is None
    client.force_login(invoicing.member)
    client.post(url, {"action": "archive", "mandate": mandate.pk})
    mandate.refresh_from_db()
    assert mandate.archived_at is not None
