"""Reads the mission pages and the collective dashboard need, each in a fixed number of queries.

Time logged is read through the reverse relation `mission.time_entries`: timesheets builds on missions,
missions never imports timesheets."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from cordee.accounts.queries import person_fields
from cordee.clients.models import Client, ClientContact
from cordee.clients.queries import contact_role_order
from cordee.collectives.models import Membership
from cordee.collectives.time import collective_zone
from cordee.missions.models import ClientRequest, Deliverable, Mission, MissionEvent, MissionMember, Task

# Missions that are running come first in lists: active, paused, then drafts, then finished ones.
STATUS_ORDER = (
    Mission.Status.ACTIVE,
    Mission.Status.PAUSED,
    Mission.Status.DRAFT,
    Mission.Status.DELIVERED,
    Mission.Status.CLOSED,
)
RUNNING_STATUSES = (Mission.Status.ACTIVE, Mission.Status.PAUSED)
# From the best to the worst.
HEALTH_ORDER = (Deliverable.Health.ON_TRACK, Deliverable.Health.AT_RISK, Deliverable.Health.LATE)
DONE_DELIVERABLE_STATUSES = (Deliverable.Status.DELIVERED, Deliverable.Status.ACCEPTED)
LATEST_EVENTS = 5
ZERO_HOURS = Decimal("0")


def status_order() -> Case:
    """An annotation ranking missions as STATUS_ORDER does (0 for active)."""
    return Case(
        *[When(status=status, then=Value(rank)) for rank, status in enumerate(STATUS_ORDER)],
        default=Value(len(STATUS_ORDER)),
        output_field=IntegerField(),
    )


def _sum_subquery(queryset: QuerySet, column: str, outer: str = "pk", link: str = "mission") -> Coalesce:
    summed = (
        queryset.filter(**{link: OuterRef(outer)})
        .order_by()
        .values(link)
        .annotate(total=Sum(column))
        .values("total")
    )
    output = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(Subquery(summed, output_field=output), Value(ZERO_HOURS), output_field=output)


def _count_subquery(queryset: QuerySet, outer: str = "pk", link: str = "mission") -> Coalesce:
    counted = (
        queryset.filter(**{link: OuterRef(outer)})
        .order_by()
        .values(link)
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# --- Deadlines: next announced date, health, on-time rate ------------------------------------------


@dataclass
class DeadlineSummary:
    """What a mission's deliverables say about its deadlines."""

    next_deliverable: Deliverable | None = None
    worst_health: str | None = None
    open_count: int = 0
    delivered_count: int = 0
    on_time_count: int = 0

    @property
    def next_announced_date(self) -> date | None:
        return self.next_deliverable.announced_date if self.next_deliverable else None

    @property
    def worst_health_label(self) -> str:
        return Deliverable.Health(self.worst_health).label if self.worst_health else ""

    @property
    def on_time_rate(self) -> int | None:
        """Delivered on or before the announced date, in percent of the delivered ones (None before any)."""
        if not self.delivered_count:
            return None
        return round(100 * self.on_time_count / self.delivered_count)


def deadline_summary(deliverables, time_zone) -> DeadlineSummary:
    """Summarise deliverables already loaded (no query)."""
    summary = DeadlineSummary()
    worst_rank = -1
    for deliverable in deliverables:
        if deliverable.delivered_at is not None:
            summary.delivered_count += 1
            summary.on_time_count += bool(deliverable.delivered_on_time(time_zone))
        if deliverable.status in DONE_DELIVERABLE_STATUSES:
            continue
        summary.open_count += 1
        if summary.next_deliverable is None or (deliverable.announced_date, deliverable.pk) < (
            summary.next_deliverable.announced_date,
            summary.next_deliverable.pk,
        ):
            summary.next_deliverable = deliverable
        rank = HEALTH_ORDER.index(deliverable.health) if deliverable.health in HEALTH_ORDER else 0
        if rank > worst_rank:
            worst_rank, summary.worst_health = rank, deliverable.health
    return summary


def _deadline_deliverables() -> QuerySet[Deliverable]:
    return Deliverable.objects.only(
        "pk",
        "mission_id",
        "title",
        "status",
        "announced_date",
        "delivered_at",
        "health",
        "health_reason",
        "health_reason_data",
    ).order_by("announced_date", "pk")


def attach_deadlines(missions: list[Mission], collective) -> list[Mission]:
    """Set `mission.deadlines` (a DeadlineSummary) on each mission, in one query for all of them."""
    if not missions:
        return missions
    by_mission: dict[int, list[Deliverable]] = {mission.pk: [] for mission in missions}
    for deliverable in _deadline_deliverables().filter(collective=collective, mission__in=list(by_mission)):
        by_mission[deliverable.mission_id].append(deliverable)
    time_zone = collective_zone(collective)
    for mission in missions:
        mission.deadlines = deadline_summary(by_mission[mission.pk], time_zone)
    return missions


# --- Mission list ----------------------------------------------------------------------------------


def mission_list(*, collective, status: str = "", lead_id: int | None = None, client_id: int | None = None):
    """The collective's missions, running ones first, with client, lead and open task count."""
    missions = Mission.objects.filter(collective=collective)
    if status in Mission.Status.values:
        missions = missions.filter(status=status)
    if lead_id:
        missions = missions.filter(lead_id=lead_id)
    if client_id:
        missions = missions.filter(client_id=client_id)
    return (
        missions.select_related("client", "lead")
        .annotate(
            status_rank=status_order(),
            open_task_count=_count_subquery(Task.objects.exclude(status=Task.Status.DONE)),
        )
        .order_by("status_rank", "-start_date", "-pk")
    )


# --- Mission overview ------------------------------------------------------------------------------


@dataclass
class MissionOverview:
    team: list[MissionMember]
    contacts: list[ClientContact]
    deliverables: list[Deliverable]
    deadlines: DeadlineSummary
    task_count: int
    open_task_count: int
    estimated_hours: Decimal
    logged_hours: Decimal
    new_request_count: int
    latest_events: list[MissionEvent] = field(default_factory=list)

    @property
    def logged_percent(self) -> int | None:
        if not self.estimated_hours:
            return None
        return round(100 * self.logged_hours / self.estimated_hours)


def mission_team(mission: Mission) -> QuerySet[MissionMember]:
    """The team, lead first, with each member's open tasks and hours logged on the mission."""
    return (
        MissionMember.objects.filter(collective_id=mission.collective_id, mission=mission)
        .select_related("user")
        .annotate(
            open_task_count=_count_subquery(
                Task.objects.filter(mission=mission).exclude(status=Task.Status.DONE),
                outer="user",
                link="assignee",
            ),
            logged_hours=_sum_subquery(mission.time_entries.all(), "hours", outer="user", link="user"),
            is_lead=Case(
                When(user_id=mission.lead_id, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
            # A member who left the collective stays on the team with what they did, marked as gone.
            in_collective=Exists(
                Membership.objects.filter(collective_id=mission.collective_id, user_id=OuterRef("user_id"))
            ),
        )
        .order_by("is_lead", "user__full_name", "pk")
    )


def mission_overview(mission: Mission) -> MissionOverview:
    """Everything the mission page shows, in six queries whatever the number of tasks, entries and events."""
    collective = mission.collective
    team = list(mission_team(mission))
    contacts = list(
        ClientContact.objects.filter(collective_id=mission.collective_id, client_id=mission.client_id)
        .annotate(role_rank=contact_role_order())
        .order_by("role_rank", "full_name", "pk")
    )
    deliverables = list(
        Deliverable.objects.filter(collective_id=mission.collective_id, mission=mission)
        .select_related("owner")
        .order_by("announced_date", "position", "pk")
    )
    counts = (
        Mission.objects.filter(pk=mission.pk)
        .annotate(
            task_count=_count_subquery(Task.objects.all()),
            open_task_count=_count_subquery(Task.objects.exclude(status=Task.Status.DONE)),
            estimated_hours=_sum_subquery(Task.objects.all(), "estimate_hours"),
            logged_hours=_sum_subquery(mission.time_entries.all(), "hours"),
            new_request_count=_count_subquery(ClientRequest.objects.filter(status=ClientRequest.Status.NEW)),
        )
        .values("task_count", "open_task_count", "estimated_hours", "logged_hours", "new_request_count")
        .get()
    )
    return MissionOverview(
        team=team,
        contacts=contacts,
        deliverables=deliverables,
        deadlines=deadline_summary(deliverables, collective_zone(collective)),
        latest_events=list(mission_events(mission)[:LATEST_EVENTS]),
        **counts,
    )


def mission_events(mission: Mission, kind: str = "") -> QuerySet[MissionEvent]:
    """The mission's timeline, the most recent first."""
    events = MissionEvent.objects.filter(collective_id=mission.collective_id, mission=mission)
    if kind in MissionEvent.Kind.values:
        events = events.filter(kind=kind)
    return events.select_related("actor").order_by("-created_at", "-pk")


# --- Collective dashboard --------------------------------------------------------------------------


def active_missions(collective, limit: int = 20) -> list[Mission]:
    """The collective's active missions with lead, client and deadlines, in two queries.

    Ordered by the next announced date (the most pressing first; missions without one last).
    """
    missions = list(
        Mission.objects.filter(collective=collective, status=Mission.Status.ACTIVE)
        .select_related("client", "lead")
        .only("title", "client__name", *person_fields("lead"))
        .order_by("-start_date", "-pk")[:limit]
    )
    attach_deadlines(missions, collective)
    missions.sort(
        key=lambda mission: (mission.deadlines.next_announced_date or date.max, mission.title.lower())
    )
    return missions


# --- A client's missions (shown on the client's pages) ----------------------------------------------

OPEN_STATUSES = (Mission.Status.DRAFT, Mission.Status.ACTIVE, Mission.Status.PAUSED)


def client_missions(client: Client) -> QuerySet[Mission]:
    """The client's missions, open ones first, with their lead."""
    return (
        Mission.objects.filter(collective_id=client.collective_id, client=client)
        .select_related("lead")
        .annotate(status_rank=status_order())
        .order_by("status_rank", "-start_date", "-pk")
    )


def clients_mission_counts(clients) -> list[Client]:
    """The clients, each with `mission_count` and `open_mission_count` (open: draft, active or paused),
    in one query whatever the number of clients."""
    clients = list(clients)
    counts = {
        row["client_id"]: row
        for row in Mission.objects.filter(client__in=clients)
        .order_by()
        .values("client_id")
        .annotate(total=Count("pk"), open=Count("pk", filter=Q(status__in=OPEN_STATUSES)))
    }
    for client in clients:
        row = counts.get(client.pk, {})
        client.mission_count = row.get("total", 0)
        client.open_mission_count = row.get("open", 0)
    return clients
