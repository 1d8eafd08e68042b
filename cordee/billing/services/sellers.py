"""Legal sellers: their identity and snapshot, the "ready to bill" checklist, payment defaults and numbering."""

import itertools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from stdnum import exceptions as number_errors
from stdnum.fr import siren

from cordee.accounts.models import User
from cordee.accounts.validators import bic_normalize, iban_normalize, siret_normalize, vat_number_normalize
from cordee.billing.legal import legal_values
from cordee.billing.models import DOCUMENT_NUMBER_PATTERN, LegalSeller, NumberSeries
from cordee.collectives.access import membership_for
from cordee.core.access import AccessDenied

DEFAULT_PREFIXES = {
    NumberSeries.DocumentType.QUOTE: "DEV",
    NumberSeries.DocumentType.INVOICE: "FAC",
    NumberSeries.DocumentType.CREDIT_NOTE: "AV",
}
# A member's series add the member's initials ("FAC-CM"): a client of two members never gets two "FAC-2026-00001".
MAX_INITIALS = 4
SOLE_TRADER_FORMS = (User.LegalForm.MICRO, User.LegalForm.EI)
# Entity and member company forms: their documents print the legal form, share capital and RCS city.
COMPANY_FORMS = (
    LegalSeller.EntityForm.SAS,
    LegalSeller.EntityForm.SARL,
    LegalSeller.EntityForm.SCOP,
    *User.COMPANY_FORMS,
)
NUMBER_RE = re.compile(DOCUMENT_NUMBER_PATTERN)


# --- Identity ---------------------------------------------------------------------------------------


def _member_identity(user: User) -> dict:
    base_name = user.business_name or user.full_name
    sole_trader = user.legal_form in SOLE_TRADER_FORMS
    # Sole traders must show "EI" next to their name (INVOICING_FR.md row 5).
    name = f"{base_name} EI" if sole_trader and base_name and not base_name.endswith(" EI") else base_name
    return {
        "name": name,
        "legal_form": str(user.get_legal_form_display()) if user.legal_form else "",
        "siren": user.siret[:9],
        "siret": user.siret,
        "vat_regime": user.vat_regime,
        "vat_number": user.vat_number if user.vat_regime == User.VatRegime.REGISTERED else "",
        "rcs_city": user.rcs_city,
        "share_capital": str(user.share_capital) if user.share_capital is not None else "",
        "address_line": user.address_line,
        "postal_code": user.postal_code,
        "city": user.city,
        "country": user.country,
        "iban": user.iban,
        "bic": user.bic,
        "account_holder": user.account_holder,
        "email": user.email,
    }


def _entity_identity(seller: LegalSeller) -> dict:
    return {
        "name": seller.name,
        "legal_form": str(seller.get_entity_form_display()) if seller.entity_form else "",
        "siren": seller.siren or seller.siret[:9],
        "siret": seller.siret,
        "vat_regime": seller.vat_regime,
        "vat_number": seller.vat_number if seller.vat_regime == LegalSeller.VatRegime.REGISTERED else "",
        "rcs_city": seller.rcs_city,
        "share_capital": str(seller.share_capital) if seller.share_capital is not None else "",
        "address_line": seller.address_line,
        "postal_code": seller.postal_code,
        "city": seller.city,
        "country": seller.country,
        "iban": seller.iban,
        "bic": seller.bic,
        "account_holder": seller.account_holder,
        "email": "",
    }


def seller_identity(seller: LegalSeller) -> dict:
    """What a document issued today snapshots of its seller: identity, bank details and payment terms."""
    identity = _member_identity(seller.user) if seller.is_member else _entity_identity(seller)
    identity.update(
        kind=seller.kind,
        seller_id=seller.pk,
        payment_terms=seller.payment_terms,
        payment_days=seller.payment_days,
        late_penalty_rate=str(seller.late_penalty_rate),
        early_payment_discount=seller.early_payment_discount,
    )
    return identity


def client_email(client) -> str:
    """The email a client's invoices carry as its electronic address when it has no SIREN (BT-49,
    BR-FR-12): its finance contact's, else its first contact's; empty when it has no contact."""
    contacts = list(client.contacts.filter(archived_at__isnull=True).order_by("pk"))
    finance = [contact for contact in contacts if contact.role == contact.Role.FINANCE]
    chosen = (finance or contacts or [None])[0]
    return chosen.email if chosen else ""


def client_identity(client) -> dict:
    return {
        "client_id": client.pk,
        "name": client.name,
        "siren": client.siren or client.siret[:9],
        "siret": client.siret,
        "vat_number": client.vat_number,
        "address_line": client.address_line,
        "postal_code": client.postal_code,
        "city": client.city,
        "country": client.country,
        "email": client_email(client),
    }


def client_billing_address_missing(client) -> bool:
    return not (client.address_line and client.postal_code and client.city)


# --- "Ready to bill" ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    done: bool


def _entity_checklist(seller: LegalSeller) -> list[ChecklistItem]:
    field = seller._meta.get_field
    items = [
        ChecklistItem(str(field("name").verbose_name), bool(seller.name)),
        ChecklistItem(str(field("entity_form").verbose_name), bool(seller.entity_form)),
        ChecklistItem(str(field("siren").verbose_name), bool(seller.siren)),
        ChecklistItem(str(field("vat_regime").verbose_name), bool(seller.vat_regime)),
    ]
    if seller.vat_regime == LegalSeller.VatRegime.REGISTERED:
        items.append(ChecklistItem(str(field("vat_number").verbose_name), bool(seller.vat_number)))
    if seller.entity_form in COMPANY_FORMS:
        items.append(ChecklistItem(str(field("rcs_city").verbose_name), bool(seller.rcs_city)))
        items.append(
            ChecklistItem(str(field("share_capital").verbose_name), seller.share_capital is not None)
        )
    for name in ("address_line", "postal_code", "city", "iban", "account_holder"):
        items.append(ChecklistItem(str(field(name).verbose_name), bool(getattr(seller, name))))
    return items


def seller_checklist(seller: LegalSeller) -> list[ChecklistItem]:
    """Each thing a legal document of this seller needs, in words, with whether it is there."""
    if seller.is_member:
        return [ChecklistItem(label, filled) for label, filled in seller.user.legal_identity_checklist()]
    return _entity_checklist(seller)


def seller_missing(seller: LegalSeller) -> list[str]:
    return [item.label for item in seller_checklist(seller) if not item.done]


def member_checklist(user: User) -> list[ChecklistItem]:
    return [ChecklistItem(label, filled) for label, filled in user.legal_identity_checklist()]


# --- Changes -----------------------------------------------------------------------------------------


def name_initials(name: str) -> str:
    """The first letter of each word, in uppercase ASCII: "Claire Martin" → "CM", "Jean-Pierre Lefèvre" → "JPL"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(word[0] for word in re.findall(r"[A-Za-z]+", ascii_name)).upper()[:MAX_INITIALS]


def _member_code(seller: LegalSeller) -> str:
    """The member's initials, followed by 2, 3… when another seller of the collective already has them."""
    # Read apart, not through `seller.user`: the seller would keep this copy of the profile and snapshot it.
    full_name, business_name, email = (
        User.objects.filter(pk=seller.user_id).values_list("full_name", "business_name", "email").get()
    )
    names = (full_name, business_name, email.partition("@")[0])
    base = next((code for code in map(name_initials, names) if code), "M")
    taken = set(
        NumberSeries.objects.filter(collective_id=seller.collective_id)
        .exclude(seller=seller)
        .values_list("prefix", flat=True)
    )
    for suffix in itertools.count(1):
        code = base if suffix == 1 else f"{base}{suffix}"
        if not any(f"{kind}-{code}" in taken for kind in DEFAULT_PREFIXES.values()):
            return code


def _series_create(seller: LegalSeller) -> None:
    """The seller's missing series: "DEV", "FAC", "AV" for the entity, with the initials for a member. A series
    that exists keeps its prefix (its numbers were, or will be, issued under it)."""
    existing = set(NumberSeries.objects.filter(seller=seller).values_list("document_type", flat=True))
    missing = [kind for kind in DEFAULT_PREFIXES if kind not in existing]
    if not missing:
        return
    code = _member_code(seller) if seller.is_member else ""
    NumberSeries.objects.bulk_create(
        [
            NumberSeries(
                collective_id=seller.collective_id,
                seller=seller,
                document_type=kind,
                prefix=f"{DEFAULT_PREFIXES[kind]}-{code}" if code else DEFAULT_PREFIXES[kind],
            )
            for kind in missing
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def member_seller_for(*, by, collective_id: int, user_id: int) -> LegalSeller:
    """The legal seller of a member's business in the collective, created with its series on first use.

    Any member may fetch a teammate's seller (a plan names the sellers involved); the seller reads the
    member's own profile, so nobody but them edits the identity.
    """
    membership_for(by, collective_id)
    membership_for(User.objects.get(pk=user_id), collective_id)
    seller = LegalSeller.objects.filter(
        collective_id=collective_id, kind=LegalSeller.Kind.MEMBER, user_id=user_id
    ).first()
    if seller is None:
        try:
            with transaction.atomic():
                seller = LegalSeller.objects.create(
                    collective_id=collective_id, kind=LegalSeller.Kind.MEMBER, user_id=user_id
                )
        except IntegrityError:
            seller = LegalSeller.objects.get(
                collective_id=collective_id, kind=LegalSeller.Kind.MEMBER, user_id=user_id
            )
    _series_create(seller)
    return seller


ENTITY_FIELDS = (
    "name",
    "entity_form",
    "siren",
    "siret",
    "vat_regime",
    "vat_number",
    "rcs_city",
    "share_capital",
    "address_line",
    "postal_code",
    "city",
    "iban",
    "bic",
    "account_holder",
)
PAYMENT_FIELDS = ("payment_terms", "payment_days", "late_penalty_rate", "early_payment_discount")


def _check_payment_defaults(values: dict) -> dict:
    errors = {}
    late = values.get("late_penalty_rate")
    floor = legal_values(date.today()).late_penalty_floor
    if late is not None and late < floor:
        errors["late_penalty_rate"] = _(
            "The late-payment penalty rate cannot be under %(floor)s %% (three times the legal interest rate)."
        ) % {"floor": floor}
    days = values.get("payment_days")
    if days is not None and not 0 <= days <= 60:
        errors["payment_days"] = _("Payment terms are 60 days at most after the issue date.")
    return errors


def _siren_normalize(value: str) -> str:
    compact = "".join((value or "").split())
    if not compact:
        return ""
    try:
        return siren.validate(compact)
    except number_errors.ValidationError as error:
        raise ValidationError(
            _(
                "This SIREN is not valid: it has 9 digits and a check digit; copy it from the Kbis or the INSEE notice."
            ),
            code="siren",
        ) from error


NORMALIZERS = {
    "siren": _siren_normalize,
    "siret": siret_normalize,
    "vat_number": vat_number_normalize,
    "iban": iban_normalize,
    "bic": bic_normalize,
}


def _normalized_identity(values: dict) -> tuple[dict, dict]:
    """SIREN, SIRET, VAT number, IBAN and BIC checked and in their compact form (python-stdnum, schwifty)."""
    values, errors = dict(values), {}
    for name, normalize in NORMALIZERS.items():
        if values.get(name):
            try:
                values[name] = normalize(values[name])
            except ValidationError as error:
                errors[name] = error.messages
    return values, errors


@transaction.atomic
def entity_seller_save(*, by, collective_id: int, values: dict) -> LegalSeller:
    """Create or update the collective's legal entity as a seller: its admins only."""
    membership_for(by, collective_id, admin=True)
    seller = (
        LegalSeller.objects.select_for_update()
        .filter(collective_id=collective_id, kind=LegalSeller.Kind.ENTITY)
        .first()
    ) or LegalSeller(collective_id=collective_id, kind=LegalSeller.Kind.ENTITY)
    values, errors = _normalized_identity(values)
    for name in ENTITY_FIELDS + PAYMENT_FIELDS:
        if name in values:
            setattr(seller, name, values[name])
    errors |= _check_payment_defaults(values)
    if errors:
        raise ValidationError(errors)
    seller.full_clean()
    seller.save()
    _series_create(seller)
    return seller


def _seller_for_change(*, by, seller_id: int) -> LegalSeller:
    seller = (
        LegalSeller.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=seller_id)
        .first()
    )
    if seller is None:
        raise AccessDenied(_("This seller does not exist."))
    membership = membership_for(by, seller.collective_id)
    if seller.is_member and seller.user_id != by.pk:
        raise AccessDenied(_("Only this member can change their own billing settings."))
    if not seller.is_member and not membership.is_admin:
        raise AccessDenied(_("Only an admin of the collective can change its legal entity."))
    return seller


@transaction.atomic
def seller_payment_defaults_update(*, by, seller_id: int, values: dict) -> LegalSeller:
    """Payment terms, late-penalty rate and early-payment discount: the member themself, or an admin for
    the entity."""
    seller = _seller_for_change(by=by, seller_id=seller_id)
    errors = _check_payment_defaults(values)
    if errors:
        raise ValidationError(errors)
    for name in PAYMENT_FIELDS:
        if name in values:
            setattr(seller, name, values[name])
    seller.full_clean()
    seller.save(update_fields=list(PAYMENT_FIELDS))
    return seller


@transaction.atomic
def series_prefix_update(*, by, seller_id: int, document_type: str, prefix: str) -> NumberSeries:
    """Change a series' prefix; refused once a number was issued in it (continuity of the sequence)."""
    seller = _seller_for_change(by=by, seller_id=seller_id)
    series = NumberSeries.objects.select_for_update().get(seller=seller, document_type=document_type)
    if series.last_number:
        raise ValidationError(
            {"prefix": _("Numbers were already issued in this series: its prefix can no longer change.")}
        )
    series.prefix = prefix.strip()
    series.full_clean()
    series.save(update_fields=["prefix"])
    return series


def number_issue(*, seller: LegalSeller, document_type: str, issued_on: date) -> str:
    """The next number of the seller's series, allocated under a row lock inside the caller's transaction.

    `PREFIX-YYYY-NNNNN`, continuous and gapless per series (R-1.2, R-1.3); an issue date before the
    series' last one is refused (R-1.4); the number always matches R-1.5.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_issue must run inside the issuing transaction")
    series = NumberSeries.objects.select_for_update().get(seller=seller, document_type=document_type)
    if series.last_issued_on and issued_on < series.last_issued_on:
        raise ValidationError(
            _("The issue date cannot be before the last one of the series (%(date)s).")
            % {"date": date_format(series.last_issued_on, "DATE_FORMAT")},
            code="backdated",
        )
    number = f"{series.prefix}-{issued_on.year}-{series.last_number + 1:05d}"
    if not NUMBER_RE.match(number):
        raise ValidationError(_("The series' prefix makes an invalid number."), code="number")
    NumberSeries.objects.filter(pk=series.pk).update(
        last_number=series.last_number + 1, last_issued_on=issued_on
    )
    return number
