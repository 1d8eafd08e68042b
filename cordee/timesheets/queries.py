"""Reads of the time pages: a mission's entries and totals, a person's week. A fixed number of queries."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from cordee.collectives.models import Membership
from cordee.missions.models import Deliverable, Mission, MissionMember, Task
from cordee.timesheets.calculations import days_from_hours, week_days, week_param, week_start
from cordee.timesheets.models import TimeEntry
from cordee.timesheets.services import WeekCell, week_cells

ZERO = Decimal("0")


@dataclass
class TotalRow:
    """Logged hours against estimated hours (the sum of the task estimates), also shown in days."""

    label: str
    logged: Decimal = ZERO
    estimated: Decimal = ZERO
    hours_per_day: Decimal = Decimal("7")
    key: object = None

    @property
    def logged_days(self) -> Decimal:
        return days_from_hours(self.logged, self.hours_per_day)

    @property
    def estimated_days(self) -> Decimal:
        return days_from_hours(self.estimated, self.hours_per_day)

    @property
    def remaining(self) -> Decimal:
        return self.estimated - self.logged

    @property
    def over(self) -> Decimal:
        """Hours logged beyond the estimate (0 when within it or without an estimate)."""
        return max(self.logged - self.estimated, ZERO) if self.estimated else ZERO

    @property
    def percent(self) -> int | None:
        """Share of the estimate already logged, for a progress bar (None without an estimate)."""
        if not self.estimated:
            return None
        return int(self.logged * 100 / self.estimated)


@dataclass
class ActivityRow:
    activity: str
    label: str
    logged: Decimal
    hours_per_day: Decimal
    share: int

    @property
    def logged_days(self) -> Decimal:
        return days_from_hours(self.logged, self.hours_per_day)


@dataclass
class MissionTotals:
    mission: TotalRow
    members: list[TotalRow]
    deliverables: list[TotalRow]
    activities: list[ActivityRow]


def mission_time_totals(*, mission: Mission, hours_per_day: Decimal | None = None) -> MissionTotals:
    """Per member, per deliverable, by activity and for the mission: four queries whatever the size.

    Days are counted at `hours_per_day` (the collective's working day, read from the mission otherwise).
    """
    per_day = hours_per_day or mission.collective.hours_per_day
    logged = list(
        TimeEntry.objects.filter(collective_id=mission.collective_id, mission=mission)
        .values("user_id", "user__full_name", "user__email", "deliverable_id", "activity")
        .annotate(hours=Sum("hours"))
        .order_by()
    )
    estimated = list(
        Task.objects.filter(
            collective_id=mission.collective_id, mission=mission, estimate_hours__isnull=False
        )
        .values("assignee_id", "deliverable_id")
        .annotate(hours=Sum("estimate_hours"))
        .order_by()
    )
    team = list(
        MissionMember.objects.filter(collective_id=mission.collective_id, mission=mission)
        .select_related("user")
        .order_by("pk")
    )
    deliverables = list(
        Deliverable.objects.filter(collective_id=mission.collective_id, mission=mission).only(
            "pk", "title", "internal_date", "position"
        )
    )

    members: dict[object, TotalRow] = {
        member.user_id: TotalRow(member.user.display_name, hours_per_day=per_day, key=member.user_id)
        for member in team
    }
    by_deliverable: dict[object, TotalRow] = {
        deliverable.pk: TotalRow(deliverable.title, hours_per_day=per_day, key=deliverable.pk)
        for deliverable in deliverables
    }
    activities = {value: ZERO for value in TimeEntry.Activity.values}
    total = TotalRow("", hours_per_day=per_day)
    for row in logged:
        if row["user_id"] not in members:  # left the team, their time still counts
            name = row["user__full_name"] or row["user__email"].split("@")[0]
            members[row["user_id"]] = TotalRow(name, hours_per_day=per_day, key=row["user_id"])
        members[row["user_id"]].logged += row["hours"]
        _deliverable_row(by_deliverable, row["deliverable_id"], per_day).logged += row["hours"]
        activities[row["activity"]] += row["hours"]
        total.logged += row["hours"]
    for row in estimated:
        if row["assignee_id"] in members:
            members[row["assignee_id"]].estimated += row["hours"]
        _deliverable_row(by_deliverable, row["deliverable_id"], per_day).estimated += row["hours"]
        total.estimated += row["hours"]
    activity_rows = [
        ActivityRow(
            activity=value,
            label=label,
            logged=activities[value],
            hours_per_day=per_day,
            share=int((activities[value] * 100 / total.logged).to_integral_value()) if total.logged else 0,
        )
        for value, label in TimeEntry.Activity.choices
        if activities[value]
    ]
    return MissionTotals(
        mission=total,
        members=list(members.values()),
        # The time and tasks outside any deliverable come last.
        deliverables=sorted(by_deliverable.values(), key=lambda row: row.key is None),
        activities=activity_rows,
    )


def _deliverable_row(rows: dict, deliverable_id, per_day) -> TotalRow:
    if deliverable_id not in rows:
        rows[deliverable_id] = TotalRow(_("No deliverable"), hours_per_day=per_day, key=None)
    return rows[deliverable_id]


def mission_entries(*, mission: Mission, user_id: int | None = None):
    """The mission's entries, newest first, with what the list shows."""
    entries = TimeEntry.objects.filter(collective_id=mission.collective_id, mission=mission).select_related(
        "user", "deliverable", "task"
    )
    if user_id:
        entries = entries.filter(user_id=user_id)
    return entries.order_by("-date", "-pk")


# The weekly timesheet -------------------------------------------------------------------------------


@dataclass
class WeekRow:
    mission: Mission
    cells: list[WeekCell]
    is_on_team: bool = True
    total: Decimal = ZERO

    @property
    def is_open(self) -> bool:
        """Time can be added on this row (the person is on the team of a mission not closed)."""
        return self.is_on_team and self.mission.status != Mission.Status.CLOSED


@dataclass
class Week:
    monday: date
    days: list[date]
    rows: list[WeekRow] = field(default_factory=list)
    day_totals: list[Decimal] = field(default_factory=list)
    total: Decimal = ZERO

    @property
    def editable_cells(self) -> list[WeekCell]:
        return [cell for row in self.rows if row.is_open for cell in row.cells if cell.is_editable]


def user_week(*, user, monday: date) -> Week:
    """A person's grid for one week: the missions of their teams in their collectives (closed ones only
    when they hold time that week), plus any mission where they logged time that week. Three queries."""
    days = week_days(monday)
    my_collectives = Membership.objects.filter(user=user).values("collective_id")
    logged_that_week = TimeEntry.objects.filter(user=user, date__gte=days[0], date__lte=days[-1]).values(
        "mission_id"
    )
    missions = list(
        Mission.objects.filter(collective_id__in=my_collectives)
        .filter(Q(team__user=user) & ~Q(status=Mission.Status.CLOSED) | Q(pk__in=logged_that_week))
        .select_related("collective", "client")
        .distinct()
        .order_by("collective__name", "title", "pk")
    )
    team_mission_ids = set(
        MissionMember.objects.filter(user=user, mission__in=[mission.pk for mission in missions]).values_list(
            "mission_id", flat=True
        )
    )
    cells = week_cells(user=user, days=days, mission_ids=[mission.pk for mission in missions])
    week = Week(monday=monday, days=days)
    day_totals = {day: ZERO for day in days}
    for mission in missions:
        row = WeekRow(
            mission=mission,
            cells=[cells[(mission.pk, day)] for day in days],
            is_on_team=mission.pk in team_mission_ids,
        )
        for cell in row.cells:
            row.total += cell.total
            day_totals[cell.day] += cell.total
        week.rows.append(row)
        week.total += row.total
    week.day_totals = [day_totals[day] for day in days]
    return week


def user_week_by_mission(*, user, monday: date) -> list[dict]:
    """This week's hours of a person by mission (in their collectives), for My work: one query."""
    days = week_days(monday)
    return list(
        TimeEntry.objects.filter(
            user=user,
            date__gte=days[0],
            date__lte=days[-1],
            collective_id__in=Membership.objects.filter(user=user).values("collective_id"),
        )
        .values("mission_id", "mission__title", "collective__slug", "collective__name")
        .annotate(hours=Sum("hours"))
        .order_by("collective__name", "mission__title")
    )


@dataclass
class WeekSummary:
    """A person's time this week, for My work: hours by mission and in all, and the `?week=` value."""

    week_param: str
    by_mission: list[dict]
    total: Decimal


def user_week_summary(*, user, today: date) -> WeekSummary:
    """The week holding `today`, summed by mission (one query)."""
    monday = week_start(today)
    rows = user_week_by_mission(user=user, monday=monday)
    return WeekSummary(
        week_param=week_param(monday),
        by_mission=rows,
        total=sum((row["hours"] for row in rows), Decimal("0")),
    )
