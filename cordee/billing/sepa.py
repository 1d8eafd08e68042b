"""SEPA credit-transfer files of payouts: pain.001.001.09 written by `sepaxml` (INVOICING_FR.md R-4.1 to R-4.7).

The debtor is the account of the seller that collected the client's money (R-4.8); each creditor is a
member. Amounts go to `sepaxml` as integer cents; every text is reduced to the SEPA character set first
(and `clean=True` again in `sepaxml`); the debtor's address is structured (street, building number,
postal code, town, country: R-4.3) and never carries `address_type`, which `sepaxml` 2.7.0 writes
wrongly in .09 (R-4.2). The file is checked against the XSD bundled with `sepaxml` before it is returned.
IBANs and BICs are checked with schwifty; a bad one is refused with a message naming its holder.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError as SepaSchemaError
from text_unidecode import unidecode

from cordee.accounts.validators import bic_from_iban, bic_normalize, iban_normalize

SCHEMA = "pain.001.001.09"
END_TO_END_MAX = 35
REMITTANCE_MAX = 140
NAME_MAX = 70
STREET_MAX = 70
TOWN_MAX = 35
POSTAL_CODE_MAX = 16
BUILDING_NUMBER_MAX = 16
# The Latin character set every SEPA bank accepts (EPC, "SEPA requirements for an extended character set").
NOT_SEPA_CHARACTERS = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
LEADING_BUILDING_NUMBER = re.compile(
    r"^\s*(\d{1,5}(?:\s?(?:bis|ter|quater|[A-Da-d]))?)\b[\s,]+(.+)$", re.IGNORECASE
)


@dataclass(frozen=True)
class Debtor:
    """The account the transfers leave from: the collecting seller's, with its holder and address."""

    name: str
    iban: str
    bic: str
    address_line: str
    postal_code: str
    town: str
    country: str


@dataclass(frozen=True)
class Transfer:
    """One payout to one member."""

    end_to_end_id: str
    name: str
    iban: str
    bic: str
    amount: Decimal
    remittance: str


def sepa_text(value: str, limit: int) -> str:
    """Text reduced to the SEPA character set: transliterated to ASCII, anything else a space, spaces squeezed."""
    ascii_text = unidecode(value or "")
    cleaned = NOT_SEPA_CHARACTERS.sub(" ", ascii_text.replace("&", "+"))
    return " ".join(cleaned.split())[:limit].strip()


def amount_in_cents(amount: Decimal) -> int:
    """A positive amount in whole cents; refuses a fraction of a cent rather than round money silently."""
    cents = Decimal(amount) * 100
    if cents != cents.to_integral_value() or cents <= 0:
        raise ValidationError(
            _("A transfer needs a positive amount in whole cents (not %(amount)s).") % {"amount": amount},
            code="amount",
        )
    return int(cents)


def bank_account_checked(*, holder: str, iban: str, bic: str = "") -> tuple[str, str]:
    """The IBAN and BIC in compact form, checked with schwifty; the BIC is derived from a French IBAN when
    missing. A refusal names whose account it is, and keeps schwifty's exception as its cause."""
    if not (iban or "").strip():
        raise ValidationError(
            _("%(holder)s has no IBAN: they add it in their profile before a payout.") % {"holder": holder},
            code="iban_missing",
        )
    try:
        compact_iban = iban_normalize(iban)
        compact_bic = bic_normalize(bic) if bic else bic_from_iban(compact_iban)
    except ValidationError as error:
        raise ValidationError(
            _("The bank details of %(holder)s: %(problem)s")
            % {"holder": holder, "problem": error.messages[0]},
            code=error.error_list[0].code,
        ) from error.__cause__
    return compact_iban, compact_bic


def structured_address(*, address_line: str, postal_code: str, town: str, country: str) -> dict:
    """A structured postal address for `sepaxml` (street, building number, postal code, town, country).

    Town and country are required (R-4.3); a leading number of the address line becomes the building
    number. No `address_type`: `sepaxml` 2.7.0 writes it as text in .09 and the file fails its XSD (R-4.2).
    """
    town = sepa_text(town, TOWN_MAX)
    country = (country or "").strip().upper()
    if not town or not re.fullmatch(r"[A-Z]{2}", country):
        raise ValidationError(
            _(
                "The paying account's address needs at least a town and a country (SEPA rules since November 2025)."
            ),
            code="address",
        )
    address = {"town": town, "country": country}
    street = sepa_text(address_line, 200)
    match = LEADING_BUILDING_NUMBER.match(street)
    if match:
        address["building_number"] = match.group(1)[:BUILDING_NUMBER_MAX]
        street = match.group(2)
    if street:
        address["street_name"] = street[:STREET_MAX].strip()
    postcode = sepa_text(postal_code, POSTAL_CODE_MAX)
    if postcode:
        address["postcode"] = postcode
    return address


def remittance_text(references: Sequence[tuple[str, Decimal]], *, prefix: str) -> str:
    """What the member reads on their statement, 140 characters at most: a prefix, then each invoice
    number with the share paid for it, as many as fit whole, then "..." when some are left out."""
    text = sepa_text(prefix, REMITTANCE_MAX)
    pieces = [sepa_text(f"{number} {share:.2f}", REMITTANCE_MAX) for number, share in references]
    for index, piece in enumerate(pieces):
        candidate = f"{text} {piece}".strip()
        is_last = index == len(pieces) - 1
        if len(candidate) > REMITTANCE_MAX or (not is_last and len(candidate) + 4 > REMITTANCE_MAX):
            return f"{text} ...".strip()
        text = candidate
    return text


def end_to_end_id(value: str) -> str:
    """The payout's reference, carried to the member's statement: SEPA characters, 35 at most, no spaces."""
    reference = sepa_text(value, 200).replace(" ", "-")
    if not reference or len(reference) > END_TO_END_MAX:
        raise ValidationError(
            _("A transfer reference has 1 to 35 characters (not %(count)d).") % {"count": len(reference)},
            code="end_to_end_id",
        )
    return reference


def credit_transfer_file(*, debtor: Debtor, transfers: Sequence[Transfer], execution_date: date) -> bytes:
    """The pain.001.001.09 file of a payout batch, validated against the XSD that `sepaxml` bundles.

    One payment information block (batch booking), CtrlSum = the sum of the transfers (R-4.7).
    """
    if not transfers:
        raise ValidationError(_("A transfer file needs at least one payout."), code="empty")
    debtor_iban, debtor_bic = bank_account_checked(holder=debtor.name, iban=debtor.iban, bic=debtor.bic)
    config = {
        "name": sepa_text(debtor.name, NAME_MAX),
        "IBAN": debtor_iban,
        "batch": True,
        "currency": "EUR",
        "address": structured_address(
            address_line=debtor.address_line,
            postal_code=debtor.postal_code,
            town=debtor.town,
            country=debtor.country,
        ),
    }
    if not config["name"]:
        raise ValidationError(_("The paying account has no holder's name."), code="debtor_name")
    if debtor_bic:
        config["BIC"] = debtor_bic
    document = SepaTransfer(config, schema=SCHEMA, clean=True)
    seen = set()
    for transfer in transfers:
        reference = end_to_end_id(transfer.end_to_end_id)
        if reference in seen:
            raise ValidationError(_("Two transfers share the reference %(id)s.") % {"id": reference})
        seen.add(reference)
        iban, bic = bank_account_checked(holder=transfer.name, iban=transfer.iban, bic=transfer.bic)
        payment = {
            "name": sepa_text(transfer.name, NAME_MAX),
            "IBAN": iban,
            "amount": amount_in_cents(transfer.amount),
            "execution_date": execution_date,
            "description": sepa_text(transfer.remittance, REMITTANCE_MAX),
            "endtoend_id": reference,
        }
        if not payment["name"]:
            raise ValidationError(_("A transfer has no account holder's name."), code="creditor_name")
        if bic:
            payment["BIC"] = bic
        document.add_payment(payment)
    try:
        return document.export(validate=True)
    except SepaSchemaError as error:
        raise ValidationError(
            _("The transfer file does not pass the SEPA schema: %(reason)s") % {"reason": error.__cause__},
            code="schema",
        ) from error
