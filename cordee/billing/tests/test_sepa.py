"""SEPA payout files (INVOICING_FR.md R-4.1 to R-4.7): pain.001.001.09 from sepaxml, checked against its XSD."""

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from schwifty.exceptions import InvalidChecksumDigits
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError as SepaSchemaError

from cordee.billing.sepa import (
    REMITTANCE_MAX,
    Debtor,
    Transfer,
    amount_in_cents,
    bank_account_checked,
    credit_transfer_file,
    end_to_end_id,
    remittance_text,
    sepa_text,
    structured_address,
)

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"
LEAD_IBAN = "FR7630006000011234567890189"
MEMBER_IBAN = "FR1420041010050500013M02606"
GERMAN_IBAN = "DE89370400440532013000"


@pytest.fixture(autouse=True)
def _english_messages():
    """Messages are read in English here (French is the default language; its catalogue is tested apart)."""
    with translation.override("en"):
        yield


def debtor(**overrides) -> Debtor:
    values = {
        "name": "Claire Martin Design EI",
        "iban": LEAD_IBAN,
        "bic": "AGRIFRPP",
        "address_line": "12 rue des Lilas",
        "postal_code": "75011",
        "town": "Paris",
        "country": "FR",
    }
    return Debtor(**{**values, **overrides})


def transfer(**overrides) -> Transfer:
    values = {
        "end_to_end_id": "CORDEE-PAYOUT-17",
        "name": "Hélène Dupré",
        "iban": MEMBER_IBAN,
        "bic": "",
        "amount": Decimal("1234.56"),
        "remittance": "Cordee FAC-2026-00012 1234.56",
    }
    return Transfer(**{**values, **overrides})


def parse(content: bytes):
    return ET.fromstring(content)


def test_a_payout_file_with_a_structured_debtor_address_passes_the_bundled_xsd():
    content = credit_transfer_file(
        debtor=debtor(),
        transfers=[
            transfer(),
            transfer(end_to_end_id="CORDEE-PAYOUT-18", iban=GERMAN_IBAN, amount=Decimal("0.01")),
        ],
        execution_date=date(2026, 12, 4),
    )
    xmlschema.XMLSchema(XSD).validate(content.decode())
    root = parse(content)
    address = root.find(".//p:Dbtr/p:PstlAdr", NS)
    assert [child.tag.split("}")[1] for child in address] == ["StrtNm", "BldgNb", "PstCd", "TwnNm", "Ctry"]
    assert address.find("p:StrtNm", NS).text == "rue des Lilas"
    assert address.find("p:BldgNb", NS).text == "12"
    assert root.find(".//p:AdrTp", NS) is None
    assert root.find(".//p:AdrLine", NS) is None
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", NS).text == "1234.57"
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", NS).text == "2"
    assert root.find(".//p:PmtInf/p:CtrlSum", NS).text == "1234.57"
    assert root.find(".//p:ReqdExctnDt/p:Dt", NS).text == "2026-12-04"
    transactions = root.findall(".//p:CdtTrfTxInf", NS)
    assert [t.find("p:PmtId/p:EndToEndId", NS).text for t in transactions] == [
        "CORDEE-PAYOUT-17",
        "CORDEE-PAYOUT-18",
    ]
    assert transactions[0].find("p:Amt/p:InstdAmt", NS).text == "1234.56"
    assert transactions[0].find("p:Amt/p:InstdAmt", NS).get("Ccy") == "EUR"
    # SEPA character set: the accents are gone, the name is the holder's.
    assert transactions[0].find("p:Cdtr/p:Nm", NS).text == "Helene Dupre"
    assert transactions[0].find("p:RmtInf/p:Ustrd", NS).text == "Cordee FAC-2026-00012 1234.56"
    # A French IBAN's BIC is derived when the member did not give it.
    assert transactions[0].find("p:CdtrAgt/p:FinInstnId/p:BICFI", NS).text
    assert root.find(".//p:DbtrAgt/p:FinInstnId/p:BICFI", NS).text == "AGRIFRPP"


def test_sepaxml_2_7_0_still_breaks_the_file_with_an_address_type():
    """R-4.2: the reason the address never carries `address_type`; if this starts passing, upstream fixed it."""
    config = {
        "name": "Claire Martin",
        "IBAN": LEAD_IBAN,
        "BIC": "AGRIFRPP",
        "batch": True,
        "currency": "EUR",
        "address": {"address_type": "ADDR", "town": "Paris", "country": "FR"},
    }
    document = SepaTransfer(config, schema="pain.001.001.09", clean=True)
    document.add_payment(
        {
            "name": "Helene Dupre",
            "IBAN": MEMBER_IBAN,
            "amount": 100,
            "execution_date": date(2026, 12, 4),
            "description": "test",
            "endtoend_id": "X-1",
        }
    )
    with pytest.raises(SepaSchemaError):
        document.export(validate=True)


def test_a_bad_iban_checksum_is_refused_naming_the_member():
    with pytest.raises(ValidationError) as refused:
        bank_account_checked(holder="Hélène Dupré", iban="FR7630006000011234567890188")
    assert isinstance(refused.value.__cause__, InvalidChecksumDigits)
    assert "Hélène Dupré" in refused.value.messages[0]
    assert "check digits" in refused.value.messages[0]


def test_a_missing_iban_is_refused_naming_the_member():
    with pytest.raises(ValidationError, match="Hélène Dupré has no IBAN"):
        bank_account_checked(holder="Hélène Dupré", iban="  ")


def test_a_file_with_one_bad_iban_is_not_written():
    with pytest.raises(ValidationError, match="Hélène Dupré"):
        credit_transfer_file(
            debtor=debtor(),
            transfers=[transfer(iban="FR1420041010050500013M02605")],
            execution_date=date(2026, 12, 4),
        )


def test_an_iban_is_stored_compact_and_the_bic_checked():
    assert bank_account_checked(holder="A", iban="fr76 3000 6000 0112 3456 7890 189", bic="agrifrpp") == (
        LEAD_IBAN,
        "AGRIFRPP",
    )
    with pytest.raises(ValidationError, match="BIC"):
        bank_account_checked(holder="A", iban=LEAD_IBAN, bic="AGRI")


def test_the_debtor_address_needs_a_town_and_a_country():
    with pytest.raises(ValidationError, match="town and a country"):
        credit_transfer_file(debtor=debtor(town=""), transfers=[transfer()], execution_date=date(2026, 12, 4))
    with pytest.raises(ValidationError, match="town and a country"):
        structured_address(address_line="1 rue X", postal_code="75001", town="Paris", country="")


def test_an_address_without_a_number_keeps_its_street_whole():
    assert structured_address(
        address_line="Lieu-dit Les Granges", postal_code="04300", town="Forcalquier", country="fr"
    ) == {"town": "Forcalquier", "country": "FR", "street_name": "Lieu-dit Les Granges", "postcode": "04300"}
    assert (
        structured_address(address_line="5 bis, avenue Foch", postal_code="", town="Lyon", country="FR")[
            "building_number"
        ]
        == "5 bis"
    )


def test_amounts_are_whole_positive_cents():
    assert amount_in_cents(Decimal("1234.50")) == 123450
    assert amount_in_cents(Decimal("0.01")) == 1
    for bad in (Decimal("0"), Decimal("-1"), Decimal("1.005")):
        with pytest.raises(ValidationError):
            amount_in_cents(bad)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=1, max_size=6))
def test_the_control_sum_is_the_sum_of_the_transfers(cents):
    transfers = [
        transfer(end_to_end_id=f"P-{index}", amount=Decimal(value) / 100) for index, value in enumerate(cents)
    ]
    root = parse(credit_transfer_file(debtor=debtor(), transfers=transfers, execution_date=date(2026, 12, 4)))
    total = sum(Decimal(value) for value in cents) / 100
    assert Decimal(root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", NS).text) == total
    assert sum(Decimal(node.text) for node in root.iterfind(".//p:InstdAmt", NS)) == total


def test_references_are_unique_and_at_most_35_characters():
    assert end_to_end_id("CORDEE PAYOUT 17") == "CORDEE-PAYOUT-17"
    with pytest.raises(ValidationError):
        end_to_end_id("X" * 36)
    with pytest.raises(ValidationError, match="share the reference"):
        credit_transfer_file(
            debtor=debtor(), transfers=[transfer(), transfer()], execution_date=date(2026, 12, 4)
        )


def test_the_remittance_cites_invoices_and_shares_within_140_characters():
    short = remittance_text([("FAC-2026-00012", Decimal("1234.5"))], prefix="Cordee Atelier")
    assert short == "Cordee Atelier FAC-2026-00012 1234.50"
    many = remittance_text([(f"FAC-2026-{n:05d}", Decimal("100")) for n in range(30)], prefix="Cordee")
    assert len(many) <= REMITTANCE_MAX
    assert many.endswith(" ...")
    assert "FAC-2026-00000 100.00" in many


def test_text_is_reduced_to_the_sepa_character_set():
    assert sepa_text("Zoë & Ørsted « coop »", 70) == "Zoe + Orsted coop"
    assert sepa_text("x" * 100, 70) == "x" * 70
