"""`{% icon "menu" %}`: a Lucide icon inline, decorative (the text beside it or a label names the action)."""

from functools import lru_cache

from django import template
from lucide.templatetags.lucide import lucide

register = template.Library()


@register.simple_tag
def icon(name: str, size: int = 18) -> str:
    return _icon(str(name), int(size))


@lru_cache(maxsize=512)
def _icon(name: str, size: int) -> str:
    """The markup of an icon at a size, rendered once per process: Lucide parses and serialises SVG."""
    return lucide(name, size=size, aria_hidden="true", focusable="false", **{"class": f"icon icon--{name}"})
