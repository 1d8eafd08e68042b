"""Bounds of what people type, in one place: the range of dates a form accepts."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

# Any date a person types (time entries, due dates, mission dates, calls): years 0001 or 9999 are typing
# mistakes, and dates at the ends of the calendar break the arithmetic of weeks and calendar files.
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)


def date_in_range(value: date) -> None:
    if value is not None and not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(
            _("Enter a date between %(min)s and %(max)s.")
            % {"min": date_format(DATE_MIN, "DATE_FORMAT"), "max": date_format(DATE_MAX, "DATE_FORMAT")},
            code="date_out_of_range",
        )
