"""Credit notes (R-1.7, R-1.8): a credit note (381) references the invoice it corrects, is numbered in the
seller's credit-note series, cancels the invoice when it credits all of it, reduces its balance otherwise,
and is never larger than what is left."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from cordee.billing.models import Invoice, NumberSeries
from cordee.billing.services.exports import invoices_csv
from cordee.billing.services.invoices import credit_note_issue, invoice_batch_draft, invoice_issue
from cordee.billing.services.payments import payment_record
from cordee.billing.services.reminders import reminders_due
from cordee.billing.tests.conftest import portal_sign_in, series_prefix
from cordee.billing.tests.invoicing import ready_to_invoice
from cordee.core.access import AccessDenied

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def member_invoice(world):
    """The VAT-registered member's issued invoice: 800 € + 20 % VAT."""
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    invoice = invoice_issue(by=invoicing.member, invoice_id=invoicing.invoice_of(batch, invoicing.member).pk)
    invoice.invoicing = invoicing
    return invoice


def test_a_full_credit_note_cancels_the_invoice(member_invoice):
    member = member_invoice.invoicing.member

    credit = credit_note_issue(by=member, invoice_id=member_invoice.pk, reason="Livrable refusé")

    year = member_invoice.issued_on.year
    prefix = series_prefix(credit.seller, "credit_note")
    assert (credit.document_type, credit.status, credit.number) == ("381", "issued", f"{prefix}-{year}-00001")
    assert credit.corrects_id == member_invoice.pk
    assert (credit.total_excl_tax, credit.total_tax, credit.total_incl_tax) == (
        Decimal("800.00"),
        Decimal("160.00"),
        Decimal("960.00"),
    )
    with translation.override("fr"):  # documents are in French
        issued_on = date_format(member_invoice.issued_on, "DATE_FORMAT")
    assert credit.lines.get().description == (
        f"Avoir sur la facture {member_invoice.number} du {issued_on}\u00a0: Livrable refusé"
    )
    assert f"<ram:IssuerAssignedID>{member_invoice.number}</ram:IssuerAssignedID>".encode() in bytes(
        credit.xml
    )
    original = Invoice.objects.get(pk=member_invoice.pk)
    assert (original.status, original.amount_credited, original.balance_due) == (
        "cancelled",
        Decimal("960.00"),
        Decimal("0.00"),
    )
    # The invoice series did not move: credit notes have their own.
    assert NumberSeries.objects.get(seller=original.seller, document_type="invoice").last_number == 1
    # In French a credit note ("avoir") is "émis", an invoice "émise".
    with translation.override("fr"):
        assert credit.status_label == "Émis"
        assert Invoice(status="issued", document_type="380").status_label == "Émise"
        assert original.status_label == "Annulée par un avoir"


def test_partial_credit_notes_reduce_the_balance_until_the_last_cancels(member_invoice):
    member = member_invoice.invoicing.member

    first = credit_note_issue(by=member, invoice_id=member_invoice.pk, amount_excl_tax=Decimal("300"))
    original = Invoice.objects.get(pk=member_invoice.pk)
    assert (original.status, original.balance_due) == ("issued", Decimal("600.00"))
    assert first.total_incl_tax == Decimal("360.00")

    with pytest.raises(ValidationError, match="cannot exceed what is left of the invoice: 500.00"):
        credit_note_issue(by=member, invoice_id=member_invoice.pk, amount_excl_tax=Decimal("500.01"))
    credit_note_issue(by=member, invoice_id=member_invoice.pk, amount_excl_tax=Decimal("500"))

    original = Invoice.objects.get(pk=member_invoice.pk)
    assert (original.status, original.balance_due) == ("cancelled", Decimal("0.00"))
    with pytest.raises(ValidationError, match="not cancelled"):
        credit_note_issue(by=member, invoice_id=member_invoice.pk, amount_excl_tax=Decimal("1"))


def test_a_credit_note_larger_than_its_invoice_issues_nothing(member_invoice):
    member = member_invoice.invoicing.member

    for amount in (Decimal("800.01"), Decimal("0"), Decimal("-5")):
        with pytest.raises(ValidationError):
            credit_note_issue(by=member, invoice_id=member_invoice.pk, amount_excl_tax=amount)

    assert not Invoice.objects.filter(document_type="381").exists()
    assert (
        NumberSeries.objects.get(seller=member_invoice.seller, document_type="credit_note").last_number == 0
    )
    assert Invoice.objects.get(pk=member_invoice.pk).status == "issued"


def test_only_the_seller_credits_their_invoice(member_invoice):
    with pytest.raises(AccessDenied):
        credit_note_issue(by=member_invoice.invoicing.lead, invoice_id=member_invoice.pk)
    with pytest.raises(ValidationError, match="Only an issued invoice"):
        credit_note_issue(
            by=member_invoice.invoicing.member,
            invoice_id=credit_note_issue(by=member_invoice.invoicing.member, invoice_id=member_invoice.pk).pk,
        )


def test_a_cancelled_milestone_can_be_invoiced_again_once_all_its_invoices_are_credited(member_invoice):
    invoicing = member_invoice.invoicing
    lead_invoice = invoice_issue(
        by=invoicing.lead, invoice_id=Invoice.objects.get(seller__user=invoicing.lead).pk
    )
    credit_note_issue(by=invoicing.member, invoice_id=member_invoice.pk)
    with pytest.raises(ValidationError, match="already invoiced"):
        invoicing.draft()
    credit_note_issue(by=invoicing.lead, invoice_id=lead_invoice.pk)

    batch = invoice_batch_draft(
        by=invoicing.lead, mission_id=invoicing.mission.pk, deliverable_id=invoicing.deliverable.pk
    )

    assert batch.invoices.count() == 2


def test_a_credit_note_settling_a_partly_paid_invoice_makes_it_paid(world):
    """Invoice 1 000 € incl. VAT, 600 € paid, a credit note of 400 € incl. VAT: nothing is owed, the
    invoice is paid and no reminder goes out for it."""
    invoicing = ready_to_invoice(world, member_amount=Decimal("833.33"))  # 833.33 + 166.67 VAT
    member = invoicing.member
    batch = invoicing.draft()
    invoice = invoice_issue(by=member, invoice_id=invoicing.invoice_of(batch, member).pk)
    assert invoice.total_incl_tax == Decimal("1000.00")
    Invoice.objects.filter(pk=invoice.pk).update(due_on=invoice.issued_on)
    payment_record(by=member, invoice_id=invoice.pk, paid_on=invoice.issued_on, amount="600.00")
    invoice.refresh_from_db()
    assert invoice.payment_status == "partly_paid"
    assert invoice.batch_id in {
        batch_id for batch_id, _ in reminders_due(invoice.issued_on + timedelta(days=7))
    }

    credit = credit_note_issue(by=member, invoice_id=invoice.pk, amount_excl_tax=Decimal("333.33"))

    assert credit.total_incl_tax == Decimal("400.00")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_credited) == (
        "issued",
        Decimal("600.00"),
        Decimal("400.00"),
    )
    assert (invoice.payment_status, invoice.balance_due) == ("paid", Decimal("0.00"))
    assert invoice.batch_id not in {
        batch_id for batch_id, _ in reminders_due(invoice.issued_on + timedelta(days=7))
    }


def test_a_credit_note_shows_no_due_date(client, member_invoice):
    """A credit note is not paid: its page and the invoices export give it no due date; its page and the
    portal's link to the invoices sent with it suit an "avoir" as well as a "facture"."""
    invoicing = member_invoice.invoicing
    credit = credit_note_issue(by=invoicing.member, invoice_id=member_invoice.pk, reason="Livrable refusé")
    assert credit.due_on is not None  # stored for the Factur-X data, never shown
    assert (credit.payment_due_on, member_invoice.payment_due_on) == (None, member_invoice.due_on)
    with translation.override("fr"):
        issued_on = date_format(credit.issued_on, "DATE_FORMAT")
        due_on = date_format(member_invoice.due_on, "DATE_FORMAT")
    slug = invoicing.world.collective.slug
    client.force_login(invoicing.member)

    def member_page(invoice):
        url = reverse("billing:invoice", args=[slug, invoicing.mission.pk, invoice.pk])
        return client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    credit_page = member_page(credit)
    assert f"Avoir émis le {issued_on}." in credit_page
    assert "échéance" not in credit_page
    # "Facturée à" would make the credit note ("avoir") feminine.
    assert f"Client\u00a0: {invoicing.world.client.name}." in credit_page and "Facturée" not in credit_page
    assert f"échéance le {due_on}." in member_page(member_invoice)

    export = invoices_csv(credit.seller, credit.issued_on.year).content.decode("utf-8-sig")
    due_dates = {row[0]: row[3] for row in list(csv.reader(io.StringIO(export), delimiter=";"))[1:]}
    assert due_dates[credit.number] == ""
    assert due_dates[member_invoice.number] != ""

    invoicing.world.contact.language = "fr"
    invoicing.world.contact.save()
    client.logout()
    portal_sign_in(client, invoicing.world.contact)
    portal = client.get(reverse("billing_portal:invoices", args=[invoicing.mission.pk])).content.decode()
    assert f"Avoir {credit.number}" in portal
    assert portal.count("Les factures envoyées en même temps") == 2
    assert "avec elle" not in portal
