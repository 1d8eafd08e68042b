"""Test data for the accounts app: uploaded images and a complete legal identity."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cordee.core.tests.factories import UserFactory

VALID_SIRET = "73282932000074"  # SIREN 732 829 320
VALID_VAT_FOR_SIRET = "FR44732829320"
OTHER_VALID_VAT = "FR40303265045"  # SIREN 303 265 045
VALID_IBAN = "FR7630006000011234567890189"


def png_upload(name="photo.png", size=(64, 64)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (23, 66, 79)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def svg_upload(name="photo.svg") -> SimpleUploadedFile:
    content = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
    )
    return SimpleUploadedFile(name, content, content_type="image/svg+xml")


def oversized_png_upload(name="big.png") -> SimpleUploadedFile:
    """A PNG header followed by padding: 2.5 MB, over the 2 MB limit for photos."""
    content = png_upload().read() + b"\0" * (2_500_000)
    return SimpleUploadedFile(name, content, content_type="image/png")


def complete_legal_identity() -> dict:
    return {
        "full_name": "Claire Martin",
        "legal_form": "micro",
        "siret": VALID_SIRET,
        "vat_regime": "franchise",
        "address_line": "12 rue des Lilas",
        "postal_code": "75011",
        "city": "Paris",
        "iban": VALID_IBAN,
        "account_holder": "Claire Martin",
    }


def LegalUserFactory(**kwargs):  # noqa: N802 - reads like a factory
    """A user whose legal identity is complete for invoicing."""
    return UserFactory(**{**complete_legal_identity(), **kwargs})
