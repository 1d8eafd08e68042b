"""Use cases that change a collective, its page, its references and its memberships.

Each function is one transaction. Business-rule refusals raise `ValidationError` (with a code that
tests and views can rely on); acting without the right raises `AccessDenied`.
"""

import re
import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cordee.collectives.access import membership_for
from cordee.collectives.models import (
    AssignmentMode,
    Collective,
    Membership,
    Reference,
    RitualKind,
    slug_validator,
)
from cordee.core import outbox
from cordee.core.access import AccessDenied
from cordee.core.models import OutboundEmail
from cordee.core.uploads import image_reencode

SLUG_MAX_LENGTH = Collective._meta.get_field("slug").max_length

# Addresses that a collective cannot take: they name pages of the application or would confuse visitors.
RESERVED_SLUGS = frozenset(
    {
        "about",
        "account",
        "accounts",
        "admin",
        "administration",
        "api",
        "app",
        "assets",
        "auth",
        "billing",
        "blog",
        "c",
        "collective",
        "collectives",
        "contact",
        "cordee",
        "dashboard",
        "docs",
        "edit",
        "help",
        "home",
        "invitations",
        "invite",
        "join",
        "legal",
        "login",
        "logout",
        "media",
        "me",
        "new",
        "pricing",
        "privacy",
        "profile",
        "public",
        "root",
        "settings",
        "signup",
        "static",
        "status",
        "support",
        "terms",
        "www",
    }
)


# --- Slugs -----------------------------------------------------------------------------------------


def collective_slug_suggest(name: str) -> str:
    """The page address proposed for a collective name: "Atelier Rive Gauche" → "atelier-rive-gauche"."""
    slug = re.sub(r"[-_]+", "-", slugify(name))
    return slug[:SLUG_MAX_LENGTH].strip("-")


def collective_slug_alternative(slug: str) -> str:
    """A free address close to a taken one ("studio" → "studio-2"), to suggest in the error message."""
    base = slug[: SLUG_MAX_LENGTH - 4].strip("-") or "collectif"
    taken = set(Collective.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    for number in range(2, 100):
        candidate = f"{base}-{number}"
        if candidate not in taken and candidate not in RESERVED_SLUGS:
            return candidate
    return f"{base}-{secrets.token_hex(2)}"


def collective_slug_check(slug: str, *, exclude: Collective | None = None) -> None:
    """Refuse an address that is malformed, reserved or already used by another collective."""
    if not slug:
        raise ValidationError(_("Choose an address for your page."), code="required")
    if len(slug) > SLUG_MAX_LENGTH:
        raise ValidationError(
            _("Use at most %(count)d characters.") % {"count": SLUG_MAX_LENGTH}, code="max_length"
        )
    slug_validator(slug)
    if slug in RESERVED_SLUGS:
        raise ValidationError(
            _("“%(slug)s” is reserved by Cordée. Choose another address.") % {"slug": slug}, code="reserved"
        )
    others = Collective.objects.filter(slug=slug)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.exists():
        raise ValidationError(
            _("This address is already taken. Try another one, for example “%(suggestion)s”.")
            % {"suggestion": collective_slug_alternative(slug)},
            code="taken",
        )


def _slug_taken_error(slug: str) -> ValidationError:
    return ValidationError(
        {
            "slug": ValidationError(
                _("This address is already taken. Try another one, for example “%(suggestion)s”.")
                % {"suggestion": collective_slug_alternative(slug)},
                code="taken",
            )
        }
    )


# --- Collective ----------------------------------------------------------------------------------


def collective_create(*, user, name: str, slug: str = "", tagline: str = "") -> Collective:
    """Create a collective whose creator is its first admin. An empty slug is derived from the name."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise AccessDenied(_("Sign in to create a collective."))
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": ValidationError(_("Give your collective a name."), code="required")})
    slug = (slug or "").strip().lower() or collective_slug_suggest(name)
    try:
        collective_slug_check(slug)
    except ValidationError as error:
        raise ValidationError({"slug": error.error_list}) from error
    try:
        with transaction.atomic():
            collective = Collective.objects.create(name=name, slug=slug, tagline=(tagline or "").strip())
            Membership.objects.create(collective=collective, user=user, role=Membership.Role.ADMIN)
    except IntegrityError as error:  # another request took the address between the check and the insert
        raise _slug_taken_error(slug) from error
    return collective


def collective_settings_update(
    *,
    collective: Collective,
    by,
    name: str,
    slug: str,
    time_zone: str,
    contact_email: str = "",
    feedback_sender_name: str = "",
    feedback_sender_email: str = "",
    notification_sender_name: str = "",
    notification_sender_email: str = "",
    hours_per_day: Decimal | None = None,
    margin_percent: int | None = None,
    margin_min_business_days: int | None = None,
    delay_notice_min_business_days: int | None = None,
    default_assignment_mode: str | None = None,
    default_recaps_per_week: int | None = None,
    default_ritual_kind: str | None = None,
    feedback_first_after_days: int | None = None,
    feedback_every_days: int | None = None,
) -> Collective:
    """Change the collective's name, address, time zone, the senders of its automated emails and the
    defaults of its new missions (a mission default left to None keeps its current value)."""
    membership_for(by, collective.pk, admin=True)
    mission_defaults = _mission_defaults_clean(
        {
            "hours_per_day": hours_per_day,
            "margin_percent": margin_percent,
            "margin_min_business_days": margin_min_business_days,
            "delay_notice_min_business_days": delay_notice_min_business_days,
            "default_assignment_mode": default_assignment_mode,
            "default_recaps_per_week": default_recaps_per_week,
            "default_ritual_kind": default_ritual_kind,
            "feedback_first_after_days": feedback_first_after_days,
            "feedback_every_days": feedback_every_days,
        }
    )
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": ValidationError(_("Give your collective a name."), code="required")})
    slug = (slug or "").strip().lower()
    try:
        collective_slug_check(slug, exclude=collective)
    except ValidationError as error:
        raise ValidationError({"slug": error.error_list}) from error
    collective.name = name
    collective.slug = slug
    collective.time_zone = time_zone
    collective.contact_email = contact_email
    collective.feedback_sender_name = feedback_sender_name.strip()
    collective.feedback_sender_email = feedback_sender_email
    collective.notification_sender_name = notification_sender_name.strip()
    collective.notification_sender_email = notification_sender_email
    for field_name, value in mission_defaults.items():
        setattr(collective, field_name, value)
    try:
        with transaction.atomic():
            collective.save(
                update_fields=[
                    "name",
                    "slug",
                    "time_zone",
                    "contact_email",
                    "feedback_sender_name",
                    "feedback_sender_email",
                    "notification_sender_name",
                    "notification_sender_email",
                    *mission_defaults,
                ]
            )
    except IntegrityError as error:
        raise _slug_taken_error(slug) from error
    return collective


def _mission_defaults_clean(values: dict) -> dict:
    """The mission defaults given (not None), checked: choices known, numbers in their range."""
    values = {name: value for name, value in values.items() if value is not None}
    ranges = {
        "margin_percent": (0, 100),
        "margin_min_business_days": (0, 30),
        "delay_notice_min_business_days": (0, 60),
        "feedback_first_after_days": (1, 365),
        "feedback_every_days": (1, 365),
    }
    errors = {}
    for name, (low, high) in ranges.items():
        if name in values and not low <= values[name] <= high:
            errors[name] = ValidationError(
                _("Enter a number between %(low)s and %(high)s.") % {"low": low, "high": high}, code="range"
            )
    if "hours_per_day" in values and not Decimal("1") <= values["hours_per_day"] <= Decimal("24"):
        errors["hours_per_day"] = ValidationError(
            _("A working day has between 1 and 24 hours."), code="range"
        )
    if values.get("default_assignment_mode", AssignmentMode.LEAD_ASSIGNS) not in AssignmentMode.values:
        errors["default_assignment_mode"] = ValidationError(
            _("Choose how tasks are assigned."), code="invalid"
        )
    if values.get("default_ritual_kind", RitualKind.SYNC_CALL) not in RitualKind.values:
        errors["default_ritual_kind"] = ValidationError(_("Choose the weekly ritual."), code="invalid")
    if values.get("default_recaps_per_week", 1) not in (1, 2):
        errors["default_recaps_per_week"] = ValidationError(
            _("Send one or two recaps a week."), code="invalid"
        )
    if errors:
        raise ValidationError(errors)
    return values


def _logo_file_name(collective: Collective, clean_image) -> str:
    """A name chosen by us, with the extension of the real format (the uploaded name is not trusted)."""
    return f"{collective.slug}-{secrets.token_hex(6)}.{clean_image.extension}"


def _storage_delete_on_commit(field_file) -> None:
    if not field_file:
        return
    storage, name = field_file.storage, field_file.name
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def collective_page_update(
    *,
    collective: Collective,
    by,
    tagline: str,
    description: str,
    expertises: list[str],
    website: str = "",
    contact_email: str = "",
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
) -> Collective:
    """Update what the public page shows. A new logo is checked (type from its bytes, size) first."""
    membership_for(by, collective.pk, admin=True)
    clean_logo = None
    if logo is not None:
        try:
            clean_logo = image_reencode(logo)
        except ValidationError as error:
            raise ValidationError({"logo": error.error_list}) from error
    collective.tagline = (tagline or "").strip()
    collective.description = (description or "").strip()
    collective.expertises = list(expertises or [])
    collective.website = website
    collective.contact_email = contact_email
    update_fields = ["tagline", "description", "expertises", "website", "contact_email"]
    if clean_logo is not None:
        _storage_delete_on_commit(collective.logo)
        collective.logo.save(_logo_file_name(collective, clean_logo), clean_logo, save=False)
        update_fields.append("logo")
    elif remove_logo and collective.logo:
        _storage_delete_on_commit(collective.logo)
        collective.logo = ""
        update_fields.append("logo")
    collective.save(update_fields=update_fields)
    return collective


def collective_publish(*, collective: Collective, by) -> Collective:
    """Put the public page online. Publishing again keeps the first publication date."""
    membership_for(by, collective.pk, admin=True)
    with transaction.atomic():
        if not collective.is_published:
            collective.is_published = True
            collective.published_at = timezone.now()
            collective.save(update_fields=["is_published", "published_at"])
    return collective


def collective_unpublish(*, collective: Collective, by) -> Collective:
    """Take the public page offline; visitors get a 404 until it is published again."""
    membership_for(by, collective.pk, admin=True)
    with transaction.atomic():
        if collective.is_published:
            collective.is_published = False
            collective.published_at = None
            collective.save(update_fields=["is_published", "published_at"])
    return collective


# --- References ----------------------------------------------------------------------------------


@transaction.atomic
def reference_create(
    *, collective: Collective, by, title: str, client_name: str = "", year: int | None = None, text: str = ""
) -> Reference:
    """Add a past project at the end of the page's list of references."""
    membership_for(by, collective.pk, admin=True)
    last_position = collective.references.aggregate(last=Max("position"))["last"]
    return Reference.objects.create(
        collective=collective,
        title=title.strip(),
        client_name=(client_name or "").strip(),
        year=year,
        text=(text or "").strip(),
        position=0 if last_position is None else last_position + 1,
    )


@transaction.atomic
def reference_update(
    *, reference: Reference, by, title: str, client_name: str = "", year: int | None = None, text: str = ""
) -> Reference:
    membership_for(by, reference.collective_id, admin=True)
    reference.title = title.strip()
    reference.client_name = (client_name or "").strip()
    reference.year = year
    reference.text = (text or "").strip()
    reference.save(update_fields=["title", "client_name", "year", "text"])
    return reference


@transaction.atomic
def reference_delete(*, reference: Reference, by) -> None:
    membership_for(by, reference.collective_id, admin=True)
    collective_id, position = reference.collective_id, reference.position
    reference.delete()
    Reference.objects.filter(collective_id=collective_id, position__gt=position).update(
        position=F("position") - 1
    )


@transaction.atomic
def reference_move(*, reference: Reference, by, direction: str) -> Reference:
    """Move a reference one place up or down in the order the public page shows them."""
    membership_for(by, reference.collective_id, admin=True)
    if direction not in ("up", "down"):
        raise ValidationError(_("Unknown direction."), code="invalid")
    ordered = list(Reference.objects.select_for_update().filter(collective_id=reference.collective_id))
    index = next(i for i, item in enumerate(ordered) if item.pk == reference.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    # Renumber every row so positions stay 0..n-1 whatever they were before.
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    reference.refresh_from_db(fields=["position"])
    return reference


# --- Memberships ---------------------------------------------------------------------------------


def _lock_memberships(collective_id: int) -> dict[int, Membership]:
    """Lock the collective's memberships for the rest of the transaction and return them by pk.

    On PostgreSQL `select_for_update` makes two concurrent requests wait for each other; on SQLite the
    write transaction (`transaction_mode=IMMEDIATE`) already serialises them.
    """
    return {
        membership.pk: membership
        for membership in Membership.objects.select_for_update().filter(collective_id=collective_id)
    }


def _check_other_admin_remains(memberships: dict[int, Membership], leaving: Membership, message: str) -> None:
    other_admins = [m for m in memberships.values() if m.role == Membership.Role.ADMIN and m.pk != leaving.pk]
    if not other_admins:
        raise ValidationError(message, code="last_admin")


# The missions a lead must hand over before leaving the collective: those still under way (the
# statuses of cordee.missions.models.Mission.Status, which this lower area does not import).
OPEN_MISSION_STATUSES = ("draft", "active", "paused")


def _check_leads_no_open_mission(membership: Membership, message: str) -> None:
    """Refuse while the member leads a mission still under way, naming the missions.

    Time, tasks, events and answers refer to the person, so they stay on past records once the membership
    is archived.
    """
    titles = list(
        membership.user.led_missions.filter(
            collective_id=membership.collective_id, status__in=OPEN_MISSION_STATUSES
        )
        .order_by("title", "pk")
        .values_list("title", flat=True)
    )
    if titles:
        raise ValidationError(
            message
            % {"name": membership.user.display_name, "missions": ", ".join(f"“{title}”" for title in titles)},
            code="leads_missions",
        )


def _archive(membership: Membership, *, by, reason: str) -> None:
    """Archive instead of delete: the member stays the author of what they did, acts nowhere, and leaves
    every list and picker of the collective (the default manager only returns current memberships)."""
    membership.archived_at = timezone.now()
    membership.archived_by = by
    membership.archive_reason = reason
    membership.save(update_fields=["archived_at", "archived_by", "archive_reason"])


def membership_update(
    *,
    membership: Membership,
    by: Membership,
    title: str,
    skills: list[str],
    day_rate: Decimal | None,
    role: str | None = None,
) -> Membership:
    """Update a member's title, skills and day rate, and (admins only) their role.

    A member edits their own profile in the collective; an admin edits anyone's. The last admin
    cannot be demoted: a collective always keeps at least one.
    """
    if by.collective_id != membership.collective_id:
        raise AccessDenied(_("Only members of the collective can do this."))
    with transaction.atomic():
        # Rights and the last-admin rule are read from the locked rows, not from the caller's objects.
        memberships = _lock_memberships(membership.collective_id)
        acting = memberships.get(by.pk)
        if acting is None or (not acting.is_admin and acting.pk != membership.pk):
            raise AccessDenied(_("Only an admin of the collective can do this."))
        current = memberships.get(membership.pk)
        if current is None:
            raise ValidationError(_("This person is no longer a member of the collective."), code="gone")
        update_fields = ["title", "skills", "day_rate"]
        if role is not None and role != current.role:
            if not acting.is_admin:
                raise AccessDenied(_("Only an admin of the collective can do this."))
            if role not in Membership.Role.values:
                raise ValidationError(_("Unknown role."), code="invalid")
            if role != Membership.Role.ADMIN:
                _check_other_admin_remains(
                    memberships,
                    current,
                    _(
                        "%(name)s is the last admin: make someone else admin first. A collective always keeps at "
                        "least one admin."
                    )
                    % {"name": current.user.display_name},
                )
            current.role = role
            update_fields.append("role")
        current.title = (title or "").strip()
        current.skills = list(skills or [])
        current.day_rate = day_rate
        current.save(update_fields=update_fields)
    membership.refresh_from_db()
    return membership


def membership_remove(*, membership: Membership, by: Membership) -> None:
    """An admin removes someone (possibly themselves) from the collective. The last admin cannot be removed."""
    if by.collective_id != membership.collective_id or not by.is_admin:
        raise AccessDenied(_("Only an admin of the collective can do this."))
    with transaction.atomic():
        memberships = _lock_memberships(membership.collective_id)
        if by.pk not in memberships or not memberships[by.pk].is_admin:
            raise AccessDenied(_("Only an admin of the collective can do this."))
        current = memberships.get(membership.pk)
        if current is None:
            return
        _check_other_admin_remains(
            memberships,
            current,
            _(
                "%(name)s is the last admin and cannot be removed. A collective always keeps at least one admin."
            )
            % {"name": current.user.display_name},
        )
        _check_leads_no_open_mission(
            current,
            _(
                "%(name)s leads missions still under way: %(missions)s. Change their lead first, then remove "
                "%(name)s."
            ),
        )
        _archive(current, by=by.user, reason=Membership.ArchiveReason.REMOVED)


def membership_leave(*, membership: Membership) -> None:
    """A member leaves the collective. The last admin must first make someone else admin."""
    with transaction.atomic():
        memberships = _lock_memberships(membership.collective_id)
        current = memberships.get(membership.pk)
        if current is None:
            return
        if current.is_admin:
            others = [m for m in memberships.values() if m.pk != current.pk]
            message = (
                _(
                    "You are the last admin: make another member admin before leaving. A collective always keeps "
                    "at least one admin."
                )
                if others
                else _(
                    "You are the only member of this collective, so you cannot leave it: a collective always "
                    "keeps at least one admin."
                )
            )
            _check_other_admin_remains(memberships, current, message)
        _check_leads_no_open_mission(
            current,
            _(
                "You lead missions still under way: %(missions)s. Hand them over to another member before leaving."
            ),
        )
        _archive(current, by=current.user, reason=Membership.ArchiveReason.LEFT)


# --- Emails that could not be delivered ------------------------------------------------------------


def failed_email_retry(*, email: OutboundEmail, by: Membership) -> OutboundEmail:
    """An admin of the email's collective sends a failed email again, with a fresh count of attempts."""
    membership_for(by.user, email.collective_id, admin=True)
    with transaction.atomic():
        if not outbox.failed_email_retry(email):
            raise ValidationError(_("This email is no longer waiting to be sent again."), code="not_failed")
    return email
