"""Uploaded images are re-encoded from their pixels: no metadata, no trailing bytes, bounded sizes."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from cordee.core.uploads import MAX_STORED_SIDE, image_reencode

GPS_IFD = 0x8825


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side: int = 20_000) -> bytes:
    """A valid 1-bit PNG of side × side pixels, all black: a few tens of kilobytes on disk."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (side + 7) // 8)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")
    )


def photo_with_gps(image_format: str = "JPEG") -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:04:01 10:00:00"  # DateTime
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    output = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 40, 40)).save(output, format=image_format, exif=exif.tobytes())
    return output.getvalue()


def upload(data: bytes, name: str = "image.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def test_a_decompression_bomb_is_refused_with_a_clear_message_before_decoding():
    data = bomb_png()
    assert len(data) < 60_000

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        image_reencode(upload(data))

    assert refused.value.code == "too_many_pixels"
    assert refused.value.messages == [
        "This image has too many pixels: the maximum is 40 million. Use a smaller image."
    ]


@pytest.mark.parametrize(("image_format", "extension"), [("JPEG", "jpg"), ("WEBP", "webp"), ("PNG", "png")])
def test_exif_and_gps_are_dropped(image_format, extension):
    original = photo_with_gps(image_format)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)

    clean = image_reencode(upload(original))

    assert clean.extension == extension
    data = clean.read()
    stored = Image.open(io.BytesIO(data))
    assert stored.format == image_format
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info
    assert b"PhoneMaker" not in data and b"Exif" not in data
    assert stored.size == (80, 60)


def test_bytes_after_the_image_are_not_kept():
    output = io.BytesIO()
    Image.new("RGBA", (32, 32), (0, 128, 0, 255)).save(output, format="PNG")
    payload = b"<script>alert(1)</script>" * 10

    clean = image_reencode(upload(output.getvalue() + payload))

    data = clean.read()
    assert payload not in data
    assert Image.open(io.BytesIO(data)).getpixel((5, 5)) == (0, 128, 0, 255)


def test_a_large_image_is_stored_at_a_bounded_size():
    output = io.BytesIO()
    Image.new("RGB", (4000, 1000), (10, 20, 30)).save(output, format="JPEG")

    clean = image_reencode(upload(output.getvalue(), "wide.jpg"), max_bytes=5_000_000)

    assert Image.open(io.BytesIO(clean.read())).size == (MAX_STORED_SIDE, MAX_STORED_SIDE // 4)


def test_a_palette_png_keeps_its_colours():
    image = Image.new("P", (16, 16))
    image.putpalette([255, 0, 0] * 256)
    output = io.BytesIO()
    image.save(output, format="PNG")

    clean = image_reencode(upload(output.getvalue()))

    assert Image.open(io.BytesIO(clean.read())).convert("RGB").getpixel((3, 3)) == (255, 0, 0)


def test_the_message_is_in_french_for_a_french_page():
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        image_reencode(upload(bomb_png(side=8000)))

    assert refused.value.messages == [
        "Cette image compte trop de pixels : le maximum est de 40 millions. Utilisez une image plus petite."
    ]
