import pytest
from hypothesis import settings as hypothesis_settings

# A loaded machine (CI, several workers) must not turn a slow example into a failure: no deadline.
hypothesis_settings.register_profile("cordee", deadline=None)
hypothesis_settings.load_profile("cordee")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
