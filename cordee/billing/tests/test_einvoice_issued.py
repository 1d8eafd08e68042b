"""Golden invoices and credit notes issued through the models (INVOICING_FR.md R-3.5, R-3.8): franchise seller,
VAT seller with two rates, billing mandate, legal entity and credit note pass the XSD, the EN 16931 and the BR-FR
rules; their PDF passes the PDF/A-3 checks; XML, PDF and model carry the same totals. Each golden PDF and
XML is written to `var/invoices/golden/` (ignored by git) so that anyone can open and check them.
"""

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from cordee.billing import einvoice, einvoice_check
from cordee.billing.einvoice import franchise_line_values
from cordee.billing.einvoice_check import EInvoiceInvalid
from cordee.billing.models import (
    ActivityReport,
    BillingMandate,
    BillingPlan,
    Invoice,
    InvoiceLine,
    LegalSeller,
    NumberSeries,
    RevenueSplit,
    SplitShare,
)
from cordee.billing.services.invoices import credit_note_issue
from cordee.billing.services.plans import plan_save
from cordee.billing.services.sellers import (
    client_identity,
    entity_seller_save,
    member_seller_for,
    number_issue,
    seller_identity,
)
from cordee.billing.tests.conftest import make_ready, payg_input
from cordee.billing.tests.invoicing import issue_all, mandate, ready_to_invoice
from cordee.billing.tests.test_einvoice import GOLDEN_DIR, ISSUED_ON, french_euros, pdf_text, xml_text
from cordee.core.money import line_amount, money_sum, percent_of
from cordee.core.tests.factories import MembershipFactory


@pytest.fixture(scope="session")
def schematrons():
    einvoice_check.schematrons_load()


@dataclasses.dataclass
class Sellers:
    franchise: LegalSeller
    vat: LegalSeller
    entity: LegalSeller


@pytest.fixture
def plan(world):
    return plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input())


@pytest.fixture
def sellers(world):
    """The lead's micro-business under the franchise, a VAT-registered teammate and the collective's SAS."""
    franchise = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)
    teammate = MembershipFactory(collective=world.collective).user
    make_ready(
        teammate,
        full_name="Hugo Petit",
        business_name="",
        legal_form="ei",
        siret="44306184100047",
        vat_regime="registered",
        vat_number="FR64443061841",
        account_holder="Hugo Petit",
    )
    vat = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=teammate.pk)
    entity = entity_seller_save(
        by=world.lead,
        collective_id=world.collective.pk,
        values={
            "name": "Cordée Studio",
            "entity_form": "sas",
            "siren": "542065479",
            "vat_regime": "registered",
            "vat_number": "FR82542065479",
            "rcs_city": "Lyon",
            "share_capital": Decimal("10000"),
            "address_line": "8 quai Saint-Vincent",
            "postal_code": "69001",
            "city": "Lyon",
            "iban": "FR7630006000011234567890189",
            "account_holder": "Cordée Studio SAS",
        },
    )
    return Sellers(franchise=franchise, vat=vat, entity=entity)


SERIES = {"380": NumberSeries.DocumentType.INVOICE, "381": NumberSeries.DocumentType.CREDIT_NOTE}


def model_breakdown(lines: list[InvoiceLine]) -> list[dict]:
    groups = {}
    for line in lines:
        group = groups.setdefault(
            (line.vat_category, line.vat_rate),
            {"base": Decimal("0.00"), "reason": line.exemption_reason, "code": line.exemption_code},
        )
        group["base"] += line.net_amount
    return [
        {
            "category": category,
            "rate": str(rate),
            "base": str(group["base"]),
            "tax": str(percent_of(group["base"], rate)),
            "exemption_reason": group["reason"],
            "exemption_code": group["code"],
        }
        for (category, rate), group in groups.items()
    ]


@transaction.atomic
def issue(
    world, plan, seller, lines, *, issued_on=ISSUED_ON, corrects=None, mandate=None, **fields
) -> Invoice:
    """Draft, freeze and number an invoice with its lines, then render its files with `invoice_files`."""
    document_type = "381" if corrects else "380"
    invoice = Invoice.objects.create(
        collective=world.collective,
        mission=world.mission,
        plan=plan,
        seller=seller,
        client=world.client,
        document_type=document_type,
        corrects=corrects,
        mandate=mandate,
        issuer=mandate.issuer if mandate else None,
        **fields,
    )
    saved = []
    for position, (description, quantity, unit_code, unit_price, rate) in enumerate(lines, start=1):
        regime = seller_identity(seller)["vat_regime"]
        vat = (
            franchise_line_values(issued_on)
            if regime != "registered"
            else {"vat_category": "S", "vat_rate": rate}
        )
        saved.append(
            InvoiceLine.objects.create(
                collective=world.collective,
                invoice=invoice,
                position=position,
                description=description,
                quantity=quantity,
                unit_code=unit_code,
                unit_price=unit_price,
                net_amount=line_amount(quantity, unit_price),
                **vat,
            )
        )
    invoice.seller_snapshot = seller_identity(seller)
    invoice.buyer_snapshot = client_identity(world.client)
    invoice.issuer_snapshot = seller_identity(mandate.issuer) if mandate else {}
    invoice.tax_breakdown = model_breakdown(saved)
    invoice.total_excl_tax = sum(Decimal(row["base"]) for row in invoice.tax_breakdown)
    invoice.total_tax = sum(Decimal(row["tax"]) for row in invoice.tax_breakdown)
    invoice.total_incl_tax = invoice.total_excl_tax + invoice.total_tax
    invoice.issued_on = issued_on
    invoice.due_on = issued_on + timedelta(days=30)
    invoice.number = number_issue(seller=seller, document_type=SERIES[document_type], issued_on=issued_on)
    invoice.status = Invoice.Status.ISSUED
    invoice.pdf, invoice.xml = einvoice.invoice_files(invoice)
    invoice.save()
    return invoice


def golden_invoices(world, plan, sellers) -> dict[str, Invoice]:
    period = {"period_start": date(2026, 11, 2), "period_end": date(2026, 11, 27)}
    franchise = issue(
        world,
        plan,
        sellers.franchise,
        [("Design des maquettes, novembre", Decimal("4.5"), "DAY", Decimal("450"), None)],
        **period,
    )
    vat = issue(
        world,
        plan,
        sellers.vat,
        [
            ("Développement, sprint 4", Decimal("3"), "DAY", Decimal("10.10"), Decimal("20.00")),
            ("Développement, sprint 5", Decimal("12"), "DAY", Decimal("600"), Decimal("20.00")),
            ("Formation professionnelle", Decimal("1"), "C62", Decimal("1200"), Decimal("10.00")),
        ],
        supplied_on=date(2026, 11, 30),
        vat_on_debits=True,
    )
    mandate = BillingMandate.objects.create(
        collective=world.collective,
        seller=sellers.franchise,
        issuer=sellers.entity,
        signed_on=date(2026, 9, 1),
        scope="Factures des missions du collectif",
    )
    mandated = issue(
        world,
        plan,
        sellers.franchise,
        [("Atelier avec l'équipe", Decimal("3"), "HUR", Decimal("85.50"), None)],
        mandate=mandate,
        **period,
    )
    entity = issue(
        world,
        plan,
        sellers.entity,
        [("Accompagnement produit, 8 semaines", Decimal("16"), "DAY", Decimal("750"), Decimal("20.00"))],
        purchase_order="PO-88-2026",
        **period,
    )
    credit = issue(
        world,
        plan,
        sellers.vat,
        [
            (
                "Développement, sprint 5 : journée non réalisée",
                Decimal("1"),
                "DAY",
                Decimal("600"),
                Decimal("20.00"),
            )
        ],
        issued_on=date(2026, 12, 4),
        corrects=vat,
        supplied_on=date(2026, 11, 30),
    )
    return {
        "franchise": franchise,
        "vat_two_rates": vat,
        "mandate": mandated,
        "entity": entity,
        "credit_note": credit,
    }


def test_golden_invoices_issued_through_the_models_pass_every_check(schematrons, world, plan, sellers):
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for name, invoice in golden_invoices(world, plan, sellers).items():
        invoice = Invoice.objects.get(pk=invoice.pk)
        pdf, xml = bytes(invoice.pdf), bytes(invoice.xml)
        (GOLDEN_DIR / f"{name}.pdf").write_bytes(pdf)
        (GOLDEN_DIR / f"{name}.xml").write_bytes(xml)

        assert [str(failure) for failure in einvoice_check.xml_failures(xml) if failure.blocking] == [], name
        einvoice_check.pdf_check(pdf)
        assert einvoice_check.pdf_embedded_xml(pdf) == xml
        # The XML, the PDF and the model say the same amounts.
        summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
        assert xml_text(xml, summation + "ram:TaxBasisTotalAmount") == [str(invoice.total_excl_tax)], name
        assert xml_text(xml, summation + "ram:TaxTotalAmount") == [str(invoice.total_tax)], name
        assert xml_text(xml, summation + "ram:GrandTotalAmount") == [str(invoice.total_incl_tax)], name
        text = pdf_text(pdf)
        assert french_euros(invoice.total_incl_tax) in text, name
        assert invoice.number in text
        assert xml_text(xml, "//rsm:ExchangedDocument/ram:ID") == [invoice.number]


def test_golden_invoices_carry_their_model_specific_data(schematrons, world, plan, sellers):
    invoices = golden_invoices(world, plan, sellers)
    # A member's series carry their initials (Claire Martin, Hugo Petit); the entity's do not.
    assert [invoice.number for invoice in invoices.values()] == [
        "FAC-CM-2026-00001",
        "FAC-HP-2026-00001",
        "FAC-CM-2026-00002",
        "FAC-2026-00001",
        "AV-HP-2026-00001",
    ]
    credit = bytes(invoices["credit_note"].xml)
    assert xml_text(credit, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert xml_text(credit, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["FAC-HP-2026-00001"]
    mandated = pdf_text(bytes(invoices["mandate"].pdf))
    assert (
        "Facture établie par Cordée Studio au nom et pour le compte de Claire Martin Design EI." in mandated
    )
    franchise = bytes(invoices["franchise"].xml)
    assert xml_text(franchise, "//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']") == ["73282932000074"]
    vat = bytes(invoices["vat_two_rates"].xml)
    assert xml_text(
        vat, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:DueDateTypeCode"
    ) == [
        "5",
        "5",
    ]
    entity = pdf_text(bytes(invoices["entity"].pdf))
    assert "SAS au capital de 10 000,00 €" in entity
    assert "RCS Lyon 542065479" in entity


def test_issuing_refuses_an_invoice_failing_the_rules(schematrons, world, plan, sellers):
    """R-2.8: `invoice_files` checks the XML first; the transaction rolls back, no number is used."""
    world.client.siren = ""
    world.client.save()
    with pytest.raises(EInvoiceInvalid) as raised:
        issue(world, plan, sellers.vat, [("Audit", Decimal("1"), "DAY", Decimal("600"), Decimal("20.00"))])
    assert any(failure.id.startswith("BR-FR-11") for failure in raised.value.failures)
    assert not Invoice.objects.exists()
    assert NumberSeries.objects.get(seller=sellers.vat, document_type="invoice").last_number == 0


def test_a_consumer_invoice_takes_the_client_contact_email_as_address(schematrons, world, plan, sellers):
    world.client.siren = ""
    world.client.save()
    invoice = issue(
        world,
        plan,
        sellers.franchise,
        [("Cours particulier", Decimal("2"), "HUR", Decimal("45"), None)],
        flow="B2C",
        supplied_on=date(2026, 12, 1),
    )
    xml = bytes(invoice.xml)
    assert xml_text(xml, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']") == [
        world.contact.email
    ]
    assert "40,00" not in pdf_text(bytes(invoice.pdf))


def test_the_nature_of_the_operation_is_the_first_letter_of_bt_23(schematrons, world, plan, sellers):
    invoice = issue(
        world,
        plan,
        sellers.vat,
        [("Licence et installation", Decimal("1"), "C62", Decimal("900"), Decimal("20.00"))],
        operation_nature="M",
        supplied_on=date(2026, 12, 1),
    )
    assert xml_text(bytes(invoice.xml), "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == [
        "M1"
    ]


# --- Through the issuing service (`services.invoices`) --------------------------------------------------


def test_a_member_company_prints_its_legal_form_capital_and_rcs_city(schematrons, world):
    invoicing = ready_to_invoice(world)
    member = invoicing.member
    member.legal_form, member.share_capital, member.rcs_city = "sasu", Decimal("1000"), "Lyon"
    member.save()
    batch = invoicing.draft()

    invoice = issue_all(batch, {"manager": world.lead})
    invoice = next(issued for issued in invoice if issued.seller.user_id == member.pk)

    xml, pdf = bytes(invoice.xml), bytes(invoice.pdf)
    assert xml_text(xml, "//ram:SellerTradeParty/ram:Description") == [
        "SASU au capital de 1\xa0000,00 €, RCS Lyon 552081317"
    ]
    assert [str(failure) for failure in einvoice_check.xml_failures(xml) if failure.blocking] == []
    text = pdf_text(pdf)
    assert "SASU au capital de 1 000,00 €, RCS Lyon 552081317" in text


def test_an_activity_period_is_invoiced_in_days_at_the_members_day_rate(schematrons, world):
    """2.5 days × 600 € give the member's share to the cent: a line in days. The lead's 1.1429 days × 650 €
    make 742.89 € but the split's rounding gave them 742.88 €: one line of the amount, the total unchanged."""
    invoicing = ready_to_invoice(world)
    report = ActivityReport.objects.create(
        collective=world.collective,
        mission=world.mission,
        plan=invoicing.plan,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        status=ActivityReport.Status.VALIDATED,
        lines=[
            {
                "user_id": invoicing.member.pk,
                "name": "Paul Durand",
                "hours": "20.00",
                "days": "2.5000",
                "day_rate": "600.00",
                "amount": "1500.00",
            },
            {
                "user_id": world.lead.pk,
                "name": "Claire Martin",
                "hours": "8.00",
                "days": "1.1429",
                "day_rate": "650.00",
                "amount": "742.89",
            },
        ],
        total_amount=Decimal("2242.88"),
    )
    split = RevenueSplit.objects.create(
        collective=world.collective,
        mission=world.mission,
        plan=invoicing.plan,
        source=RevenueSplit.Source.ACTIVITY_REPORT,
        activity_report=report,
        amount=Decimal("2242.88"),
        method=RevenueSplit.Method.TIME_RATE,
        status=RevenueSplit.Status.APPROVED,
    )
    for user, amount in ((invoicing.member, "1500.00"), (world.lead, "742.88")):
        SplitShare.objects.create(collective=world.collective, split=split, user=user, amount=Decimal(amount))

    issued = issue_all(invoicing.draft(activity_report_id=report.pk), {"manager": world.lead})

    by_member = {invoice.seller.user_id: invoice for invoice in issued}
    in_days = InvoiceLine.objects.get(invoice=by_member[invoicing.member.pk])
    assert (in_days.quantity, in_days.unit_code, in_days.unit_price, in_days.net_amount) == (
        Decimal("2.5"),
        "DAY",
        Decimal("600"),
        Decimal("1500.00"),
    )
    rounded = InvoiceLine.objects.get(invoice=by_member[world.lead.pk])
    assert (rounded.quantity, rounded.unit_code, rounded.unit_price, rounded.net_amount) == (
        Decimal("1"),
        "C62",
        Decimal("742.88"),
        Decimal("742.88"),
    )
    xml = bytes(by_member[invoicing.member.pk].xml)
    assert [str(failure) for failure in einvoice_check.xml_failures(xml) if failure.blocking] == []
    assert xml_text(xml, "//ram:BilledQuantity") == ["2.50"]
    assert b'unitCode="DAY"' in xml
    assert "2,5 jours 600,00 € 20 %" in pdf_text(bytes(by_member[invoicing.member.pk].pdf))
    assert money_sum(invoice.total_excl_tax for invoice in issued) == Decimal("2242.88")


@pytest.mark.parametrize("mode", list(BillingPlan.InvoicingMode))
def test_every_invoice_the_service_issues_passes_every_check(schematrons, world, mode):
    """Each invoicing mode, and a credit note: the files `invoice_issue` and `credit_note_issue` store pass
    the XSD, EN 16931 and BR-FR rules and the PDF/A-3 checks; written to var/invoices/golden/service-*."""
    invoicing = ready_to_invoice(world, mode)
    if mode == BillingPlan.InvoicingMode.MANDATE:
        mandate(invoicing)
    batch = invoicing.draft()
    issued = issue_all(batch, {"manager": world.lead})
    issued.append(credit_note_issue(by=world.lead, invoice_id=issued[0].pk, reason="Livrable refusé"))
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for index, invoice in enumerate(issued, start=1):
        pdf, xml = bytes(invoice.pdf), bytes(invoice.xml)
        (GOLDEN_DIR / f"service-{mode}-{index}-{invoice.number}.pdf").write_bytes(pdf)
        assert [str(failure) for failure in einvoice_check.xml_failures(xml) if failure.blocking] == []
        einvoice_check.pdf_check(pdf)
        summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
        assert xml_text(xml, summation + "ram:GrandTotalAmount") == [str(invoice.total_incl_tax)]
        assert french_euros(invoice.total_incl_tax) in pdf_text(pdf)
