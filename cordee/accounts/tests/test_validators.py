import pytest
from django.core.exceptions import ValidationError

from cordee.accounts import validators


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("732 829 320 00074", "73282932000074"), ("732.829.320.00074", "73282932000074"), ("", "")],
)
def test_siret_is_stored_as_fourteen_digits(typed, stored):
    assert validators.siret_normalize(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("7328293200007A", "siret_format"),
        ("7328293200007", "siret_length"),
        ("73282932000075", "siret_checksum"),
    ],
)
def test_invalid_siret_is_refused_with_a_specific_reason(typed, code):
    with pytest.raises(ValidationError) as error:
        validators.siret_normalize(typed)
    assert error.value.code == code


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("fr40 303 265 045", "FR40303265045"),
        ("DE 136 695 976", "DE136695976"),
        ("EL 094259216", "EL094259216"),
    ],
)
def test_vat_number_is_stored_compact_and_uppercase(typed, stored):
    assert validators.vat_number_normalize(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("40303265045", "vat_format"),
        ("ZZ40303265045", "vat_format"),
        ("FR41303265045", "vat_checksum"),
        ("FR4030326504", "vat_invalid"),
    ],
)
def test_invalid_vat_number_is_refused_with_a_specific_reason(typed, code):
    with pytest.raises(ValidationError) as error:
        validators.vat_number_normalize(typed)
    assert error.value.code == code


def test_french_vat_number_is_derived_from_the_siren():
    assert validators.french_vat_number_for_siren("303265045") == "FR40303265045"
    assert validators.french_vat_number_for_siren("732829320") == "FR44732829320"


def test_vat_number_of_another_siren_gives_the_expected_one():
    assert validators.vat_number_matches_siret(vat_number="FR40303265045", siret_number="73282932000074") == (
        "FR44732829320"
    )
    assert (
        validators.vat_number_matches_siret(vat_number="FR44732829320", siret_number="73282932000074") is None
    )
    # A foreign VAT number or a missing SIRET is not compared.
    assert (
        validators.vat_number_matches_siret(vat_number="DE136695976", siret_number="73282932000074") is None
    )
    assert validators.vat_number_matches_siret(vat_number="FR40303265045", siret_number="") is None


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("FR7630006000011234567890188", "iban_checksum"),
        ("FR763000600001", "iban_length"),
        ("QQ7630006000011234567890189", "iban_country"),
        ("HELLO", "iban_invalid"),
    ],
)
def test_invalid_iban_is_refused_with_a_specific_reason(typed, code):
    with pytest.raises(ValidationError) as error:
        validators.iban_normalize(typed)
    assert error.value.code == code


def test_iban_and_bic_are_stored_compact():
    assert validators.iban_normalize("de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    assert validators.bic_normalize("bnpa fr pp xxx") == "BNPAFRPPXXX"
    assert validators.bic_from_iban("FR7630006000011234567890189") == "AGRIFRPPXXX"
    assert validators.bic_from_iban("") == ""


def test_postal_code_has_five_digits_in_france_only():
    assert validators.postal_code_normalize(" 75011 ", "FR") == "75011"
    assert validators.postal_code_normalize("sw1a 1aa", "GB") == "SW1A 1AA"
    with pytest.raises(ValidationError):
        validators.postal_code_normalize("750", "FR")
