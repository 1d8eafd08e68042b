"""Uploads and helpers for the collectives tests (the model factories are in cordee/core/tests)."""

import io
import os

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

SVG_LOGO = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
)


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (64, 64), noise: bool = False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, "#17424f")
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


def image_upload(name: str = "logo.png", image_format: str = "PNG", **kwargs) -> SimpleUploadedFile:
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
    return SimpleUploadedFile(
        name, image_bytes(image_format, **kwargs), content_type=content_type[image_format]
    )


def svg_upload(name: str = "logo.svg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, SVG_LOGO, content_type="image/svg+xml")


def oversized_png_upload(max_bytes: int) -> SimpleUploadedFile:
    """A real PNG just over `max_bytes` (random pixels do not compress)."""
    side = 64
    while True:
        content = image_bytes("PNG", size=(side, side), noise=True)
        if len(content) > max_bytes:
            return SimpleUploadedFile("big.png", content, content_type="image/png")
        side = int(side * 1.25)
