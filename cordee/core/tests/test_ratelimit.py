import pytest
import time_machine
from django.test import RequestFactory

from cordee.core.ratelimit import client_ip, ratelimit_hit


def test_the_window_allows_the_limit_then_refuses_until_it_passes():
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        assert [ratelimit_hit("form", "1.2.3.4", 3, 3600) for _ in range(4)] == [True, True, True, False]
        assert ratelimit_hit("form", "5.6.7.8", 3, 3600) is True  # another visitor is not affected
    with time_machine.travel("2026-03-02 11:01 +01:00", tick=False):
        assert ratelimit_hit("form", "1.2.3.4", 3, 3600) is True


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "9.9.9.9", "10.0.0.1"),  # no proxy trusted: the header is ignored (it can be forged)
        (1, "9.9.9.9", "9.9.9.9"),
        (1, "6.6.6.6, 9.9.9.9", "9.9.9.9"),  # a forged first hop is not believed
        (2, "9.9.9.9, 10.0.0.2", "9.9.9.9"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
