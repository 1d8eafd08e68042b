"""The legal content of an invoice: every mandatory mention (R-1.1, one case per row), VAT per rate
(R-1.14), the franchise (R-1.16), payment terms (R-1.9); and the bad inputs, each refused with a clear
message and nothing issued."""

from copy import deepcopy
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from cordee.billing.models import Invoice, InvoiceLine, LegalSeller, NumberSeries
from cordee.billing.services.invoices import (
    due_date,
    invoice_issue,
    invoice_missing_mentions,
    tax_breakdown,
)
from cordee.billing.tests.invoicing import another_milestone, ready_to_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def issued(world):
    """An invoice of the VAT-registered member, issued: every mention is there."""
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    invoice = invoice_issue(by=invoicing.member, invoice_id=invoicing.invoice_of(batch, invoicing.member).pk)
    return Invoice.objects.select_related("corrects").get(pk=invoice.pk)


def _lines(invoice):
    return list(InvoiceLine.objects.filter(invoice=invoice))


def test_an_issued_invoice_lacks_no_mention(issued):
    assert invoice_missing_mentions(issued, _lines(issued)) == []


def _seller(key, value):
    def change(invoice, lines):
        invoice.seller_snapshot = {**invoice.seller_snapshot, key: value}

    return change


def _buyer(key, value):
    def change(invoice, lines):
        invoice.buyer_snapshot = {**invoice.buyer_snapshot, key: value}

    return change


def _set(name, value):
    def change(invoice, lines):
        setattr(invoice, name, value)

    return change


def _no_lines(invoice, lines):
    lines.clear()


def _blank_description(invoice, lines):
    lines[0].description = " "


def _wrong_totals(invoice, lines):
    invoice.total_tax = invoice.total_tax + Decimal("0.01")


def _exempt_without_reason(invoice, lines):
    lines[0].vat_category, lines[0].vat_rate = "E", Decimal("0")
    invoice.tax_breakdown = tax_breakdown(lines)
    invoice.total_tax, invoice.total_incl_tax = Decimal("0.00"), invoice.total_excl_tax


def _reverse_charge_without_mention(invoice, lines):
    lines[0].vat_category, lines[0].vat_rate = "AE", Decimal("0")
    lines[0].exemption_reason = "Exonération"
    invoice.tax_breakdown = tax_breakdown(lines)
    invoice.total_tax, invoice.total_incl_tax = Decimal("0.00"), invoice.total_excl_tax


def _mandate_without_issuer(invoice, lines):
    invoice.mandate_id, invoice.issuer_snapshot = 1, {}


def _company_without(key):
    def change(invoice, lines):
        company = {
            "legal_form_code": "sas",
            "legal_form": "SAS",
            "share_capital": "5000",
            "rcs_city": "Paris",
        }
        invoice.seller_snapshot.update({**company, key: ""})

    return change


def _member_company_without(key):
    def change(invoice, lines):
        company = {
            "kind": "member",
            "legal_form_code": "sasu",
            "legal_form": "SASU",
            "share_capital": "1000.00",
            "rcs_city": "Lyon",
        }
        invoice.seller_snapshot.update({**company, key: ""})

    return change


def _reverse_charge_missing_vat(invoice, lines):
    lines[0].vat_category, lines[0].vat_rate = "AE", Decimal("0")
    lines[0].exemption_reason = "Autoliquidation"
    invoice.tax_breakdown = tax_breakdown(lines)
    invoice.total_tax, invoice.total_incl_tax = Decimal("0.00"), invoice.total_excl_tax
    invoice.buyer_snapshot = {**invoice.buyer_snapshot, "vat_number": ""}


def _credit_note_without_original(invoice, lines):
    invoice.document_type, invoice.corrects_id = "381", None


# One case per row of INVOICING_FR.md 1.1: (row, what breaks it, the mention named in the refusal).
ROWS = [
    ("1 document type", _set("document_type", "999"), "the document type"),
    ("1 credit note's original", _credit_note_without_original, "the invoice the credit note corrects"),
    ("2 number", _set("number", "FAC 2026 0042"), "a unique number"),
    ("3 issue date", _set("issued_on", None), "the issue date"),
    ("4 date of supply", _set("supplied_on", None), "the date of supply"),
    ("5 seller name", _seller("name", ""), "the seller's name"),
    ("5 seller address", _seller("address_line", ""), "the seller's address"),
    ("5 seller SIREN", _seller("siren", ""), "the seller's SIREN"),
    ("5 EI mention", _seller("name", "Paul Durand Conseil"), "the mention “EI”"),
    ("5 company capital", _company_without("share_capital"), "share capital"),
    ("5 company RCS", _company_without("rcs_city"), "RCS city"),
    ("5 member company capital", _member_company_without("share_capital"), "the seller's share capital"),
    ("5 member company RCS", _member_company_without("rcs_city"), "the seller's RCS city"),
    ("5 VAT regime", _seller("vat_regime", ""), "the seller's VAT regime"),
    ("6 seller VAT number", _seller("vat_number", ""), "the seller's VAT number"),
    ("7 buyer name", _buyer("name", ""), "the buyer's name"),
    ("7 buyer address", _buyer("city", ""), "the buyer's billing address"),
    ("8 buyer SIREN", _buyer("siren", ""), "the buyer's SIREN"),
    ("8 buyer VAT number", _reverse_charge_missing_vat, "the buyer's VAT number"),
    ("9 lines", _no_lines, "at least one line"),
    ("9 line detail", _blank_description, "a description, quantity and unit price"),
    ("10 totals per rate", _wrong_totals, "the totals per VAT rate"),
    ("11 exemption reference", _exempt_without_reason, "the VAT exemption reference"),
    ("12 reverse charge", _reverse_charge_without_mention, "“Autoliquidation”"),
    ("12 mandate issuer", _mandate_without_issuer, "the issuer acting under the billing mandate"),
    ("13 due date", _set("due_on", None), "the due date"),
    ("13 penalty rate", _seller("late_penalty_rate", ""), "the late-payment penalty rate"),
    ("14 purchase order", _set("purchase_order", "PO\n42"), "purchase order number"),
    ("15 nature", _set("operation_nature", "X"), "the nature of the operation"),
    ("15 flow", _set("flow", "P2P"), "the flow of the invoice"),
]


@pytest.mark.parametrize(("row", "breach", "named"), ROWS, ids=[row for row, _b, _n in ROWS])
def test_each_missing_mention_is_named(issued, row, breach, named):
    invoice = deepcopy(issued)
    invoice.seller_snapshot = dict(invoice.seller_snapshot)
    lines = _lines(invoice)

    breach(invoice, lines)

    missing = invoice_missing_mentions(invoice, lines)
    assert any(named in mention for mention in missing), missing


def test_a_wrong_option_for_vat_on_debits_is_a_missing_mention_for_a_franchise_seller(world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    draft = invoicing.invoice_of(batch, world.lead)  # the lead is under the franchise
    Invoice.objects.filter(pk=draft.pk).update(vat_on_debits=True)

    with pytest.raises(ValidationError, match="option for VAT on debits"):
        invoice_issue(by=world.lead, invoice_id=draft.pk)

    assert NumberSeries.objects.get(seller__user=world.lead, document_type="invoice").last_number == 0


def test_a_consumer_invoice_needs_no_siren_nor_address(issued):
    invoice = deepcopy(issued)
    invoice.flow = Invoice.Flow.B2C
    invoice.buyer_snapshot = {"name": "Léa Moreau"}
    invoice.seller_snapshot = {**invoice.seller_snapshot, "late_penalty_rate": ""}

    assert invoice_missing_mentions(invoice, _lines(invoice)) == []


# --- VAT and totals -----------------------------------------------------------------------------------------


def _line(net, rate="20.00", category="S"):
    return InvoiceLine(net_amount=Decimal(net), vat_rate=Decimal(rate), vat_category=category)


def test_vat_is_computed_once_per_rate_three_times_10_10():
    breakdown = tax_breakdown([_line("10.10"), _line("10.10"), _line("10.10")])

    assert breakdown[0]["base"] == "30.30"
    assert breakdown[0]["tax"] == "6.06"


def test_vat_per_rate_is_not_the_sum_of_vat_rounded_per_line():
    # Per line: 10.03 × 20 % = 2.006 → 2.01, three times 6.03; per rate: 30.09 × 20 % = 6.018 → 6.02.
    breakdown = tax_breakdown([_line("10.03"), _line("10.03"), _line("10.03"), _line("50.00", "5.50")])

    assert [(row["rate"], row["base"], row["tax"]) for row in breakdown] == [
        ("20.00", "30.09", "6.02"),
        ("5.50", "50.00", "2.75"),
    ]


@pytest.mark.parametrize(
    ("issued_on", "expected"),
    [
        # End of month + 45 days = 15 March; + 45 days then end of month = 31 March: the earlier wins.
        (date(2026, 1, 15), date(2026, 3, 17)),
        (date(2026, 1, 31), date(2026, 3, 17)),
        (date(2026, 2, 1), date(2026, 3, 31)),
    ],
)
def test_45_days_end_of_month_takes_the_earlier_reading(issued_on, expected):
    month_end = {1: date(2026, 1, 31), 2: date(2026, 2, 28)}[issued_on.month]
    later = issued_on + timedelta(days=45)
    assert expected == min(
        month_end + timedelta(days=45), date(later.year, later.month, 31 if later.month == 3 else 30)
    )
    assert due_date({"payment_terms": LegalSeller.PaymentTerms.END_OF_MONTH_45}, issued_on) == expected


# --- Bad inputs: a clear error, nothing issued ----------------------------------------------------------------


def _refused(invoicing, user, invoice, match):
    series = NumberSeries.objects.get(seller=invoice.seller, document_type="invoice")
    with pytest.raises(ValidationError, match=match):
        invoice_issue(by=user, invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.pdf_sha256) == ("draft", "", "")
    assert NumberSeries.objects.get(pk=series.pk).last_number == series.last_number


@pytest.mark.parametrize(
    ("field", "label"),
    [("siret", "SIRET"), ("address_line", "address"), ("city", "city"), ("vat_regime", "VAT regime")],
)
def test_a_seller_missing_part_of_their_identity_issues_nothing(world, field, label):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    setattr(invoicing.member, field, "")
    invoicing.member.save()

    _refused(
        invoicing, invoicing.member, invoicing.invoice_of(batch, invoicing.member), f"missing: .*{label}"
    )


@pytest.mark.parametrize("legal_form", ["eurl", "sasu", "sas"])
@pytest.mark.parametrize(("field", "named"), [("share_capital", "share capital"), ("rcs_city", "RCS city")])
def test_a_member_company_without_capital_or_rcs_issues_nothing(world, legal_form, field, named):
    invoicing = ready_to_invoice(world)
    member = invoicing.member
    member.legal_form, member.share_capital, member.rcs_city = legal_form, Decimal("1000"), "Lyon"
    member.save()
    batch = invoicing.draft()
    setattr(member, field, None if field == "share_capital" else "")
    member.save()

    _refused(invoicing, member, invoicing.invoice_of(batch, member), f"missing: .*{named}")


def test_a_seller_missing_an_identity_cannot_even_be_drafted(world):
    invoicing = ready_to_invoice(world)
    invoicing.member.siret = ""
    invoicing.member.save()

    with pytest.raises(ValidationError, match="Paul Durand Conseil is not ready to bill; missing: SIRET"):
        invoicing.draft()
    assert not Invoice.objects.exists()


def test_a_business_client_without_billing_address_issues_nothing(world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    world.client.address_line = ""
    world.client.save()

    _refused(invoicing, world.lead, invoicing.invoice_of(batch, world.lead), "has no billing address")


def test_a_series_set_back_below_an_issued_number_issues_nothing(world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    invoice_issue(by=world.lead, invoice_id=invoicing.invoice_of(batch, world.lead).pk)
    second = another_milestone(invoicing).invoices.get(seller__user=world.lead)
    NumberSeries.objects.filter(seller__user=world.lead, document_type="invoice").update(last_number=0)

    _refused(invoicing, world.lead, second, "set back to 0 while number 1 was issued")


def test_back_dating_is_refused(world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    lead_draft = invoicing.invoice_of(batch, world.lead)
    series = NumberSeries.objects.get(seller=lead_draft.seller, document_type="invoice")
    NumberSeries.objects.filter(pk=series.pk).update(last_issued_on=date.today() + timedelta(days=3))

    _refused(invoicing, world.lead, lead_draft, "cannot be before the last one of the series")

    with time_machine.travel(date.today() + timedelta(days=3)):
        assert invoice_issue(by=world.lead, invoice_id=lead_draft.pk).number.endswith("-00001")
