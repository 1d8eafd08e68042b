"""Reads of the task board: columns, filters and the team, in a fixed number of queries."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber

from cordee.missions.models import Mission, MissionMember, Task
from cordee.missions.services.tasks import role_key

# Done work piles up: its column keeps the most recently finished; the others are meant to stay short.
DONE_COLUMN_SIZE = 30
OPEN_COLUMN_SIZE = 200

WHO_FILTERS = ("mine", "unassigned")


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

    @property
    def is_truncated(self) -> bool:
        return self.count > len(self.cards)


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


def board_columns(*, mission: Mission, user, filters: BoardFilters, today) -> list[BoardColumn]:
    """One column per status with its count, open hours and cards, in two queries whatever the volume."""
    tasks = board_tasks(mission=mission, user=user, filters=filters, today=today)
    totals = {
        row["status"]: row
        for row in tasks.order_by().values("status").annotate(total=Count("pk"), hours=Sum("estimate_hours"))
    }
    ranked = (
        tasks.select_related("assignee", "deliverable")
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
        .filter(
            Q(status=Task.Status.DONE, done_rank__lte=DONE_COLUMN_SIZE)
            | (~Q(status=Task.Status.DONE) & Q(rank__lte=OPEN_COLUMN_SIZE))
        )
    )
    columns = {
        status: BoardColumn(
            status=status,
            label=label,
            count=totals.get(status, {}).get("total", 0),
            hours=totals.get(status, {}).get("hours") or Decimal("0"),
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


def roles_without_holder(*, columns: list[BoardColumn], team: list[TeamMember]) -> list[str]:
    """Roles that open, unassigned cards need and that nobody on the team holds."""
    held = {role_key(member.role) for member in team}
    missing: dict[str, str] = {}
    for column in columns:
        for task in column.cards:
            key = role_key(task.required_role)
            if task.is_open and task.assignee_id is None and key and key not in held:
                missing.setdefault(key, task.required_role)
    return sorted(missing.values(), key=str.casefold)
