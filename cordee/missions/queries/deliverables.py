"""Reads of the deliverables pages: a fixed number of queries whatever the number of rows."""

from django.db.models import Count, Q, Sum

from cordee.collectives.time import collective_zone
from cordee.missions.models import DelayNotice, Deliverable, Task
from cordee.missions.services.deliverables import OnTimeRate, margin_business_days_of, on_time_rate
from cordee.missions.services.health import deliverables_health


def deliverable_list(*, mission, collective):
    """A mission's deliverables in planning order, with their owner and their number of delay notices."""
    return (
        Deliverable.objects.filter(collective=collective, mission=mission)
        .select_related("owner")
        .annotate(
            delay_notice_count=Count("delay_notices", distinct=True),
            late_notice_count=Count("delay_notices", filter=Q(delay_notices__is_late=True), distinct=True),
        )
        .order_by("internal_date", "position", "pk")
    )


def mission_on_time_rate(*, mission, collective) -> OnTimeRate:
    """The on-time rate of one mission, in one query."""
    rows = Deliverable.objects.filter(
        collective=collective, mission=mission, delivered_at__isnull=False
    ).only("pk", "announced_date", "delivered_at", "status")
    return on_time_rate(rows, time_zone=collective_zone(collective))


def deliverables_decorate(deliverables, *, collective, today) -> list:
    """Attach what the rows show: live health and reason, margin in business days, on time."""
    deliverables = list(deliverables)
    health = deliverables_health(deliverables, today, collective=collective)
    time_zone = collective_zone(collective)
    for deliverable in deliverables:
        deliverable.live_health, deliverable.live_health_reason = health[deliverable.pk]
        deliverable.live_health_label = Deliverable.Health(deliverable.live_health).label
        deliverable.margin_days = margin_business_days_of(deliverable)
        deliverable.on_time = deliverable.delivered_on_time(time_zone)
    return deliverables


def deliverable_tasks(*, deliverable):
    return (
        Task.objects.filter(collective_id=deliverable.collective_id, deliverable=deliverable)
        .select_related("assignee")
        .order_by("status", "position", "pk")
    )


def deliverable_delay_notices(*, deliverable):
    return DelayNotice.objects.filter(
        collective_id=deliverable.collective_id, deliverable=deliverable
    ).select_related("sent_by")


def deliverable_time_totals(*, deliverable) -> dict:
    """Estimated hours of its tasks and hours logged on it (on the deliverable or one of its tasks)."""
    estimated = Task.objects.filter(
        collective_id=deliverable.collective_id, deliverable=deliverable
    ).aggregate(total=Sum("estimate_hours"))["total"]
    # The time entry model reached through the reverse relation (missions never imports timesheets).
    logged = deliverable.time_entries.model.objects.filter(
        Q(deliverable=deliverable) | Q(task__deliverable=deliverable), collective_id=deliverable.collective_id
    ).aggregate(total=Sum("hours"))["total"]
    return {"estimated": estimated, "logged": logged}
