from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cordee.accounts.services import user_profile_update
from cordee.accounts.tests.factories import (
    OTHER_VALID_VAT,
    VALID_IBAN,
    VALID_SIRET,
    VALID_VAT_FOR_SIRET,
    LegalUserFactory,
    png_upload,
    svg_upload,
)
from cordee.core.tests.factories import UserFactory


def test_update_normalises_and_saves_the_given_fields(db):
    # Given
    user = UserFactory(full_name="Claire")

    # When
    user_profile_update(
        user=user,
        data={
            "siret": "732 829 320 00074",
            "iban": "fr76 3000 6000 0112 3456 7890 189",
            "default_day_rate": "612.345",
        },
    )

    # Then
    user.refresh_from_db()
    assert (user.full_name, user.siret, user.iban, user.bic) == (
        "Claire",
        VALID_SIRET,
        VALID_IBAN,
        "AGRIFRPPXXX",
    )
    assert user.default_day_rate == Decimal("612.35")


def test_becoming_vat_registered_needs_a_vat_number_even_in_a_partial_update(db):
    # Given: a complete identity under the franchise
    user = LegalUserFactory(vat_regime="franchise", vat_number="")

    # When
    with pytest.raises(ValidationError) as error:
        user_profile_update(user=user, data={"vat_regime": "registered"})

    # Then
    assert [item.code for item in error.value.error_dict["vat_number"]] == ["vat_required"]
    user.refresh_from_db()
    assert user.vat_regime == "franchise"


def test_changing_the_siret_is_checked_against_the_saved_vat_number(db):
    # Given
    user = LegalUserFactory(vat_regime="registered", vat_number=VALID_VAT_FOR_SIRET)

    # When: a SIRET of another company, the VAT number unchanged
    with pytest.raises(ValidationError) as error:
        user_profile_update(user=user, data={"siret": "30326504500003"})

    # Then
    assert [item.code for item in error.value.error_dict["vat_number"]] == ["vat_siren_mismatch"]
    user.refresh_from_db()
    assert user.siret == VALID_SIRET


def test_several_invalid_values_are_all_reported_and_nothing_saved(db):
    # Given
    user = UserFactory(full_name="Claire")

    # When
    with pytest.raises(ValidationError) as error:
        user_profile_update(
            user=user,
            data={
                "full_name": "Claire Martin",
                "siret": "123",
                "vat_number": OTHER_VALID_VAT[:-1],
                "iban": "FR00",
                "legal_form": "corporation",
                "country": "XX",
                "default_day_rate": "-1",
                "photo": svg_upload(),
            },
        )

    # Then
    assert sorted(error.value.error_dict) == [
        "country",
        "default_day_rate",
        "iban",
        "legal_form",
        "photo",
        "siret",
        "vat_number",
    ]
    user.refresh_from_db()
    assert (user.full_name, user.siret, user.photo.name) == ("Claire", "", "")


def test_photo_is_saved_with_the_extension_of_its_real_format(db):
    # Given: a PNG whose name claims JPEG
    user = UserFactory()

    # When
    user_profile_update(user=user, data={"photo": png_upload("portrait.jpg")})

    # Then
    user.refresh_from_db()
    assert user.photo.name.startswith("photos/")
    assert user.photo.name.endswith(".png")
