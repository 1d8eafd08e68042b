"""Changes to a freelancer's account: the profile and the legal identity invoicing needs."""

import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cordee.accounts import validators
from cordee.accounts.models import User
from cordee.core.uploads import image_reencode, validate_image_upload

PHOTO_MAX_BYTES = 2 * 1024 * 1024
SHARE_CAPITAL_MESSAGE = gettext_lazy("Enter a share capital of 0 or more, in euros, under 10 billion.")

# What the profile page edits; the photo is handled on its own (a file, or False to remove it).
PROFILE_FIELDS = (
    "full_name",
    "language",
    "headline",
    "skills",
    "default_day_rate",
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
    "iban",
    "bic",
    "account_holder",
)
TEXT_FIELDS = ("full_name", "headline", "business_name", "rcs_city", "address_line", "city", "account_holder")


def country_codes() -> set[str]:
    import pycountry

    return {country.alpha_2 for country in pycountry.countries}


def profile_values_clean(*, user: User, data: dict) -> dict:
    """Check and normalise profile values; returns every profile field, or raises a ValidationError.

    Fields missing from `data` keep the user's current value, so that cross-field rules (a VAT number
    when VAT-registered, a VAT number matching the SIRET) always see the whole profile. The error is
    a dict keyed by field name, with one clear message per field.
    """
    values = {name: data[name] if name in data else getattr(user, name) for name in PROFILE_FIELDS}
    errors: dict[str, list] = {}

    def check(field, normalize, *args):
        try:
            values[field] = normalize(values[field] or "", *args)
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.error_list)

    for name in TEXT_FIELDS:
        values[name] = " ".join(str(values[name] or "").split())
        max_length = User._meta.get_field(name).max_length
        if len(values[name]) > max_length:
            errors.setdefault(name, []).append(
                ValidationError(_("At most %(count)d characters.") % {"count": max_length}, code="max_length")
            )
    values["skills"] = [
        " ".join(str(skill).split()) for skill in values["skills"] or [] if str(skill).strip()
    ]

    choices = {
        "language": dict(settings.LANGUAGES),
        "legal_form": dict(User.LegalForm.choices),
        "vat_regime": dict(User.VatRegime.choices),
    }
    for name, allowed in choices.items():
        values[name] = values[name] or ""
        if values[name] and values[name] not in allowed:
            errors.setdefault(name, []).append(
                ValidationError(_("Choose one of the options."), code="choice")
            )
    if not values["language"]:
        values["language"] = settings.LANGUAGE_CODE

    values["country"] = (values["country"] or "").strip().upper()
    if values["country"] not in country_codes():
        errors.setdefault("country", []).append(ValidationError(_("Choose a country."), code="country"))

    rate = values["default_day_rate"]
    if rate not in (None, ""):
        try:
            rate = Decimal(str(rate))
        except InvalidOperation:
            rate = Decimal("-1")
        if not rate.is_finite() or rate < 0:
            errors.setdefault("default_day_rate", []).append(
                ValidationError(_("Enter a day rate of 0 or more, in euros."), code="day_rate")
            )
        else:
            values["default_day_rate"] = rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    else:
        values["default_day_rate"] = None

    capital = values["share_capital"]
    if capital not in (None, ""):
        try:
            capital = Decimal(str(capital))
        except InvalidOperation:
            capital = Decimal("-1")
        if not capital.is_finite() or not 0 <= capital <= User.SHARE_CAPITAL_MAX:
            errors.setdefault("share_capital", []).append(
                ValidationError(SHARE_CAPITAL_MESSAGE, code="share_capital")
            )
        else:
            values["share_capital"] = capital.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    else:
        values["share_capital"] = None

    check("siret", validators.siret_normalize)
    check("vat_number", validators.vat_number_normalize)
    check("iban", validators.iban_normalize)
    check("bic", validators.bic_normalize)
    check("postal_code", validators.postal_code_normalize, values["country"])

    if (
        values["vat_regime"] == User.VatRegime.REGISTERED
        and not values["vat_number"]
        and "vat_number" not in errors
    ):
        errors.setdefault("vat_number", []).append(
            ValidationError(
                _("You are VAT-registered: enter your intra-EU VAT number, which goes on every invoice."),
                code="vat_required",
            )
        )
    if "siret" not in errors and "vat_number" not in errors:
        expected = validators.vat_number_matches_siret(
            vat_number=values["vat_number"], siret_number=values["siret"]
        )
        if expected:
            errors.setdefault("vat_number", []).append(
                ValidationError(
                    _(
                        "This VAT number does not belong to the company of your SIRET (SIREN %(siren)s). "
                        "With this SIRET, your VAT number is %(expected)s."
                    )
                    % {"siren": values["siret"][:9], "expected": expected},
                    code="vat_siren_mismatch",
                )
            )
    if values["iban"] and not values["bic"] and "iban" not in errors:
        values["bic"] = validators.bic_from_iban(values["iban"])

    photo = data.get("photo")
    if isinstance(photo, UploadedFile):
        try:
            validate_image_upload(photo, max_bytes=PHOTO_MAX_BYTES)
        except ValidationError as error:
            errors.setdefault("photo", []).extend(error.error_list)

    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def user_profile_update(*, user: User, data: dict) -> User:
    """Save the profile and legal identity of `user` from `data` (values as typed or as cleaned).

    `data["photo"]` may be an uploaded image (replaces the photo), False (removes it) or absent/None
    (keeps it). Raises a ValidationError keyed by field and saves nothing when a value is refused.
    """
    values = profile_values_clean(user=user, data=data)
    for name, value in values.items():
        setattr(user, name, value)
    update_fields = list(values)

    photo = data.get("photo")
    previous_photo = user.photo.name
    if isinstance(photo, UploadedFile):
        clean = image_reencode(photo, max_bytes=PHOTO_MAX_BYTES)
        user.photo.save(f"{uuid.uuid4().hex}.{clean.extension}", clean, save=False)
        update_fields.append("photo")
    elif photo is False and previous_photo:
        user.photo = ""
        update_fields.append("photo")
    user.save(update_fields=update_fields)

    if previous_photo and "photo" in update_fields:
        storage = user.photo.storage
        transaction.on_commit(lambda: storage.delete(previous_photo))
    return user
