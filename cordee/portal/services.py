"""The client portal's use cases: magic links (create, send, consume, revoke), portal sessions, requests.

A magic link is a random token whose SHA-256 only is stored (`PortalAccess.token_hash`). It works once,
until it expires (`PORTAL_LINK_VALIDITY_DAYS`), unless it was revoked. Consuming it opens a portal
session tied to the same row, which revocation or sign-out ends.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cordee.clients.access import contact_for
from cordee.clients.models import ClientContact
from cordee.communication.services.previews import PreviewKind
from cordee.core.outbox import email_enqueue
from cordee.core.tokens import token_hash, token_new
from cordee.missions.models import ClientRequest, Mission
from cordee.missions.services.requests import client_request_from_portal
from cordee.portal.models import PortalAccess

# How many contacts one address may sign in as (the same person at several clients or collectives).
MAX_CONTACTS_PER_EMAIL = 5


class PortalLinkRefused(Exception):
    """A magic link that cannot sign anyone in; `reason` is unknown, used, expired or revoked."""

    def __init__(self, reason: str, access: PortalAccess | None = None):
        super().__init__(reason)
        self.reason = reason
        self.access = access


@dataclass(frozen=True)
class PortalLinkSent:
    access: PortalAccess
    url: str


def portal_login_url() -> str:
    return settings.BASE_URL + reverse("portal:login")


def portal_magic_url(raw_token: str) -> str:
    return settings.BASE_URL + reverse("portal:magic", args=[raw_token])


def link_validity() -> timedelta:
    return timedelta(days=settings.PORTAL_LINK_VALIDITY_DAYS)


def session_validity() -> timedelta:
    return timedelta(days=settings.PORTAL_SESSION_DAYS)


def portal_access_is_revoked(contact: ClientContact) -> bool:
    """True when the contact's latest link was revoked: they get no new link until a member sends one."""
    latest = (
        PortalAccess.objects.filter(contact=contact)
        .order_by("-created_at", "-pk")
        .values("revoked_at")
        .first()
    )
    return latest is not None and latest["revoked_at"] is not None


def _access_create(*, contact: ClientContact, by=None) -> tuple[PortalAccess, str]:
    raw, hashed = token_new()
    access = PortalAccess.objects.create(
        collective_id=contact.collective_id,
        contact=contact,
        token_hash=hashed,
        created_by=by if by is not None and by.is_authenticated else None,
        expires_at=timezone.now() + link_validity(),
    )
    return access, portal_magic_url(raw)


@transaction.atomic
def portal_link_create(*, contact: ClientContact, by=None) -> str:
    """Create a magic link for the contact and return its absolute URL (the raw token is not kept)."""
    _, url = _access_create(contact=contact, by=by)
    return url


def portal_link_for(contact: ClientContact) -> str:
    """The portal address to put in an email to the contact (the kickoff, for instance).

    A fresh magic link, except for a contact whose access was revoked: they get the sign-in page,
    which sends them nothing until a member gives the access back.
    """
    if contact.archived_at is not None or portal_access_is_revoked(contact):
        return portal_login_url()
    return portal_link_create(contact=contact)


def contact_current_mission(contact: ClientContact) -> Mission | None:
    """The contact's client's most recently activated mission still active: its lead answers them."""
    return (
        Mission.objects.filter(
            collective_id=contact.collective_id, client_id=contact.client_id, status=Mission.Status.ACTIVE
        )
        .select_related("lead")
        .order_by(F("activated_at").desc(nulls_last=True), "-start_date", "-pk")
        .first()
    )


MAGIC_LINK_TEMPLATE = "portal/emails/magic_link"


def magic_link_email_context(*, contact, collective, url: str, expires_at, sender=None, mission=None) -> dict:
    """What the sign-in email says: who sends it (a member, or nobody when the contact asked for it),
    until when the link works, and the lead who answers (the reply-to) when there is one."""
    return {
        "collective": collective,
        "contact": contact,
        "url": url,
        "expires_at": expires_at,
        "time_zone": collective.time_zone,
        "sender": sender,
        "lead": mission.lead if mission else None,
        "mission": mission,
        "login_url": portal_login_url(),
    }


@transaction.atomic
def portal_access_send(*, contact: ClientContact, by) -> PortalLinkSent:
    """A lead of the client's missions or an admin emails the contact a new magic link, in their language,
    replying to the lead of their latest mission. It also gives back an access that was revoked; an
    archived contact gets none."""
    contact = contact_for(by, contact.pk, manage=True)
    if contact.archived_at is not None:
        raise ValidationError(
            _("%(name)s is archived: they no longer receive emails nor portal access.")
            % {"name": contact.full_name},
            code="archived",
        )
    return _access_send(contact=contact, by=by)


def _access_send(*, contact: ClientContact, by) -> PortalLinkSent:
    access, url = _access_create(contact=contact, by=by)
    collective = contact.collective
    mission = contact_current_mission(contact)
    lead = mission.lead if mission else None
    email_enqueue(
        key=f"portal:access:{access.pk}",
        to=contact.email,
        template=MAGIC_LINK_TEMPLATE,
        context=magic_link_email_context(
            contact=contact,
            collective=collective,
            url=url,
            expires_at=access.expires_at,
            sender=by,
            mission=mission,
        ),
        language=contact.language or settings.LANGUAGE_CODE,
        sender=collective.notification_sender(),
        reply_to=lead.email if lead else "",
        collective=collective,
    )
    return PortalLinkSent(access=access, url=url)


def portal_access_request(*, email: str) -> int:
    """The sign-in page: send a new link to every contact with this address whose access is not revoked.

    Returns how many links were sent; the page never tells (no enumeration of addresses).
    """
    email = email.strip()
    if not email:
        return 0
    contacts = list(
        ClientContact.objects.current()
        .filter(email__iexact=email)
        .select_related("collective")
        .order_by("-created_at", "-pk")[:MAX_CONTACTS_PER_EMAIL]
    )
    sent = 0
    for contact in contacts:
        if portal_access_is_revoked(contact):
            continue
        with transaction.atomic():
            _access_send(contact=contact, by=None)
        sent += 1
    return sent


@transaction.atomic
def portal_access_revoke(*, contact: ClientContact, by) -> int:
    """A lead of the client's missions or an admin revokes every link of the contact, used or not: unused
    ones no longer work, open sessions end.

    The contact then gets no link from the sign-in page until a member sends the access again.
    Returns how many links or sessions were revoked.
    """
    contact_for(by, contact.pk, manage=True)
    return _access_revoke(contact=contact)


@transaction.atomic
def portal_access_revoke_by_operator(*, contact: ClientContact) -> int:
    """The platform operator's path (Django admin, staff only): the same revocation, without a member."""
    return _access_revoke(contact=contact)


def _access_revoke(*, contact: ClientContact) -> int:
    return PortalAccess.objects.filter(contact=contact, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def refusal_reason(access: PortalAccess, now=None) -> str | None:
    """Why this link cannot sign in (revoked, used, expired), or None when it can."""
    now = now or timezone.now()
    if access.revoked_at is not None:
        return "revoked"
    if access.used_at is not None:
        return "used"
    if access.expires_at <= now:
        return "expired"
    return None


def portal_link_find(raw_token: str) -> PortalAccess | None:
    return (
        PortalAccess.objects.select_related("contact", "collective")
        .filter(token_hash=token_hash(raw_token))
        .first()
    )


@transaction.atomic
def portal_link_consume(*, raw_token: str) -> PortalAccess:
    """Use a magic link once: a conditional UPDATE claims it, so two clicks never both sign in."""
    access = portal_link_find(raw_token)
    if access is None:
        raise PortalLinkRefused("unknown")
    now = timezone.now()
    claimed = PortalAccess.objects.filter(
        pk=access.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if claimed != 1:
        access.refresh_from_db(fields=["used_at", "revoked_at", "expires_at"])
        raise PortalLinkRefused(refusal_reason(access, now) or "used", access)
    access.used_at = now
    return access


def portal_session_end(*, access_id: int) -> None:
    """Sign out: the session opened by this link ends, on every device that shares it."""
    PortalAccess.objects.filter(pk=access_id, session_ended_at__isnull=True).update(
        session_ended_at=timezone.now()
    )


def portal_contact_language_set(*, contact: ClientContact, language: str) -> None:
    """The portal's language switch: portal pages and emails to the contact follow it."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose one of the offered languages."), code="language")
    if contact.language != language:
        ClientContact.objects.filter(pk=contact.pk).update(language=language)
        contact.language = language


@transaction.atomic
def portal_request_send(
    *, contact: ClientContact, mission: Mission, title: str, body: str = ""
) -> ClientRequest:
    """A request or feedback from the portal: into the mission's inbox, and the lead is told by email."""
    client_request = client_request_from_portal(mission=mission, contact=contact, title=title, body=body)
    lead = mission.lead
    collective = mission.collective
    email_enqueue(
        key=f"portal:request:{client_request.pk}:lead",
        to=lead.email,
        template="portal/emails/request_received",
        context={
            "collective": collective,
            "mission": mission,
            "contact": contact,
            "lead": lead,
            "client_request": client_request,
            "inbox_url": settings.BASE_URL
            + reverse(
                "missions:request_triage",
                kwargs={"slug": collective.slug, "mission_pk": mission.pk, "request_pk": client_request.pk},
            ),
        },
        language=lead.language or settings.LANGUAGE_CODE,
        sender=collective.notification_sender(),
        reply_to=contact.email,
        collective=collective,
    )
    return client_request


def email_previews() -> list:
    """The sign-in email in the email previews of a mission (nothing is created: the link is an example)."""

    def build(mission: Mission, contact: ClientContact, params: dict) -> tuple[str, dict]:
        return MAGIC_LINK_TEMPLATE, magic_link_email_context(
            contact=contact,
            collective=mission.collective,
            url=portal_magic_url("example-link"),
            expires_at=timezone.now() + link_validity(),
            sender=mission.lead,
            mission=mission,
        )

    return [
        PreviewKind(
            "portal_access",
            gettext_lazy("Portal sign-in link"),
            gettext_lazy(
                "When a member sends the portal access from the client's page, or the contact asks for a "
                "new link on the portal's sign-in page."
            ),
            build,
            template=MAGIC_LINK_TEMPLATE,
        )
    ]
