"""Reads of the client portal. Everything is filtered by the signed-in contact's collective and client,
and only what the client may see is loaded: never internal dates, estimates, time, health, notes."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cordee.clients.models import ClientContact
from cordee.communication.models import DeliveryCall, Recap, Ritual, RitualVideo
from cordee.communication.services.recaps import recaps_for_portal
from cordee.communication.services.rituals_calendar import ritual_call_is_live
from cordee.missions.models import ClientRequest, Deliverable, Mission
from cordee.portal.models import PortalAccess

# The missions a client sees: never drafts.
VISIBLE_STATUSES = (
    Mission.Status.ACTIVE,
    Mission.Status.PAUSED,
    Mission.Status.DELIVERED,
    Mission.Status.CLOSED,
)
OPEN_DELIVERABLE_STATUSES = (Deliverable.Status.PLANNED, Deliverable.Status.IN_PROGRESS)
# The fields of a deliverable the client sees (the internal date, health and its reason stay inside).
ROADMAP_FIELDS = ("id", "mission_id", "title", "announced_date", "status", "delivered_at", "position")


def portal_missions(contact: ClientContact) -> QuerySet[Mission]:
    """The contact's client's missions, active first, each with its next announced delivery."""
    next_deliverable = Deliverable.objects.filter(
        mission_id=OuterRef("pk"), status__in=OPEN_DELIVERABLE_STATUSES
    ).order_by("announced_date", "position", "pk")
    return (
        Mission.objects.filter(
            collective_id=contact.collective_id, client_id=contact.client_id, status__in=VISIBLE_STATUSES
        )
        .select_related("lead")
        .only("id", "title", "status", "start_date", "lead__full_name", "lead__email", "lead__photo")
        .annotate(
            status_rank=Case(
                When(status=Mission.Status.ACTIVE, then=Value(0)),
                When(status=Mission.Status.PAUSED, then=Value(1)),
                When(status=Mission.Status.DELIVERED, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            ),
            next_title=Subquery(next_deliverable.values("title")[:1]),
            next_date=Subquery(next_deliverable.values("announced_date")[:1]),
        )
        .order_by("status_rank", "-start_date", "-pk")
    )


def portal_mission(contact: ClientContact, mission_pk: int) -> Mission:
    """One of the contact's client's visible missions, or a 404."""
    return get_object_or_404(
        Mission.objects.select_related("lead", "collective"),
        collective_id=contact.collective_id,
        client_id=contact.client_id,
        status__in=VISIBLE_STATUSES,
        pk=mission_pk,
    )


def roadmap(mission: Mission) -> list[Deliverable]:
    """The deliverables in the order of their announced dates, with only what the client may see."""
    return list(
        Deliverable.objects.filter(collective_id=mission.collective_id, mission=mission)
        .only(*ROADMAP_FIELDS)
        .order_by("announced_date", "position", "pk")
    )


def sent_recaps(mission: Mission) -> QuerySet[Recap]:
    """The recaps sent to the client, newest first (the recaps area decides what the portal shows)."""
    return recaps_for_portal(mission)


def active_ritual(mission: Mission) -> Ritual | None:
    """The weekly call when it runs (set up, not stopped, the mission not over), else None."""
    if mission.ritual_kind != Mission.RitualKind.SYNC_CALL:
        return None
    ritual = Ritual.objects.filter(
        collective_id=mission.collective_id, mission=mission, is_active=True
    ).first()
    return ritual if ritual_call_is_live(ritual, mission) else None


def ritual_videos(mission: Mission) -> QuerySet[RitualVideo]:
    return RitualVideo.objects.filter(collective_id=mission.collective_id, mission=mission).order_by(
        "-week_start", "-pk"
    )


def _calls(contact: ClientContact) -> QuerySet[DeliveryCall]:
    return DeliveryCall.objects.filter(
        collective_id=contact.collective_id,
        mission__client_id=contact.client_id,
        mission__status__in=VISIBLE_STATUSES,
        cancelled_at__isnull=True,
    )


@dataclass(frozen=True)
class PortalCalls:
    upcoming: list[DeliveryCall]
    past: list[DeliveryCall]


def delivery_calls(mission: Mission, now: datetime | None = None) -> PortalCalls:
    """The mission's delivery calls that were not cancelled: the next ones first, then the past ones."""
    now = now or timezone.now()
    calls = list(
        DeliveryCall.objects.filter(
            collective_id=mission.collective_id, mission=mission, cancelled_at__isnull=True
        )
        .select_related("deliverable")
        .only(
            "id",
            "mission_id",
            "starts_at",
            "duration_minutes",
            "video_link",
            "deliverable__id",
            "deliverable__title",
            "deliverable__announced_date",
        )
        .order_by("starts_at", "pk")
    )
    upcoming = [call for call in calls if call.starts_at >= now]
    past = [call for call in calls if call.starts_at < now]
    past.reverse()
    return PortalCalls(upcoming=upcoming, past=past)


def portal_call(contact: ClientContact, call_pk: int) -> DeliveryCall:
    """A delivery call of one of the contact's client's visible missions, or a 404."""
    return get_object_or_404(
        _calls(contact).select_related("deliverable", "mission", "organizer", "collective"), pk=call_pk
    )


def mission_requests(mission: Mission) -> QuerySet[ClientRequest]:
    """What the client asked on this mission (from the portal or recorded by the lead), newest first."""
    return (
        ClientRequest.objects.filter(collective_id=mission.collective_id, mission=mission)
        .select_related("contact")
        .only(
            "id",
            "mission_id",
            "title",
            "body",
            "source",
            "status",
            "decline_reason",
            "created_at",
            "triaged_at",
            "contact__id",
            "contact__full_name",
        )
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class PortalAccessState:
    """Where a contact stands with the portal, for the client page of the collective."""

    state: str  # none, active or revoked
    last_sent_at: datetime | None = None
    last_signed_in_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def is_revoked(self) -> bool:
        return self.state == "revoked"

    @property
    def is_active(self) -> bool:
        return self.state == "active"


NO_ACCESS = PortalAccessState(state="none")


def portal_access_states(contacts) -> dict[int, PortalAccessState]:
    """The portal state of each contact, in one query whatever their number."""
    ids = [contact.pk for contact in contacts]
    if not ids:
        return {}
    rows = PortalAccess.objects.filter(contact_id__in=ids).order_by("contact_id", "-created_at", "-pk")
    latest: dict[int, dict] = {}
    signed_in: dict[int, datetime] = {}
    for row in rows.values("contact_id", "created_at", "used_at", "revoked_at"):
        contact_id = row["contact_id"]
        if contact_id not in latest:
            latest[contact_id] = row
        if row["used_at"] and (contact_id not in signed_in or row["used_at"] > signed_in[contact_id]):
            signed_in[contact_id] = row["used_at"]
    states = {}
    for contact_id, row in latest.items():
        states[contact_id] = PortalAccessState(
            state="revoked" if row["revoked_at"] else "active",
            last_sent_at=row["created_at"],
            last_signed_in_at=signed_in.get(contact_id),
            revoked_at=row["revoked_at"],
        )
    return states
