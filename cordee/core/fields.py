from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from cordee.core.validators import DATE_MAX, DATE_MIN, date_in_range


class CommaSeparatedListField(forms.CharField):
    """A list of short labels typed as 'Design, UX, Figma' and stored as a JSON list."""

    def __init__(self, *, max_items=30, max_item_length=60, **kwargs):
        self.max_items = max_items
        self.max_item_length = max_item_length
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Separate items with commas."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, (list, tuple)):
            return list(value)
        items = []
        for item in (value or "").split(","):
            item = " ".join(item.split())
            if item and item.casefold() not in {existing.casefold() for existing in items}:
                items.append(item)
        return items

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        # Django's NUL check runs on the whole value, here a list: each item is checked instead.
        if any("\x00" in item for item in value):
            raise forms.ValidationError(
                ProhibitNullCharactersValidator.message, code="null_characters_not_allowed"
            )
        if len(value) > self.max_items:
            raise forms.ValidationError(
                _("At most %(count)d items.") % {"count": self.max_items}, code="max_items"
            )
        if any(len(item) > self.max_item_length for item in value):
            raise forms.ValidationError(
                _("Each item must be at most %(count)d characters.") % {"count": self.max_item_length},
                code="item_length",
            )


class DateInput(forms.DateInput):
    """The browser's date picker, bounded like `DateField`; the value is ISO so that the picker shows it
    whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        bounds = {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()}
        super().__init__(attrs={**bounds, **(attrs or {})}, format="%Y-%m-%d")


class DateField(forms.DateField):
    """A date a person types: between DATE_MIN and DATE_MAX (core/validators.py), with the date picker."""

    widget = DateInput
    default_validators = [date_in_range]


class UserChoiceField(forms.ModelChoiceField):
    """A choice of people, shown by the name members know them by."""

    def label_from_instance(self, user):
        return user.display_name
