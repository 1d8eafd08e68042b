"""Checks on uploaded images: the real format is read from the bytes, never trusted from the name."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


def validate_image_upload(uploaded_file, max_bytes: int | None = None) -> None:
    """Accept PNG, JPEG or WebP under the size cap; refuse anything else (SVG included)."""
    max_bytes = max_bytes or settings.LOGO_MAX_BYTES
    if uploaded_file.size > max_bytes:
        raise ValidationError(
            _("This file is %(size)s; the maximum is %(max)s.")
            % {"size": filesizeformat(uploaded_file.size), "max": filesizeformat(max_bytes)},
            code="file_too_large",
        )
    try:
        uploaded_file.seek(0)
        with Image.open(uploaded_file) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError(
            _("This file is not an image we accept. Use a PNG, JPEG or WebP image."), code="invalid_image"
        ) from error
    finally:
        uploaded_file.seek(0)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(
            _("This file is not an image we accept. Use a PNG, JPEG or WebP image."), code="invalid_image"
        )
