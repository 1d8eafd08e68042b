"""`{{ entry.hours|hours }}`: hours or days without trailing zeros, in the reader's language (3,5 in French)."""

from django import template

from cordee.core.numbers import hours_text

register = template.Library()


@register.filter
def hours(value) -> str:
    return hours_text(value)
