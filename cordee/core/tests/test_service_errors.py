"""A service's ValidationError shown on a form: on the field it names, the rest above the form."""

from django import forms
from django.core.exceptions import ValidationError

from cordee.core.forms import add_service_error


class EventForm(forms.Form):
    title = forms.CharField()
    date = forms.DateField()


def bound_form() -> EventForm:
    form = EventForm({"title": "Atelier", "date": "2026-03-18"})
    assert form.is_valid()
    return form


def test_each_message_goes_to_the_field_it_names_and_the_rest_above_the_form():
    form = bound_form()

    add_service_error(
        form,
        ValidationError({"title": "Too long.", "budget": "Over the limit.", "__all__": "Refused."}),
    )

    assert form.errors == {"title": ["Too long."], "__all__": ["Over the limit.", "Refused."]}
    assert form.data["title"] == "Atelier"  # what was typed stays


def test_a_service_field_can_show_on_the_field_the_user_typed():
    form = bound_form()

    add_service_error(form, ValidationError({"starts_at": "In the past."}), field_of={"starts_at": "date"})

    assert form.errors == {"date": ["In the past."]}


def test_a_message_without_field_goes_above_the_form():
    form = bound_form()

    add_service_error(form, ValidationError("Nothing to do."))

    assert form.errors == {"__all__": ["Nothing to do."]}
    assert form.non_field_errors() == ["Nothing to do."]
