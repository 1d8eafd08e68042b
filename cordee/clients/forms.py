from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cordee.clients.models import Client, ClientContact
from cordee.clients.services import siren_clean, siret_clean, vat_number_clean


class ClientForm(forms.ModelForm):
    """A client company; identifiers are checked here for inline errors, then again by the service."""

    class Meta:
        model = Client
        fields = [
            "name",
            "siret",
            "siren",
            "vat_number",
            "address_line",
            "postal_code",
            "city",
            "country",
            "notes",
        ]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "organization"}),
            "siret": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "siren": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "vat_number": forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
            "address_line": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "country": forms.TextInput(attrs={"autocomplete": "country", "maxlength": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "siret": _("14 digits. The SIREN is taken from it when you leave the SIREN empty."),
            "siren": _("9 digits. One client per SIREN in the collective."),
            "vat_number": _("For example FR40303265045."),
            "country": _("Two-letter code, for example FR or BE."),
            "notes": _("Seen by the members of the collective only."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Spaces are welcome in the identifiers: "732 829 320 00074" is how people copy them. Their
        # length is checked once the spaces are gone (clean_<field>).
        for name, length in (("siret", 20), ("siren", 13), ("vat_number", 24)):
            field = self.fields[name]
            field.max_length = length
            field.validators = []
            field.widget.attrs["maxlength"] = length

    def company_fields(self):
        return [self[name] for name in ("name", "siret", "siren", "vat_number")]

    def address_fields(self):
        return [self[name] for name in ("address_line", "postal_code", "city", "country")]

    def other_fields(self):
        return [self["notes"]]

    def clean_siren(self):
        return siren_clean(self.cleaned_data.get("siren", ""))

    def clean_siret(self):
        return siret_clean(self.cleaned_data.get("siret", ""))

    def clean_vat_number(self):
        return vat_number_clean(self.cleaned_data.get("vat_number", ""))

    def clean_country(self):
        country = (self.cleaned_data.get("country") or "").strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ValidationError(
                _("Use the two-letter country code, for example FR."), code="invalid_country"
            )
        return country

    def validate_unique(self):
        """Uniqueness is the service's job (with a message naming the existing client)."""


class ClientContactForm(forms.ModelForm):
    class Meta:
        model = ClientContact
        fields = ["full_name", "email", "phone", "job_title", "role", "language"]
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "role": forms.RadioSelect,
        }
        help_texts = {
            "role": _(
                "Sponsor: decides and signs. Project: follows the work day to day. Finance: receives invoices."
            ),
            "language": _("Emails to this contact are written in this language."),
        }

    def validate_unique(self):
        """Uniqueness is the service's job (with a message naming the existing contact)."""
