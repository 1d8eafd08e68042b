import pytest
from django.test import Client


@pytest.fixture
def client():
    """A browser that asks for English pages, so that assertions read the source strings."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def member_client(member_membership):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(member_membership.user)
    return client


@pytest.fixture(autouse=True)
def _english_messages():
    """Messages raised by services are asserted in English too."""
    from django.utils import translation

    with translation.override("en"):
        yield
