"""Uploaded images: the real format is read from the bytes, never trusted from the name, and what is stored is
a new file that Pillow encodes from the pixels alone.

Re-encoding drops whatever the upload carried beside the picture: EXIF (camera, date, GPS position of a
member's photo, served publicly), comments, bytes appended after the image. Limits: the file's size, the
number of pixels (checked from the header, before decoding: a 48 KB PNG can declare 20000×20000 pixels
and would take gigabytes to decode), and the side of the stored image.
"""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
# Width × height an upload may declare (a 24-megapixel photo passes).
MAX_IMAGE_PIXELS = 40_000_000
# The longest side of the stored image: a logo or a photo is never shown larger.
MAX_STORED_SIDE = 2048

_READ_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError)


def _not_an_image() -> ValidationError:
    return ValidationError(
        _("This file is not an image we accept. Use a PNG, JPEG or WebP image."), code="invalid_image"
    )


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _("This image has too many pixels: the maximum is %(max)d million. Use a smaller image.")
        % {"max": MAX_IMAGE_PIXELS // 1_000_000},
        code="too_many_pixels",
    )


def image_reencode(uploaded_file, max_bytes: int | None = None) -> ContentFile:
    """A PNG, JPEG or WebP upload under the size and pixel caps, encoded anew without its metadata.

    Returns a `ContentFile` of the new bytes with an ``extension`` attribute (``png``, ``jpg``, ``webp``:
    the same format as the upload); raises a ValidationError with a message for the person otherwise.
    """
    max_bytes = max_bytes or settings.LOGO_MAX_BYTES
    if uploaded_file.size > max_bytes:
        raise ValidationError(
            _("This file is %(size)s; the maximum is %(max)s.")
            % {"size": filesizeformat(uploaded_file.size), "max": filesizeformat(max_bytes)},
            code="file_too_large",
        )
    try:
        uploaded_file.seek(0)
        with Image.open(uploaded_file, formats=list(ALLOWED_IMAGE_FORMATS)) as image:
            image_format = image.format
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise _too_many_pixels()
            image.verify()
        uploaded_file.seek(0)
        with Image.open(uploaded_file, formats=[image_format]) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError as error:  # Pillow's own, larger, limit
        raise _too_many_pixels() from error
    except _READ_ERRORS as error:
        raise _not_an_image() from error
    finally:
        uploaded_file.seek(0)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise _not_an_image()

    if image_format == "JPEG":
        mode = "RGB" if upright.mode != "L" else "L"
    else:
        mode = upright.mode if upright.mode in ("RGB", "RGBA", "L", "LA") else "RGBA"
    converted = upright.convert(mode)
    # A new image from the pixels alone: no EXIF, no text chunks, no ICC profile, no trailing bytes.
    pixels = Image.frombytes(mode, converted.size, converted.tobytes())
    pixels.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE))
    output = io.BytesIO()
    if image_format == "JPEG":
        pixels.save(output, format="JPEG", quality=88, optimize=True)
    elif image_format == "WEBP":
        pixels.save(output, format="WEBP", quality=88)
    else:
        pixels.save(output, format="PNG", optimize=True)
    clean = ContentFile(output.getvalue())
    clean.extension = ALLOWED_IMAGE_FORMATS[image_format]
    return clean


def validate_image_upload(uploaded_file, max_bytes: int | None = None) -> None:
    """Refuse anything `image_reencode` would refuse (SVG included), with its message."""
    image_reencode(uploaded_file, max_bytes=max_bytes)
