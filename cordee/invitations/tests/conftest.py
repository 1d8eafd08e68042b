import pytest


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = "https://app.cordee.test"
