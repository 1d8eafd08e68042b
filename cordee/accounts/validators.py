"""Checks and normalisation of a freelancer's legal identity: SIRET, VAT number, IBAN, BIC, postal code.

Each `*_normalize` function returns the compact form we store, or raises a `ValidationError` whose
message tells the person what is wrong and how to fix it. Empty values are returned unchanged: the
profile may be completed later.
"""

import re

import schwifty
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from schwifty import exceptions as iban_errors
from stdnum import exceptions as number_errors
from stdnum.eu import vat
from stdnum.fr import siret

SIRET_EXAMPLE = "732 829 320 00074"
VAT_EXAMPLE = "FR40 303 265 045"
IBAN_EXAMPLE = "FR76 3000 6000 0112 3456 7890 189"


def _without_separators(value: str) -> str:
    return re.sub(r"[\s.\-/]", "", value or "").upper()


def siret_normalize(value: str) -> str:
    """A SIRET as 14 digits; refuses other lengths, letters and a wrong check digit (Luhn)."""
    compact = _without_separators(value)
    if not compact:
        return ""
    if not compact.isdigit():
        raise ValidationError(
            _("A SIRET has digits only, for example %(example)s.") % {"example": SIRET_EXAMPLE},
            code="siret_format",
        )
    if len(compact) != 14:
        raise ValidationError(
            _("A SIRET has 14 digits; this one has %(count)d. Check that none is missing.")
            % {"count": len(compact)},
            code="siret_length",
        )
    try:
        return siret.validate(compact)
    except number_errors.ValidationError as error:
        raise ValidationError(
            _(
                "This SIRET does not exist: its check digit does not match, so a digit is probably "
                "mistyped. Copy it from your INSEE registration notice."
            ),
            code="siret_checksum",
        ) from error


def vat_number_normalize(value: str) -> str:
    """An intra-EU VAT number, compact and uppercase, with its country prefix (FR40303265045)."""
    compact = _without_separators(value)
    if not compact:
        return ""
    country_code = compact[:2].lower()
    if not re.fullmatch(r"[A-Z]{2}[0-9A-Z]+", compact) or country_code not in vat.MEMBER_STATES | {"el"}:
        raise ValidationError(
            _("Start the VAT number with its two-letter country code, for example %(example)s.")
            % {"example": VAT_EXAMPLE},
            code="vat_format",
        )
    try:
        return vat.validate(compact)
    except number_errors.InvalidChecksum as error:
        raise ValidationError(
            _("This VAT number is not valid: its check digits do not match. Check for a typo."),
            code="vat_checksum",
        ) from error
    except number_errors.ValidationError as error:
        raise ValidationError(
            _("This is not a valid intra-EU VAT number. It looks like %(example)s.")
            % {"example": VAT_EXAMPLE},
            code="vat_invalid",
        ) from error


def french_vat_number_for_siren(siren: str) -> str:
    """The French VAT number derived from a SIREN: FR, a two-digit key, then the SIREN."""
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def vat_number_matches_siret(*, vat_number: str, siret_number: str) -> str | None:
    """For a French SIRET and a French VAT number, the VAT number the SIRET implies when they differ."""
    if not (vat_number and siret_number and vat_number.startswith("FR") and len(vat_number) == 13):
        return None
    if not vat_number[4:].isdigit():  # newer French numbers not built on a SIREN
        return None
    siren = siret.to_siren(siret_number)
    if vat_number[4:] == siren:
        return None
    return french_vat_number_for_siren(siren)


def iban_normalize(value: str) -> str:
    """An IBAN, compact and uppercase; checks its country, length, structure and check digits."""
    compact = _without_separators(value)
    if not compact:
        return ""
    try:
        return schwifty.IBAN(compact).compact
    except iban_errors.InvalidCountryCode as error:
        raise ValidationError(
            _("An IBAN starts with its country code, for example %(example)s.") % {"example": IBAN_EXAMPLE},
            code="iban_country",
        ) from error
    except iban_errors.InvalidLength as error:
        raise ValidationError(
            _("This IBAN has %(count)d characters, which is not the length of an IBAN from %(country)s.")
            % {"count": len(compact), "country": compact[:2]},
            code="iban_length",
        ) from error
    except (iban_errors.InvalidChecksumDigits, iban_errors.InvalidBBANChecksum) as error:
        raise ValidationError(
            _(
                "This IBAN is not valid: its check digits do not match. Copy it again from your bank details (RIB)."
            ),
            code="iban_checksum",
        ) from error
    except iban_errors.SchwiftyException as error:
        raise ValidationError(
            _("This is not a valid IBAN. It looks like %(example)s.") % {"example": IBAN_EXAMPLE},
            code="iban_invalid",
        ) from error


def bic_normalize(value: str) -> str:
    """A BIC (SWIFT code) of 8 or 11 characters, compact and uppercase."""
    compact = _without_separators(value)
    if not compact:
        return ""
    try:
        return schwifty.BIC(compact).compact
    except iban_errors.SchwiftyException as error:
        raise ValidationError(
            _("This is not a valid BIC: it has 8 or 11 letters and digits, for example BNPAFRPPXXX."),
            code="bic_invalid",
        ) from error


def bic_from_iban(iban: str) -> str:
    """The bank's BIC when the IBAN's bank is in schwifty's registry, else an empty string."""
    if not iban:
        return ""
    try:
        bic = schwifty.IBAN(iban).bic
    except iban_errors.SchwiftyException:
        return ""
    return bic.compact if bic else ""


def postal_code_normalize(value: str, country: str) -> str:
    """Trimmed; a French postal code must have five digits."""
    value = " ".join((value or "").split()).upper()
    if value and country == "FR" and not re.fullmatch(r"\d{5}", value):
        raise ValidationError(_("A French postal code has 5 digits, for example 75011."), code="postal_code")
    return value
