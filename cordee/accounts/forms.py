import copy
import gettext as gettext_module
from functools import lru_cache

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cordee.accounts.models import User
from cordee.accounts.services import PROFILE_FIELDS, SHARE_CAPITAL_MESSAGE, profile_values_clean
from cordee.core.fields import CommaSeparatedListField


@lru_cache(maxsize=8)
def _country_names(language: str) -> tuple[tuple[str, str], ...]:
    import pycountry

    try:
        names = gettext_module.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        translate = names.gettext
    except OSError:
        translate = str
    countries = [(country.alpha_2, translate(country.name)) for country in pycountry.countries]
    return tuple(sorted(countries, key=lambda item: item[1].casefold()))


def country_choices() -> list[tuple[str, str]]:
    """Every country, named and sorted in the interface language."""
    return list(_country_names(translation.get_language() or settings.LANGUAGE_CODE))


def language_choices() -> list[tuple[str, str]]:
    """Each language in its own name (Français, English), as people look for it."""
    return [
        (code, translation.get_language_info(code)["name_local"].capitalize())
        for code, _name in settings.LANGUAGES
    ]


class ProfileForm(forms.ModelForm):
    """The profile page. Rules live in `services.profile_values_clean`; this form maps them to fields."""

    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        help_text=_("A PNG, JPEG or WebP image, 2 MB at most. Square pictures look best."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=language_choices)
    skills = CommaSeparatedListField(
        label=_("Skills"),
        help_text=_("Separate them with commas, for example: UX research, Figma, Design systems."),
    )
    default_day_rate = forms.DecimalField(
        label=_("Default day rate (€, excl. VAT)"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        error_messages={"min_value": _("Enter a day rate of 0 or more, in euros.")},
        help_text=_("A starting point when your collective prices a mission. You can change it per mission."),
    )
    siret = forms.CharField(
        label=_("SIRET"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("14 digits, as on your INSEE registration notice. Spaces are fine."),
    )
    share_capital = forms.DecimalField(
        label=_("Share capital (€)"),
        required=False,
        min_value=0,
        max_value=User.SHARE_CAPITAL_MAX,
        max_digits=12,
        decimal_places=2,
        error_messages={"min_value": SHARE_CAPITAL_MESSAGE, "max_value": SHARE_CAPITAL_MESSAGE},
        help_text=_(
            "For an EURL, SASU or SAS: as in your articles of association. It goes on every invoice."
        ),
    )
    vat_number = forms.CharField(
        label=_("Intra-EU VAT number"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "Required when you are VAT-registered. It starts with the country code: FR40 303 265 045."
        ),
    )
    country = forms.ChoiceField(label=_("Country"), choices=country_choices)
    iban = forms.CharField(
        label=_("IBAN"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("As on your bank details (RIB). Spaces are fine. It appears on your invoices."),
    )
    bic = forms.CharField(
        label=_("BIC"),
        required=False,
        max_length=15,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Leave it empty: we find it from the IBAN when we can."),
    )

    class Meta:
        model = User
        fields = list(PROFILE_FIELDS)
        labels = {
            "full_name": _("Full name"),
            "headline": _("Headline"),
            "legal_form": _("Legal form"),
            "business_name": _("Business name"),
            "rcs_city": _("RCS city"),
            "vat_regime": _("VAT regime"),
            "address_line": _("Address"),
            "postal_code": _("Postal code"),
            "city": _("City"),
            "account_holder": _("Account holder"),
        }
        help_texts = {
            "full_name": _("As it will appear to your collective, to clients and on invoices."),
            "headline": _("One line under your name, for example: Product designer, 10 years in e-commerce."),
            "business_name": _("Only if you trade under a name other than your own."),
            "rcs_city": _("For an EURL, SASU or SAS: the city of the trade register on your Kbis."),
            "vat_regime": _(
                "Under the franchise (art. 293 B du CGI), your invoices carry no VAT and say so. "
                "Choose “VAT-registered” if you charge VAT."
            ),
            "account_holder": _("The name on the bank account, if it differs from yours."),
        }
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "address_line": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
        }

    fieldsets = (
        (
            "identity",
            _("Identity"),
            ("full_name", "photo", "headline", "skills", "default_day_rate", "language"),
        ),
        (
            "legal",
            _("Legal identity"),
            (
                "legal_form",
                "business_name",
                "siret",
                "share_capital",
                "rcs_city",
                "vat_regime",
                "vat_number",
                "address_line",
                "postal_code",
                "city",
                "country",
            ),
        ),
        ("bank", _("Bank details"), ("iban", "bic", "account_holder")),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        # The form works on a copy: a refused submission must not touch the signed-in user object.
        super().__init__(*args, instance=copy.copy(user), **kwargs)
        self.fields["photo"].initial = user.photo
        self.fields["legal_form"].choices = [("", _("Choose…")), *User.LegalForm.choices]
        self.fields["vat_regime"].choices = [("", _("Choose…")), *User.VatRegime.choices]

    def clean(self):
        cleaned_data = super().clean()
        data = {name: cleaned_data[name] for name in PROFILE_FIELDS if name in cleaned_data}
        data["photo"] = cleaned_data.get("photo")
        try:
            values = profile_values_clean(user=self.user, data=data)
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                if field not in self._errors:
                    self.add_error(field, errors)
        else:
            cleaned_data.update({name: values[name] for name in data if name in values})
        return cleaned_data

    def grouped_fields(self):
        """(key, legend, bound fields) for each fieldset of the page."""
        return [(key, legend, [self[name] for name in names]) for key, legend, names in self.fieldsets]


class SignupExtraForm(forms.Form):
    """What allauth's sign-up form adds to email and password: the name members and clients will see."""

    full_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "placeholder": _("First and last name")}),
    )

    def signup(self, request, user):
        user.full_name = " ".join(self.cleaned_data["full_name"].split())
        user.save(update_fields=["full_name"])
