from decimal import Decimal

import pytest
from django.conf import settings
from django.forms.models import model_to_dict
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.text import capfirst

from cordee.accounts.models import User
from cordee.accounts.tests.factories import (
    OTHER_VALID_VAT,
    VALID_IBAN,
    VALID_SIRET,
    VALID_VAT_FOR_SIRET,
    LegalUserFactory,
    oversized_png_upload,
    png_upload,
    svg_upload,
)
from cordee.accounts.tests.helpers import in_language, shown, shown_error
from cordee.core.tests.factories import UserFactory

PROFILE_URL = "/profile/"


def french(message) -> str:
    """The French text of a message given as its msgid, or as (msgid, placeholder values)."""
    text, values = message if isinstance(message, tuple) else (message, None)
    translated = in_language("fr", text)
    return translated % values if values else translated


def form_data(**overrides) -> dict:
    """A complete, valid submission of the profile form, as a person would type it."""
    data = {
        "full_name": "Claire Martin",
        "language": "fr",
        "headline": "Designer produit",
        "skills": "UX research, Figma,  Design systems , figma",
        "default_day_rate": "650",
        "legal_form": "micro",
        "business_name": "",
        "siret": "732 829 320 00074",
        "vat_regime": "franchise",
        "vat_number": "",
        "address_line": "12 rue des Lilas",
        "postal_code": "75011",
        "city": "Paris",
        "country": "FR",
        "iban": "fr76 3000 6000 0112 3456 7890 189",
        "bic": "",
        "account_holder": "Claire Martin",
    }
    data.update(overrides)
    return data


def snapshot(user) -> dict:
    user.refresh_from_db()
    values = model_to_dict(user, exclude=["photo", "groups", "user_permissions", "last_login"])
    values["photo"] = user.photo.name
    return values


def test_anonymous_visitor_is_sent_to_the_login_page(client, db):
    # When
    response = client.get(PROFILE_URL)

    # Then
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={PROFILE_URL}"


def test_anonymous_post_changes_nothing(client, user):
    # Given
    before = snapshot(user)

    # When
    response = client.post(PROFILE_URL, form_data(full_name="Intruder"))

    # Then
    assert response.status_code == 302
    assert snapshot(user) == before


def test_profile_page_groups_fields_and_links_to_security(user_client):
    # When
    response = user_client.get(PROFILE_URL)

    # Then
    content = response.content.decode()
    assert response.status_code == 200
    assert [str(legend) for _key, legend, _fields in response.context["form"].grouped_fields()] == [
        in_language("fr", "Identity"),
        in_language("fr", "Legal identity"),
        in_language("fr", "Bank details"),
    ]
    assert content.count("<legend>") == 3
    assert f'href="{reverse("accounts:security")}"' in content
    assert 'enctype="multipart/form-data"' in content
    assert 'aria-current="page"' in content


def test_valid_update_saves_compact_values(user_client, user):
    # When
    response = user_client.post(
        PROFILE_URL, form_data(vat_regime="registered", vat_number="fr 44 732 829 320")
    )

    # Then
    assert response.status_code == 302
    assert response.url == PROFILE_URL
    user.refresh_from_db()
    assert user.siret == VALID_SIRET
    assert user.vat_number == VALID_VAT_FOR_SIRET
    assert user.iban == VALID_IBAN
    assert user.bic == "AGRIFRPPXXX"  # found from the IBAN
    assert user.skills == ["UX research", "Figma", "Design systems"]
    assert user.default_day_rate == Decimal("650.00")
    assert (user.legal_form, user.vat_regime, user.postal_code, user.country) == (
        "micro",
        "registered",
        "75011",
        "FR",
    )
    assert user.missing_legal_identity() == []
    page = user_client.get(PROFILE_URL)
    assert (
        shown_error("Your profile is saved. Your legal identity is complete for invoicing.")
        in page.content.decode()
    )


def test_a_company_saves_its_share_capital_and_rcs_city(user_client, user):
    user_client.post(PROFILE_URL, form_data(legal_form="sasu", share_capital="1000", rcs_city=" Paris "))

    user.refresh_from_db()
    assert (user.share_capital, user.rcs_city) == (Decimal("1000.00"), "Paris")
    assert user.missing_legal_identity() == []


def test_a_company_without_share_capital_nor_rcs_city_is_not_ready_to_invoice(user_client, user):
    user_client.post(PROFILE_URL, form_data(legal_form="eurl"))

    user.refresh_from_db()
    with translation.override("en"):
        assert user.missing_legal_identity() == ["share capital (€)", "RCS city"]


def test_a_typed_bic_is_kept_in_compact_form(user_client, user):
    # When
    user_client.post(PROFILE_URL, form_data(bic="bnpa fr pp"))

    # Then
    user.refresh_from_db()
    assert user.bic == "BNPAFRPP"


def test_profile_can_be_saved_incomplete(user_client, user):
    # When: only a name and a language, the legal identity left for later
    response = user_client.post(PROFILE_URL, {"full_name": "Claire", "language": "fr", "country": "FR"})

    # Then
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.siret, user.iban, user.default_day_rate) == ("Claire", "", "", None)
    with translation.override("en"):
        missing = user.missing_legal_identity()
    assert missing == [
        "legal form",
        "SIRET",
        "VAT regime",
        "address",
        "postal code",
        "city",
        "IBAN",
        "account holder",
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message", "typed"),
    [
        (
            {"siret": "732 829 320 00075"},
            "siret",
            "This SIRET does not exist: its check digit does not match, so a digit is probably "
            "mistyped. Copy it from your INSEE registration notice.",
            "732 829 320 00075",
        ),
        (
            {"siret": "73282932"},
            "siret",
            ("A SIRET has 14 digits; this one has %(count)d. Check that none is missing.", {"count": 8}),
            "73282932",
        ),
        (
            {"vat_regime": "registered", "vat_number": "FR41 303 265 045"},
            "vat_number",
            "This VAT number is not valid: its check digits do not match. Check for a typo.",
            "FR41 303 265 045",
        ),
        (
            {"vat_regime": "registered", "vat_number": "303265045"},
            "vat_number",
            (
                "Start the VAT number with its two-letter country code, for example %(example)s.",
                {"example": "FR40 303 265 045"},
            ),
            "303265045",
        ),
        (
            {"vat_regime": "registered", "vat_number": ""},
            "vat_number",
            "You are VAT-registered: enter your intra-EU VAT number, which goes on every invoice.",
            "registered",
        ),
        (
            {"vat_regime": "registered", "vat_number": OTHER_VALID_VAT},
            "vat_number",
            (
                "This VAT number does not belong to the company of your SIRET (SIREN %(siren)s). "
                "With this SIRET, your VAT number is %(expected)s.",
                {"siren": "732829320", "expected": "FR44732829320"},
            ),
            OTHER_VALID_VAT,
        ),
        (
            {"iban": "FR76 3000 6000 0112 3456 7890 188"},
            "iban",
            "This IBAN is not valid: its check digits do not match. Copy it again from your bank details (RIB).",
            "FR76 3000 6000 0112 3456 7890 188",
        ),
        (
            {"iban": "FR76 3000 6000"},
            "iban",
            (
                "This IBAN has %(count)d characters, which is not the length of an IBAN from %(country)s.",
                {"count": 12, "country": "FR"},
            ),
            "FR76 3000 6000",
        ),
        (
            {"bic": "BNP"},
            "bic",
            "This is not a valid BIC: it has 8 or 11 letters and digits, for example BNPAFRPPXXX.",
            "BNP",
        ),
        (
            {"postal_code": "7501"},
            "postal_code",
            "A French postal code has 5 digits, for example 75011.",
            "7501",
        ),
        (
            {"default_day_rate": "-10"},
            "default_day_rate",
            "Enter a day rate of 0 or more, in euros.",
            "-10",
        ),
        (
            {"legal_form": "sasu", "share_capital": "-1", "rcs_city": "Paris"},
            "share_capital",
            "Enter a share capital of 0 or more, in euros, under 10 billion.",
            "-1",
        ),
    ],
    ids=[
        "siret-checksum",
        "siret-length",
        "vat-checksum",
        "vat-no-country",
        "vat-required",
        "vat-other-siren",
        "iban-checksum",
        "iban-length",
        "bic",
        "postal-code",
        "negative-rate",
        "negative-share-capital",
    ],
)
def test_invalid_value_is_refused_with_its_message_and_nothing_saved(
    user_client, user, overrides, field, message, typed
):
    # Given
    before = snapshot(user)

    # When
    response = user_client.post(PROFILE_URL, form_data(full_name="Claire M.", **overrides))

    # Then: the page comes back with the message on the field, every typed value kept
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [french(message)]
    content = response.content.decode()
    assert escape(french(message)) in content
    assert shown("Nothing was saved: correct the fields marked below.") in content
    assert f'value="{typed}"' in content or f'value="{typed}" selected' in content
    assert 'value="Claire M."' in content
    assert 'value="12 rue des Lilas"' in content
    assert snapshot(user) == before


def size_message(size: int) -> str:
    with translation.override("fr"):
        return translation.gettext("This file is %(size)s; the maximum is %(max)s.") % {
            "size": filesizeformat(size),
            "max": filesizeformat(2 * 1024 * 1024),
        }


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            svg_upload,
            lambda upload: in_language(
                "fr", "This file is not an image we accept. Use a PNG, JPEG or WebP image."
            ),
        ),
        (oversized_png_upload, lambda upload: size_message(upload.size)),
    ],
    ids=["svg", "oversized"],
)
def test_refused_photo_keeps_the_typed_values_and_saves_nothing(user_client, user, upload, message):
    # Given
    before = snapshot(user)
    photo = upload()

    # When
    response = user_client.post(PROFILE_URL, {**form_data(headline="Nouvelle accroche"), "photo": photo})

    # Then
    assert response.status_code == 200
    assert response.context["form"].errors["photo"] == [message(photo)]
    assert escape(message(photo)) in response.content.decode()
    assert 'value="Nouvelle accroche"' in response.content.decode()
    assert snapshot(user) == before


def test_photo_is_stored_under_a_random_name_and_the_old_one_removed(
    user_client, user, django_capture_on_commit_callbacks
):
    # Given: a first photo
    user_client.post(PROFILE_URL, {**form_data(), "photo": png_upload("moi.png")})
    user.refresh_from_db()
    first = user.photo.name
    storage = user.photo.storage

    # When: it is replaced
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(PROFILE_URL, {**form_data(), "photo": png_upload("autre.png")})

    # Then
    user.refresh_from_db()
    assert first.startswith("photos/") and first.endswith(".png") and "moi" not in first
    assert user.photo.name != first
    assert storage.exists(user.photo.name)
    assert not storage.exists(first)
    page = user_client.get(PROFILE_URL)
    assert f'src="{user.photo.url}"' in page.content.decode()


def test_photo_can_be_removed(user_client, user, django_capture_on_commit_callbacks):
    # Given
    user_client.post(PROFILE_URL, {**form_data(), "photo": png_upload()})
    user.refresh_from_db()
    name = user.photo.name

    # When
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(PROFILE_URL, {**form_data(), "photo-clear": "on"})

    # Then
    user.refresh_from_db()
    assert user.photo.name == ""
    assert not user.photo.storage.exists(name)


def test_checklist_shows_what_invoicing_still_needs(user_client, user):
    # Given: part of the legal identity
    User.objects.filter(pk=user.pk).update(legal_form="micro", siret=VALID_SIRET, vat_regime="registered")

    # When
    response = user_client.get(PROFILE_URL)

    # Then
    assert response.context["checklist"] == [
        (in_language("fr", label), filled)
        for label, filled in [
            ("full name", True),
            ("legal form", True),
            ("SIRET", True),
            ("VAT regime", True),
            ("intra-EU VAT number", False),
            ("address", False),
            ("postal code", False),
            ("city", False),
            ("IBAN", False),
            ("account holder", False),
        ]
    ]
    assert response.context["missing_count"] == 6
    content = response.content.decode()
    assert '<li class="done">SIRET' in content
    assert f"<li>{capfirst(in_language('fr', 'intra-EU VAT number'))}" in content
    with translation.override("fr"):
        missing = translation.ngettext(
            "%(count)s detail is still missing before invoices can be issued in your name.",
            "%(count)s details are still missing before invoices can be issued in your name.",
            6,
        ) % {"count": 6}
    assert missing in content


def test_checklist_says_when_the_legal_identity_is_complete(client, db):
    # Given
    user = LegalUserFactory()
    client.force_login(user)

    # When
    response = client.get(PROFILE_URL)

    # Then
    assert response.context["missing_count"] == 0
    assert shown("Your legal identity has everything invoicing needs.") in response.content.decode()
    assert 'value="Claire Martin"' in response.content.decode()
    assert f'value="{VALID_SIRET}"' in response.content.decode()


def test_choosing_english_switches_the_interface(user_client, user):
    # When
    response = user_client.post(PROFILE_URL, form_data(language="en"))
    page = user_client.get(PROFILE_URL)

    # Then
    user.refresh_from_db()
    assert user.language == "en"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    content = page.content.decode()
    assert '<html lang="en">' in content
    assert "Your profile is saved." in content
    assert "<legend>Legal identity</legend>" in content


def test_country_list_is_named_in_the_interface_language(client, db):
    # Given
    client.force_login(UserFactory(language="en"))

    # When
    french = client.get(PROFILE_URL)
    english = client.get(PROFILE_URL, HTTP_ACCEPT_LANGUAGE="en")

    # Then
    assert '<option value="DE">Allemagne</option>' in french.content.decode()
    assert '<option value="DE">Germany</option>' in english.content.decode()
    assert '<option value="FR" selected>France</option>' in french.content.decode()
