"""The addresses of the base layout's navigation, reversed once per process instead of on every request.

The top bar, the collective's tabs and the footer link to the same pages on every request; only the
collective's slug changes. Each address is reversed once with a placeholder slug (per URL configuration
and script prefix, which tests and mounted deployments may change), then the placeholder is replaced by
the slug: a slug holds only letters, digits, "-" and "_", so it needs no quoting.
"""

from functools import cached_property, lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from cordee.collectives.permissions import request_memberships

SLUG_PLACEHOLDER = "slug-placeholder-0f9e"

SITE_PAGES = {
    "home": "home",
    "collectives": "collectives:home",
    "create": "collectives:create",
    "my_work": "missions:my_work",
    "timesheet": "timesheets:week",
    "profile": "accounts:profile",
    "logout": "account_logout",
    "login": "account_login",
    "signup": "account_signup",
    "set_language": "set_language",
}

COLLECTIVE_PAGES = {
    "dashboard": "collectives:dashboard",
    "pipeline": "opportunities:pipeline",
    "missions": "missions:list",
    "clients": "clients:list",
    "members": "collectives:members",
    "rituals": "communication:events",
    "feedback": "feedback:collective",
    "page": "collectives:page_edit",
    "settings": "collectives:settings",
}


@lru_cache(maxsize=32)
def _addresses(urlconf, script_prefix: str) -> tuple[dict[str, str], dict[str, str]]:
    """(site pages, collective pages with the placeholder slug) for one URL configuration and prefix."""
    site = {key: reverse(name, urlconf=urlconf) for key, name in SITE_PAGES.items()}
    collective = {
        key: reverse(name, urlconf=urlconf, args=[SLUG_PLACEHOLDER]) for key, name in COLLECTIVE_PAGES.items()
    }
    return site, collective


def _current_addresses() -> tuple[dict[str, str], dict[str, str]]:
    return _addresses(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


def site_urls() -> dict[str, str]:
    """The addresses of the pages every layout links to (top bar, footer)."""
    return _current_addresses()[0]


def collective_urls(slug: str) -> dict[str, str]:
    """The addresses of a collective's tabs."""
    return {key: url.replace(SLUG_PLACEHOLDER, slug) for key, url in _current_addresses()[1].items()}


class SwitcherItem:
    __slots__ = ("name", "url", "is_current")

    def __init__(self, name: str, url: str, is_current: bool):
        self.name, self.url, self.is_current = name, url, is_current


class Navigation:
    """What the base layout links to, computed on first use by the template."""

    def __init__(self, request):
        self.request = request
        self.collective = getattr(request, "collective", None)

    @cached_property
    def urls(self) -> dict[str, str]:
        return site_urls()

    @cached_property
    def collective_urls(self) -> dict[str, str]:
        return collective_urls(self.collective.slug) if self.collective is not None else {}

    @cached_property
    def switcher(self) -> list[SwitcherItem]:
        """The signed-in user's collectives, each with its dashboard's address."""
        template = _current_addresses()[1]["dashboard"]
        current_pk = self.collective.pk if self.collective is not None else None
        return [
            SwitcherItem(
                membership.collective.name,
                template.replace(SLUG_PLACEHOLDER, membership.collective.slug),
                membership.collective.pk == current_pk,
            )
            for membership in request_memberships(self.request)
        ]
