"""Reads of the task board: columns, filters and the team, in a fixed number of queries."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber

from cordee.missions.models import Mission, MissionMember, Task
from cordee.missions.services.tasks import role_key

# Each column shows its first cards (done: the most recently finished); "show more" adds a page at a
# time, up to a ceiling that keeps the page bounded whatever the number of tasks.
COLUMN_PAGE = 15
COLUMN_MAX = 200

WHO_FILTERS = ("mine", "unassigned")

# What a card shows: the task's own columns and its assignee's name and photo (never the whole user).
CARD_FIELDS = (
    "id",
    "collective_id",
    "mission_id",
    "title",
    "status",
    "position",
    "required_role",
    "estimate_hours",
    "due_date",
    "completed_at",
    "request_id",
    "assignee_id",
    "assignee__id",
    "assignee__full_name",
    "assignee__email",
    "assignee__photo",
)


@dataclass(frozen=True)
class BoardFilters:
    """What the board shows, from the query string (so that a filtered board is a shareable link)."""

    who: str = ""  # "mine", "unassigned" or "" (everyone)
    role: str = ""
    late: bool = False

    @classmethod
    def from_params(cls, params) -> "BoardFilters":
        who = params.get("who", "")
        return cls(
            who=who if who in WHO_FILTERS else "",
            role=" ".join(params.get("role", "").split())[:80],
            late=params.get("late", "") == "1",
        )

    @property
    def is_active(self) -> bool:
        return bool(self.who or self.role or self.late)

    def as_params(self, **changes) -> dict:
        values = {"who": self.who, "role": self.role, "late": "1" if self.late else "", **changes}
        return {key: value for key, value in values.items() if value}


@dataclass
class BoardColumn:
    status: str
    label: str
    count: int = 0
    hours: Decimal = Decimal("0")
    cards: list = field(default_factory=list)

    limit: int = COLUMN_PAGE

    @property
    def is_truncated(self) -> bool:
        return self.count > len(self.cards)

    @property
    def can_show_more(self) -> bool:
        return self.is_truncated and self.limit < COLUMN_MAX

    @property
    def next_limit(self) -> int:
        return min(self.limit + COLUMN_PAGE, COLUMN_MAX)


@dataclass
class TeamMember:
    user: object
    role: str


def mission_team(*, mission: Mission) -> list[TeamMember]:
    """The mission's active team members with their roles, by name (one query)."""
    members = MissionMember.objects.filter(mission=mission, user__is_active=True).select_related("user")
    team = [TeamMember(user=member.user, role=member.role) for member in members]
    return sorted(team, key=lambda member: (member.user.display_name.casefold(), member.user.pk))


def team_roles(team: list[TeamMember]) -> list[str]:
    """The distinct roles on the team (compared without case), in alphabetical order."""
    roles: dict[str, str] = {}
    for member in team:
        key = role_key(member.role)
        if key and key not in roles:
            roles[key] = " ".join(member.role.split())
    return sorted(roles.values(), key=str.casefold)


def board_tasks(*, mission: Mission, user, filters: BoardFilters, today):
    """The mission's tasks that the filters keep (a queryset, not evaluated)."""
    tasks = Task.objects.filter(collective_id=mission.collective_id, mission=mission)
    if filters.who == "mine":
        tasks = tasks.filter(assignee=user)
    elif filters.who == "unassigned":
        tasks = tasks.filter(assignee__isnull=True)
    if filters.role:
        tasks = tasks.filter(required_role__iexact=filters.role)
    if filters.late:
        tasks = tasks.filter(due_date__lt=today).exclude(status=Task.Status.DONE)
    return tasks


def column_limits(params) -> dict[str, int]:
    """How many cards each column shows: `?todo=40` after "show more", a page by default, capped."""
    limits = {}
    for status in Task.Status.values:
        value = params.get(status, "")
        number = int(value) if value.isdigit() else COLUMN_PAGE
        limits[status] = min(max(number, COLUMN_PAGE), COLUMN_MAX)
    return limits


def board_columns(
    *, mission: Mission, user, filters: BoardFilters, today, limits: dict[str, int] | None = None
) -> list[BoardColumn]:
    """One column per status with its count, open hours and first cards, in two queries whatever the
    volume."""
    limits = limits or {}
    limit_of = {status: limits.get(status, COLUMN_PAGE) for status in Task.Status.values}
    tasks = board_tasks(mission=mission, user=user, filters=filters, today=today)
    totals = {
        row["status"]: row
        for row in tasks.order_by().values("status").annotate(total=Count("pk"), hours=Sum("estimate_hours"))
    }
    open_limits = Q()
    for status in Task.Status.values:
        if status != Task.Status.DONE:
            open_limits |= Q(status=status, rank__lte=limit_of[status])
    ranked = (
        tasks.select_related("assignee")
        .only(*CARD_FIELDS)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("status")], order_by=[F("position").asc(), F("pk").asc()]
            ),
            done_rank=Window(
                RowNumber(),
                partition_by=[F("status")],
                order_by=[F("completed_at").desc(nulls_last=True), F("pk").desc()],
            ),
        )
        .filter(Q(status=Task.Status.DONE, done_rank__lte=limit_of[Task.Status.DONE]) | open_limits)
    )
    columns = {
        status: BoardColumn(
            status=status,
            label=label,
            count=totals.get(status, {}).get("total", 0),
            hours=totals.get(status, {}).get("hours") or Decimal("0"),
            limit=limit_of[status],
        )
        for status, label in Task.Status.choices
    }
    for task in ranked:
        task.days_late = (today - task.due_date).days if task.due_date and task.is_open else 0
        columns[task.status].cards.append(task)
    for column in columns.values():
        key = "done_rank" if column.status == Task.Status.DONE else "rank"
        column.cards.sort(key=lambda card, key=key: getattr(card, key))
    return list(columns.values())


def roles_without_holder(*, mission: Mission, team: list[TeamMember]) -> list[str]:
    """Roles that open, unassigned tasks of the mission need and that nobody on the team holds (one query,
    whether their cards are shown or not)."""
    held = {role_key(member.role) for member in team}
    needed = (
        Task.objects.filter(collective_id=mission.collective_id, mission=mission, assignee__isnull=True)
        .exclude(status=Task.Status.DONE)
        .exclude(required_role="")
        .order_by()
        .values_list("required_role", flat=True)
        .distinct()
    )
    missing: dict[str, str] = {}
    for role in needed:
        key = role_key(role)
        if key not in held:
            missing.setdefault(key, role)
    return sorted(missing.values(), key=str.casefold)
