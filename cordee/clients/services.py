"""Use cases that change a collective's clients and their contacts, each one in a transaction.

Business-rule refusals raise `ValidationError` keyed by the field they concern (views add them to the
form, so that the message shows next to the field and the typed values stay); the uniqueness rules
are also guarded by the database constraints, for two requests racing each other.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

from cordee.clients.access import client_for, contact_for
from cordee.clients.models import Client, ClientContact
from cordee.clients.signals import contact_archived
from cordee.collectives.access import membership_for
from cordee.core.models import OutboundEmail

REMOVED_ARCHIVED = "archived"
REMOVED_DELETED = "deleted"

# The keys of the `data` argument of client_create / client_update.
CLIENT_FIELDS = (
    "name",
    "siren",
    "siret",
    "vat_number",
    "address_line",
    "postal_code",
    "city",
    "country",
    "notes",
)
# The keys of the `data` argument of client_contact_create / client_contact_update.
CONTACT_FIELDS = ("full_name", "email", "phone", "job_title", "role", "language")


# --- Company identifiers ---------------------------------------------------------------------------


def siren_clean(value: str) -> str:
    """A SIREN without spaces, or a ValidationError saying what is wrong with it."""
    if not (value or "").strip():
        return ""
    try:
        return fr_siren.validate(value)
    except stdnum_exceptions.InvalidLength as error:
        raise ValidationError(_("A SIREN has 9 digits."), code="siren_length") from error
    except stdnum_exceptions.ValidationError as error:
        raise ValidationError(
            _("This SIREN is not valid: check the 9 digits (the last one is a checksum)."),
            code="siren_invalid",
        ) from error


def siret_clean(value: str) -> str:
    """A SIRET without spaces, or a ValidationError saying what is wrong with it."""
    if not (value or "").strip():
        return ""
    try:
        return fr_siret.validate(value)
    except stdnum_exceptions.InvalidLength as error:
        raise ValidationError(_("A SIRET has 14 digits."), code="siret_length") from error
    except stdnum_exceptions.ValidationError as error:
        raise ValidationError(
            _("This SIRET is not valid: check the 14 digits (the last one is a checksum)."),
            code="siret_invalid",
        ) from error


def vat_number_clean(value: str) -> str:
    """An intra-EU VAT number in its compact form (FR40303265045), or a ValidationError."""
    if not (value or "").strip():
        return ""
    try:
        return eu_vat.validate(value)
    except stdnum_exceptions.ValidationError as error:
        raise ValidationError(
            _("This VAT number is not valid. It starts with the country code, for example FR40303265045."),
            code="vat_invalid",
        ) from error


def _identifiers_clean(data: dict) -> dict:
    """Validate SIREN, SIRET and VAT number together; the SIREN is derived from the SIRET when missing."""
    errors = {}
    cleaned = {}
    for name, clean in (("siren", siren_clean), ("siret", siret_clean), ("vat_number", vat_number_clean)):
        try:
            cleaned[name] = clean(data.get(name) or "")
        except ValidationError as error:
            errors[name] = error
    if errors:
        raise ValidationError(errors)
    siren, siret, vat_number = cleaned["siren"], cleaned["siret"], cleaned["vat_number"]
    if siret and not siren:
        siren = fr_siret.to_siren(siret)
    elif siret and fr_siret.to_siren(siret) != siren:
        errors["siret"] = ValidationError(
            _("This SIRET belongs to another company: its first 9 digits should be the SIREN %(siren)s.")
            % {"siren": siren},
            code="siret_mismatch",
        )
    if vat_number.startswith("FR") and siren and vat_number[4:] != siren:
        errors["vat_number"] = ValidationError(
            _(
                "This French VAT number belongs to another company: for the SIREN %(siren)s it is %(expected)s."
            )
            % {"siren": siren, "expected": "FR" + fr_siren.to_tva(siren)},
            code="vat_mismatch",
        )
    if errors:
        raise ValidationError(errors)
    return {"siren": siren, "siret": siret, "vat_number": vat_number}


def _duplicate_siren_error(existing: Client) -> ValidationError:
    return ValidationError(
        {
            "siren": ValidationError(
                _("“%(name)s” is already a client of the collective with this SIREN (%(siren)s).")
                % {"name": existing.name, "siren": existing.siren},
                code="duplicate_siren",
            )
        }
    )


def _check_siren_free(*, collective, siren: str, exclude: Client | None = None) -> None:
    if not siren:
        return
    clients = Client.objects.filter(collective=collective, siren=siren)
    if exclude is not None:
        clients = clients.exclude(pk=exclude.pk)
    existing = clients.first()
    if existing is not None:
        raise _duplicate_siren_error(existing)


def _client_values(data: dict) -> dict:
    name = " ".join((data.get("name") or "").split())
    if not name:
        raise ValidationError({"name": ValidationError(_("Give the company's name."), code="required")})
    values = {
        "name": name,
        "address_line": (data.get("address_line") or "").strip(),
        "postal_code": (data.get("postal_code") or "").strip(),
        "city": (data.get("city") or "").strip(),
        "country": (data.get("country") or "FR").strip().upper(),
        "notes": (data.get("notes") or "").strip(),
    }
    values.update(_identifiers_clean(data))
    return values


# --- Clients ---------------------------------------------------------------------------------------


@transaction.atomic
def client_create(*, collective, by, data: dict) -> Client:
    """Add a company to the collective's clients. A SIREN already known is refused, naming the client."""
    membership_for(by, collective.pk)
    values = _client_values(data)
    _check_siren_free(collective=collective, siren=values["siren"])
    try:
        with transaction.atomic():
            return Client.objects.create(collective=collective, **values)
    except IntegrityError:
        # Another request added the same SIREN between the check and the insert.
        raise _duplicate_siren_error(
            Client.objects.get(collective=collective, siren=values["siren"])
        ) from None


@transaction.atomic
def client_update(*, client: Client, by, data: dict) -> Client:
    """Change a client's company details (same rules as when it was added)."""
    client_for(by, client.pk)
    values = _client_values(data)
    _check_siren_free(collective=client.collective_id, siren=values["siren"], exclude=client)
    for name, value in values.items():
        setattr(client, name, value)
    try:
        with transaction.atomic():
            client.save(update_fields=list(values))
    except IntegrityError:
        existing = Client.objects.exclude(pk=client.pk).get(
            collective=client.collective_id, siren=values["siren"]
        )
        raise _duplicate_siren_error(existing) from None
    return client


@transaction.atomic
def client_get_or_create_by_name(*, collective, by, name: str) -> tuple[Client, bool]:
    """The collective's client with this name (case-insensitive), or a new one with only its name."""
    membership_for(by, collective.pk)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Give the company's name."), code="required")
    existing = (
        Client.objects.current().filter(collective=collective, name__iexact=name).order_by("pk").first()
    )
    if existing is not None:
        return existing, False
    return Client.objects.create(collective=collective, name=name), True


# --- Contacts --------------------------------------------------------------------------------------


def _duplicate_email_error(existing: ClientContact) -> ValidationError:
    return ValidationError(
        {
            "email": ValidationError(
                _("%(name)s is already a contact of this client with the address %(email)s.")
                % {"name": existing.full_name, "email": existing.email},
                code="duplicate_email",
            )
        }
    )


def _contact_values(data: dict) -> dict:
    full_name = " ".join((data.get("full_name") or "").split())
    email = (data.get("email") or "").strip().lower()
    errors = {}
    if not full_name:
        errors["full_name"] = ValidationError(_("Give the contact's name."), code="required")
    if not email:
        errors["email"] = ValidationError(_("Give the contact's email address."), code="required")
    role = data.get("role") or ClientContact.Role.PROJECT
    if role not in ClientContact.Role.values:
        errors["role"] = ValidationError(_("Choose a valid role."), code="invalid_role")
    language = data.get("language") or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        errors["language"] = ValidationError(_("Choose a valid language."), code="invalid_language")
    if errors:
        raise ValidationError(errors)
    return {
        "full_name": full_name,
        "email": email,
        "phone": (data.get("phone") or "").strip(),
        "job_title": (data.get("job_title") or "").strip(),
        "role": role,
        "language": language,
    }


def _check_email_free(*, client: Client, email: str, exclude: ClientContact | None = None) -> None:
    contacts = ClientContact.objects.filter(client=client, email__iexact=email)
    if exclude is not None:
        contacts = contacts.exclude(pk=exclude.pk)
    existing = contacts.first()
    if existing is not None:
        raise _duplicate_email_error(existing)


@transaction.atomic
def client_contact_create(*, client: Client, by, data: dict) -> ClientContact:
    """Add a person to a client. An email address already among the client's contacts is refused."""
    client_for(by, client.pk)
    values = _contact_values(data)
    _check_email_free(client=client, email=values["email"])
    try:
        with transaction.atomic():
            return ClientContact.objects.create(collective_id=client.collective_id, client=client, **values)
    except IntegrityError:
        raise _duplicate_email_error(
            ClientContact.objects.get(client=client, email=values["email"])
        ) from None


@transaction.atomic
def client_contact_update(*, contact: ClientContact, by, data: dict) -> ClientContact:
    contact_for(by, contact.pk)
    values = _contact_values(data)
    _check_email_free(client=contact.client, email=values["email"], exclude=contact)
    for name, value in values.items():
        setattr(contact, name, value)
    try:
        with transaction.atomic():
            contact.save(update_fields=list(values))
    except IntegrityError:
        existing = ClientContact.objects.exclude(pk=contact.pk).get(
            client=contact.client, email=values["email"]
        )
        raise _duplicate_email_error(existing) from None
    return contact


def _refers_to(instance, *, skip: tuple = ()) -> bool:
    """Whether any row of another model points at `instance` (foreign keys, one-to-one and many-to-many)."""
    for relation in instance._meta.related_objects:
        if relation.related_model in skip:
            continue
        if relation.related_model._default_manager.filter(**{relation.field.name: instance}).exists():
            return True
    return False


def contact_has_history(contact: ClientContact) -> bool:
    """Something refers to the contact (answers, invitations, calls, requests, portal links, opt-out), or
    the collective emailed them: deleting them would rewrite the past."""
    return (
        _refers_to(contact)
        or OutboundEmail.objects.filter(
            collective_id=contact.collective_id, to_email__iexact=contact.email
        ).exists()
    )


def _contact_archive(*, contact: ClientContact, by, now) -> None:
    """Archived: no new email nor portal access (their links are revoked, their sessions end); they stay
    on every past record."""
    ClientContact.objects.filter(pk=contact.pk, archived_at__isnull=True).update(
        archived_at=now, archived_by=by
    )
    contact.archived_at, contact.archived_by = now, by
    contact_archived.send(sender=ClientContact, contact=contact, at=now)


@transaction.atomic
def client_contact_remove(*, contact: ClientContact, by) -> str:
    """The client's mission leads and the admins take a contact off the client.

    With history the contact is archived ("archived"); otherwise deleted ("deleted").
    """
    contact = contact_for(by, contact.pk, manage=True)
    locked = _lock_contacts(ClientContact.objects.filter(pk=contact.pk))
    if not locked:
        return REMOVED_DELETED  # removed meanwhile
    if locked[0].is_archived:
        return REMOVED_ARCHIVED
    if contact_has_history(contact):
        _contact_archive(contact=contact, by=by, now=timezone.now())
        return REMOVED_ARCHIVED
    contact.delete()
    return REMOVED_DELETED


def _lock_contacts(contacts) -> list[ClientContact]:
    """Lock the rows until the end of the transaction, so that "nothing refers to it" stays true until the
    delete: on PostgreSQL a row about to refer to a locked contact (an answer, a survey invitation, a portal
    link, an opt-out) waits for this transaction, then finds the contact archived or gone. On SQLite the
    write transaction (`transaction_mode=IMMEDIATE`) already holds every writer back."""
    return list(contacts.select_for_update().order_by("pk"))


@transaction.atomic
def client_remove(*, client: Client, by) -> str:
    """The client's mission leads and the admins take a client off the list.

    A client with history (a mission, or a contact with history) is archived with all its contacts
    ("archived"); otherwise it is deleted with its contacts ("deleted").
    """
    client = client_for(by, client.pk, manage=True)
    # The client's row too: a new mission or contact for it waits for this transaction (see _lock_contacts).
    locked = Client.objects.select_for_update().filter(pk=client.pk).values_list("archived_at", flat=True)
    if not locked:
        return REMOVED_DELETED  # removed meanwhile
    if client.is_archived or locked[0] is not None:
        return REMOVED_ARCHIVED
    contacts = _lock_contacts(ClientContact.objects.filter(client=client))
    has_history = _refers_to(client, skip=(ClientContact,)) or any(
        contact_has_history(contact) for contact in contacts
    )
    if not has_history:
        client.delete()
        return REMOVED_DELETED
    now = timezone.now()
    Client.objects.filter(pk=client.pk).update(archived_at=now, archived_by=by)
    client.archived_at, client.archived_by = now, by
    for contact in contacts:
        if not contact.is_archived:
            _contact_archive(contact=contact, by=by, now=now)
    return REMOVED_ARCHIVED


@transaction.atomic
def client_contact_get_or_create(*, client: Client, by, data: dict) -> tuple[ClientContact, bool]:
    """The client's contact with this email address, or a new one (used when converting an opportunity)."""
    client_for(by, client.pk)
    values = _contact_values(data)
    existing = ClientContact.objects.filter(client=client, email__iexact=values["email"]).first()
    if existing is not None:
        return existing, False
    return client_contact_create(client=client, by=by, data=values), True
