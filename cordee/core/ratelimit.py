"""A fixed-window counter in the cache, for forms that anonymous visitors can post."""

from django.conf import settings
from django.core.cache import cache


def ratelimit_hit(scope: str, identity: str, limit: int, period_seconds: int) -> bool:
    """Count one hit; return False once `limit` hits were made in the current window."""
    key = f"ratelimit:{scope}:{identity}"
    if cache.add(key, 1, timeout=period_seconds):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period_seconds)
        return True
    return count <= limit


def client_ip(request) -> str:
    """The visitor's address; behind TRUSTED_PROXY_COUNT proxies, the one they saw in X-Forwarded-For."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
