"""PDFs of billing documents: Django template → WeasyPrint, fonts embedded, never a network access."""

import hashlib
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher

STATIC_DIR = (Path(__file__).parent / "static" / "billing").resolve()


class LocalStaticFetcher(URLFetcher):
    """Fetches only files of the billing app's static folder: a document never reaches the network."""

    def fetch(self, url, headers=None):
        if not url.startswith("file://"):
            raise FatalURLFetchingError(f"Refused to fetch {url!r}: documents use local files only")
        path = Path(url.removeprefix("file://").split("?")[0]).resolve()
        if not path.is_relative_to(STATIC_DIR):
            raise FatalURLFetchingError(f"Refused to fetch {url!r}: outside the billing static folder")
        return super().fetch(url, headers)


def pdf_render(template: str, context: dict, *, language: str = "fr") -> bytes:
    with translation.override(language):
        html = render_to_string(template, context)
    return HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=LocalStaticFetcher()).write_pdf()


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
