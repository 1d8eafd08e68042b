"""`{% icon "menu" %}`: a Lucide icon inline, decorative (the text beside it or a label names the action)."""

from django import template
from lucide.templatetags.lucide import lucide

register = template.Library()


@register.simple_tag
def icon(name: str, size: int = 18) -> str:
    return lucide(name, size=size, aria_hidden="true", focusable="false", **{"class": f"icon icon--{name}"})
