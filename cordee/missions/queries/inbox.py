"""Reads of the client requests inbox."""

from django.db.models import Case, Count, IntegerField, Prefetch, QuerySet, Value, When

from cordee.missions.models import ClientRequest, Mission, Task


def request_counts(*, mission: Mission) -> dict[str, int]:
    """How many requests the mission has in each status, and in all (one query)."""
    rows = (
        ClientRequest.objects.filter(collective_id=mission.collective_id, mission=mission)
        .order_by()
        .values("status")
        .annotate(total=Count("pk"))
    )
    counts = {status: 0 for status in ClientRequest.Status.values}
    counts.update({row["status"]: row["total"] for row in rows})
    counts["all"] = sum(counts[status] for status in ClientRequest.Status.values)
    return counts


def inbox_requests(*, mission: Mission, status: str = "") -> QuerySet:
    """The mission's requests, new ones first then the most recent, with their contact and tasks."""
    requests = ClientRequest.objects.filter(collective_id=mission.collective_id, mission=mission)
    if status in ClientRequest.Status.values:
        requests = requests.filter(status=status)
    tasks = Task.objects.select_related("assignee").order_by("position", "pk")
    return (
        requests.select_related("contact", "recorded_by", "triaged_by")
        .prefetch_related(Prefetch("tasks", queryset=tasks))
        .alias(
            waiting=Case(
                When(status=ClientRequest.Status.NEW, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("waiting", "-created_at", "-pk")
    )
