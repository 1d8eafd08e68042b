"""The kickoff email: sent to every contact of the client when a mission becomes active (seed, Conseil 2).

It introduces the lead as the client's single contact (replies go to them), the roadmap (each
deliverable with its announced date, never the internal one), the weekly ritual, the recap rhythm,
the client portal, and warns that short satisfaction surveys will come from the collective's
feedback address, and why (seed, Conseil 3: « prévenez votre client »).

`kickoff_send` is idempotent per contact (`mission:<pk>:kickoff:<contact pk>`): the activation hook
calls it, and the lead can call it again from the Communication page to reach contacts added since;
nobody ever receives it twice.
"""

from dataclasses import dataclass
from datetime import date, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils.dates import WEEKDAYS
from django.utils.functional import lazy
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from cordee.clients.models import ClientContact
from cordee.communication import signals
from cordee.communication.models import Ritual
from cordee.core.models import OutboundEmail
from cordee.core.outbox import email_enqueue
from cordee.missions.access import mission_for
from cordee.missions.models import Deliverable, Mission, MissionEvent
from cordee.missions.services.history import mission_event_record

TEMPLATE = "communication/emails/kickoff"


# --- Links to the client portal -------------------------------------------------------------------


def portal_login_url() -> str:
    """The portal's sign-in page, where a contact asks for a new magic link."""
    try:
        return settings.BASE_URL + reverse("portal:login")
    except NoReverseMatch:  # the portal's URLs are not mounted (yet): its root still answers
        return settings.BASE_URL + "/portal/"


def portal_url_for(contact: ClientContact) -> str:
    """A contact's way into the portal: their own magic link, which the portal area gives in answer to
    `contact_portal_url` (it sits above this module); otherwise the sign-in page, from which the contact
    gets a link by email."""
    for _receiver, url in signals.contact_portal_url.send(sender=ClientContact, contact=contact):
        if url:
            return url
    return portal_login_url()


# --- Rules ----------------------------------------------------------------------------------------


def kickoff_key(mission_id: int, contact_id: int) -> str:
    return f"mission:{mission_id}:kickoff:{contact_id}"


def weekday_names(weekdays) -> str:
    """[1, 4] → "Tuesday and Friday" (in the active language)."""
    return get_text_list([str(WEEKDAYS[day]) for day in sorted(weekdays)], _("and"))


lazy_weekday_names = lazy(weekday_names, str)


@dataclass(frozen=True)
class RitualTerms:
    """The weekly ritual as the client is told about it."""

    kind: str  # Mission.RitualKind
    weekday: int | None = None
    start_time: time | None = None
    duration_minutes: int | None = None
    video_link: str = ""

    @property
    def is_call(self) -> bool:
        return self.kind == Mission.RitualKind.SYNC_CALL

    @property
    def weekday_name(self) -> str:
        return str(WEEKDAYS[self.weekday]) if self.weekday is not None else ""


def ritual_terms(mission: Mission, ritual: Ritual | None) -> RitualTerms:
    if mission.ritual_kind == Mission.RitualKind.SYNC_CALL and ritual is not None and ritual.is_active:
        return RitualTerms(
            kind=mission.ritual_kind,
            weekday=ritual.weekday,
            start_time=ritual.start_time,
            duration_minutes=ritual.duration_minutes,
            video_link=ritual.video_link,
        )
    return RitualTerms(kind=mission.ritual_kind)


@dataclass(frozen=True)
class RoadmapLine:
    title: str
    announced_date: date
    is_done: bool


def kickoff_recipients(mission: Mission) -> list[ClientContact]:
    """Every contact of the client (sponsor, project and finance: everyone should know who to call)."""
    return list(
        ClientContact.objects.current()
        .filter(collective_id=mission.collective_id, client_id=mission.client_id)
        .order_by("full_name", "pk")
    )


def kickoff_roadmap(mission: Mission) -> list[RoadmapLine]:
    """The deliverables by announced date: only what the client is told (no internal date)."""
    rows = (
        Deliverable.objects.filter(collective_id=mission.collective_id, mission=mission)
        .order_by("announced_date", "position", "pk")
        .values_list("title", "announced_date", "status")
    )
    done = {Deliverable.Status.DELIVERED, Deliverable.Status.ACCEPTED}
    return [
        RoadmapLine(title=title, announced_date=day, is_done=status in done) for title, day, status in rows
    ]


def kickoff_context(
    *,
    mission: Mission,
    contact: ClientContact,
    roadmap: list[RoadmapLine],
    ritual: RitualTerms,
    portal_url: str,
) -> dict:
    """Everything the kickoff templates need, for one contact (pure: nothing is read or written)."""
    collective = mission.collective
    lead = mission.lead
    _feedback_name, feedback_address = collective.feedback_sender_identity()
    return {
        "collective": collective,
        "mission": mission,
        "contact": contact,
        "lead": lead,
        # The lead's phone when the profile has one (the accounts area may add it).
        "lead_phone": getattr(lead, "phone", "") or "",
        "roadmap": roadmap,
        "ritual": ritual,
        "recaps_per_week": mission.recaps_per_week,
        # Lazy: translated when the email is rendered, in the contact's language.
        "recap_days": lazy_weekday_names(mission.recap_weekdays or []),
        "portal_url": portal_url,
        "surveys": mission.feedback_enabled,
        "first_survey_days": mission.feedback_first_after_days,
        "survey_every_days": mission.feedback_every_days,
        "feedback_address": feedback_address,
    }


def kickoff_email_context(*, mission: Mission, contact: ClientContact, portal_url: str | None = None) -> dict:
    """The kickoff's context loaded from the database; `portal_url` defaults to the sign-in page (for previews)."""
    ritual = Ritual.objects.filter(collective_id=mission.collective_id, mission=mission).first()
    return kickoff_context(
        mission=mission,
        contact=contact,
        roadmap=kickoff_roadmap(mission),
        ritual=ritual_terms(mission, ritual),
        portal_url=portal_url if portal_url is not None else portal_login_url(),
    )


# --- Sending ---------------------------------------------------------------------------------------


def kickoff_pending_contacts(
    mission: Mission, contacts: list[ClientContact] | None = None
) -> list[ClientContact]:
    """The contacts who have not received the kickoff yet."""
    contacts = kickoff_recipients(mission) if contacts is None else contacts
    keys = {kickoff_key(mission.pk, contact.pk): contact for contact in contacts}
    sent = set(
        OutboundEmail.objects.filter(idempotency_key__in=list(keys)).values_list("idempotency_key", flat=True)
    )
    return [contact for key, contact in keys.items() if key not in sent]


@transaction.atomic
def kickoff_send(*, mission: Mission, by) -> list[OutboundEmail]:
    """Send the kickoff to every contact of the client who has not had it; record it in the history.

    Only an active mission has a kickoff. Each contact gets it in their language, from the
    collective's notification address, with the lead as Reply-To. Returns the emails created now
    (none when everyone already had it).
    """
    mission_for(by, mission.pk, manage=True)
    status = Mission.objects.filter(pk=mission.pk).values_list("status", flat=True).get()
    if status != Mission.Status.ACTIVE:
        raise ValidationError(_("The kickoff goes out once the mission is active."), code="not_active")
    mission = Mission.objects.select_related("collective", "lead", "client").get(pk=mission.pk)
    collective, lead = mission.collective, mission.lead
    pending = kickoff_pending_contacts(mission)
    if not pending:
        return []
    ritual = ritual_terms(
        mission, Ritual.objects.filter(collective_id=collective.pk, mission=mission).first()
    )
    roadmap = kickoff_roadmap(mission)
    emails = [
        email_enqueue(
            key=kickoff_key(mission.pk, contact.pk),
            to=contact.email,
            template=TEMPLATE,
            context=kickoff_context(
                mission=mission,
                contact=contact,
                roadmap=roadmap,
                ritual=ritual,
                portal_url=portal_url_for(contact),
            ),
            language=contact.language or settings.LANGUAGE_CODE,
            sender=collective.notification_sender(),
            reply_to=lead.email,
            collective=collective,
        )
        for contact in pending
    ]
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.KICKOFF_SENT,
        actor=by,
        summary=get_text_list([contact.full_name for contact in pending], _("and")),
        data={"contacts": [contact.pk for contact in pending], "emails": [email.pk for email in emails]},
    )
    return emails


@dataclass(frozen=True)
class KickoffStatus:
    sent_at: object  # datetime of the first kickoff, or None
    sent_count: int  # contacts who received it
    pending: list  # contacts who have not (yet)


def kickoff_status(mission: Mission, contacts: list[ClientContact]) -> KickoffStatus:
    """When the kickoff went out and to whom it has not: two queries."""
    first = (
        MissionEvent.objects.filter(
            collective_id=mission.collective_id, mission=mission, kind=MissionEvent.Kind.KICKOFF_SENT
        )
        .order_by("created_at", "pk")
        .values_list("created_at", flat=True)
        .first()
    )
    pending = kickoff_pending_contacts(mission, contacts)
    return KickoffStatus(sent_at=first, sent_count=len(contacts) - len(pending), pending=pending)
