"""Reads of a member's own space across all their collectives: My work and their calendar feed.

The week's time on My work is timesheets' (`user_week_summary`): the page, in the workspace, adds it.

Only the member's items, only in collectives they still belong to, only on missions that are not closed.
A fixed number of queries, whatever the number of collectives, missions and tasks.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q

from cordee.collectives.models import Membership
from cordee.missions.models import CalendarFeedToken, Deliverable, Mission, Task

SOON_DAYS = 7
URGENT_LIMIT = 50  # late or due within SOON_DAYS: listed whole up to this many
PAGE_SIZE = 25
# The columns a task line of My work shows (and its links use): up to 75 lines, with their mission,
# collective and deliverable joined.
TASK_LINE_FIELDS = (
    "title",
    "status",
    "due_date",
    "mission__title",
    "mission__collective__slug",
    "mission__collective__name",
    "deliverable__title",
)


def _my_collective_ids(user):
    return Membership.objects.filter(user=user).values("collective_id")


def my_open_tasks(*, user):
    """Tasks assigned to the member, not done, on their missions that are not closed."""
    return (
        Task.objects.filter(assignee=user, collective_id__in=_my_collective_ids(user))
        .exclude(status=Task.Status.DONE)
        .exclude(mission__status=Mission.Status.CLOSED)
        .select_related("mission", "mission__collective", "deliverable")
    )


def my_open_deliverables(*, user):
    """Deliverables the member owns, not yet delivered, on their missions that are not closed."""
    return (
        Deliverable.objects.filter(
            owner=user,
            collective_id__in=_my_collective_ids(user),
            status__in=[Deliverable.Status.PLANNED, Deliverable.Status.IN_PROGRESS],
        )
        .exclude(mission__status=Mission.Status.CLOSED)
        .select_related("mission", "mission__collective")
        .order_by("internal_date", "position", "pk")
    )


@dataclass
class UrgentTask:
    task: Task
    days_left: int  # negative when late

    @property
    def is_late(self) -> bool:
        return self.days_left < 0

    @property
    def days_late(self) -> int:
        return -self.days_left


@dataclass
class MyWork:
    today: date
    urgent: list[UrgentTask]
    late_count: int
    due_soon_count: int
    other_tasks: Page
    deliverables: list[Deliverable]
    feed: CalendarFeedToken | None

    @property
    def urgent_total(self) -> int:
        return self.late_count + self.due_soon_count

    @property
    def urgent_more(self) -> bool:
        """More late or soon-due tasks than the list shows."""
        return self.urgent_total > len(self.urgent)


def my_work(*, user, today: date, page_number=None) -> MyWork:
    """What My work shows of missions: late and soon-due tasks, other open tasks (paginated), deliverables
    owned, and whether a calendar feed exists. "Today" is the member's (the site's time zone),
    the same for all their collectives."""
    soon = today + timedelta(days=SOON_DAYS)
    tasks = my_open_tasks(user=user).only(*TASK_LINE_FIELDS)
    urgent_tasks = tasks.filter(due_date__lte=soon)
    counts = urgent_tasks.aggregate(
        late=Count("pk", filter=Q(due_date__lt=today)), due_soon=Count("pk", filter=Q(due_date__gte=today))
    )
    urgent = [
        UrgentTask(task=task, days_left=(task.due_date - today).days)
        for task in urgent_tasks.order_by("due_date", "mission__title", "position", "pk")[:URGENT_LIMIT]
    ]
    others = tasks.filter(Q(due_date__isnull=True) | Q(due_date__gt=soon)).order_by(
        F("due_date").asc(nulls_last=True), "mission__title", "position", "pk"
    )
    return MyWork(
        today=today,
        urgent=urgent,
        late_count=counts["late"],
        due_soon_count=counts["due_soon"],
        other_tasks=Paginator(others, PAGE_SIZE).get_page(page_number),
        deliverables=list(my_open_deliverables(user=user)),
        feed=CalendarFeedToken.objects.filter(user=user).first(),
    )
