"""Helpers shared by the accounts tests."""

import re
from urllib.parse import urlparse

from django.utils import translation
from django.utils.html import escape

PASSWORD = "correct horse battery"


def in_language(language: str, text: str) -> str:
    """`text` as the interface shows it in `language` (the catalogue may not translate it yet)."""
    with translation.override(language):
        return translation.gettext(text)


def shown(text: str) -> str:
    """A French template string as a page shows it ({% translate %} does not escape literals)."""
    return in_language("fr", text)


def shown_error(text: str) -> str:
    """A French message from Python code (form errors, messages) as a page shows it, HTML-escaped."""
    return escape(in_language("fr", str(text)))


def link_path(body: str, marker: str) -> str:
    """The path of the first link in an email body that contains `marker`."""
    for url in re.findall(r"https?://\S+", body):
        if marker in url:
            return urlparse(url).path
    raise AssertionError(f"No link containing {marker!r} in:\n{body}")


def log_in(client, email, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": email, "password": password}, **extra)
