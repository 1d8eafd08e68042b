import pytest


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = "https://app.cordee.test"


@pytest.fixture
def client():
    """A browser that asks for English pages, so that assertions read the source strings."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")
