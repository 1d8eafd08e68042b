"""What every form of the project shares."""

from django.core.exceptions import ValidationError


def add_service_error(form, error: ValidationError, *, field_of: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the form: each message next to the field it names (`field_of` renames
    a service's field to the form's, for a value the form computes from what was typed), and the
    messages without a field of the form above it. What the user typed stays in the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        name = (field_of or {}).get(name, name)
        form.add_error(name if name in form.fields else None, errors)
