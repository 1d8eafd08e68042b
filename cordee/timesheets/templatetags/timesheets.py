from django import template
from django.utils import formats

from cordee.timesheets.calculations import hours_plain

register = template.Library()


@register.filter
def hours(value) -> str:
    """A number of hours or days without trailing zeros, localised: 3.5 (English), 3,5 (French)."""
    if value is None or value == "":
        return ""
    return formats.number_format(hours_plain(value), use_l10n=True)
