"""System checks of the production configuration that Django's own `check --deploy` does not make."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def trusted_proxy_count_check(app_configs, **kwargs):
    """Behind a reverse proxy, every request comes from the proxy's address: without TRUSTED_PROXY_COUNT,
    the per-address limits (login attempts, sign-ups, the public proposal form) count all visitors as one."""
    if settings.DEBUG or settings.TRUSTED_PROXY_COUNT_SET:
        return []
    return [
        Warning(
            "TRUSTED_PROXY_COUNT is not set.",
            hint="Set it to the number of reverse proxies in front of Cordée (1 behind one nginx or Caddy), "
            "or to 0 when visitors reach it directly: per-address rate limits use the client's address "
            "from X-Forwarded-For accordingly.",
            id="cordee.W001",
        )
    ]
