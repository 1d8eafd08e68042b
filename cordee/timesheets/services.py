"""Use cases that change time entries: each one a named function, in one transaction.

Rules kept here, whatever calls them (pages, the weekly grid, invoicing later):
- only the mission's team members log time on it, for themselves;
- hours are counted in quarter hours, more than zero, at most 24 in one entry and 24 in one day for a
  person (all their missions and collectives together);
- the deliverable and the task belong to the entry's mission;
- the entry's author changes or deletes it, and so do the mission's lead and the collective's admins;
- a locked entry (invoiced) never changes again.
"""

from dataclasses import dataclass, field
from datetime import date as date_type
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cordee.core.access import AccessDenied
from cordee.core.numbers import hours_text
from cordee.missions.models import Deliverable, Mission, MissionMember, Task
from cordee.timesheets.access import mission_for_time, time_entry_for
from cordee.timesheets.calculations import (
    MAX_HOURS_PER_DAY,
    MAX_HOURS_PER_ENTRY,
    hours_from_days,
    is_quarter_hours,
)
from cordee.timesheets.models import TimeEntry

Activity = TimeEntry.Activity


def _day(value: date_type) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def is_team_member(*, mission: Mission, user) -> bool:
    return MissionMember.objects.filter(mission=mission, user=user).exists()


def can_change_entry(*, entry: TimeEntry, user, mission: Mission | None = None) -> bool:
    """For pages: whether `user` may change the entry (the rule of `time_entry_for`, without raising)."""
    try:
        time_entry_for(user, entry.pk)
    except AccessDenied:
        return False
    return True


def hours_errors(hours: Decimal | None, *, days: Decimal | None = None, hours_per_day=None) -> list[str]:
    """What is wrong with a duration, in words (empty when it is fine)."""
    if hours is None:
        return [_("Enter the time spent.")]
    if hours <= 0:
        return [_("Enter a time greater than zero.")]
    if hours > MAX_HOURS_PER_ENTRY:
        return [_("One entry cannot exceed 24 hours.")]
    if not is_quarter_hours(hours):
        if days is not None:
            return [
                _(
                    "%(days)s day is %(hours)s h at %(per_day)s h a day, which is not a whole number of "
                    "quarter hours. Enter the time in hours instead (for example %(lower)s or %(upper)s)."
                )
                % {
                    "days": hours_text(days),
                    "hours": hours_text(hours),
                    "per_day": hours_text(hours_per_day),
                    "lower": hours_text(_quarter_below(hours)),
                    "upper": hours_text(_quarter_below(hours) + Decimal("0.25")),
                }
            ]
        lower = _quarter_below(hours)
        if not lower:
            return [_("Time is counted in quarter hours: enter for example 0.25 (a quarter of an hour).")]
        return [
            _("Time is counted in quarter hours: enter for example %(lower)s or %(upper)s.")
            % {"lower": hours_text(lower), "upper": hours_text(lower + Decimal("0.25"))}
        ]
    return []


def _quarter_below(hours: Decimal) -> Decimal:
    return (hours // Decimal("0.25")) * Decimal("0.25")


def _resolve_hours(*, hours, days, collective) -> tuple[Decimal | None, list[str]]:
    if (hours is None) == (days is None):
        return None, [_("Enter the time spent, in hours or in days.")]
    try:
        if days is not None:
            days = Decimal(days)
            converted = hours_from_days(days, collective.hours_per_day)
            return converted, hours_errors(converted, days=days, hours_per_day=collective.hours_per_day)
        hours = Decimal(hours)
    except (InvalidOperation, TypeError):
        return None, [_("Enter a number.")]
    return hours, hours_errors(hours)


def _day_total_error(*, user, day: date_type, hours: Decimal, excluding_pk: int | None = None) -> str:
    entries = TimeEntry.objects.filter(user=user, date=day)
    if excluding_pk:
        entries = entries.exclude(pk=excluding_pk)
    already = entries.aggregate(total=Sum("hours"))["total"] or Decimal("0")
    if already + hours > MAX_HOURS_PER_DAY:
        return _(
            "That would make %(total)s h on %(date)s, and a day has only 24 hours: %(already)s h are "
            "already logged that day."
        ) % {"total": hours_text(already + hours), "date": _day(day), "already": hours_text(already)}
    return ""


def _check_links(*, mission: Mission, deliverable, task) -> tuple[Deliverable | None, dict]:
    """The deliverable and task must be the mission's; a task gives its deliverable when none is chosen."""
    errors = {}
    if deliverable is not None and deliverable.mission_id != mission.pk:
        errors["deliverable"] = [_("Choose a deliverable of this mission.")]
    if task is not None and task.mission_id != mission.pk:
        errors["task"] = [_("Choose a task of this mission.")]
    if task is not None and not errors and task.deliverable_id:
        if deliverable is None:
            deliverable = task.deliverable
        elif deliverable.pk != task.deliverable_id:
            errors["task"] = [
                _("This task belongs to the deliverable “%(title)s”.") % {"title": task.deliverable.title}
            ]
    return deliverable, errors


def _locked_error(entry: TimeEntry, action: str) -> ValidationError:
    if action == "delete":
        message = _("This entry was locked on %(date)s (invoiced): it can no longer be deleted.")
    else:
        message = _("This entry was locked on %(date)s (invoiced): it can no longer be changed.")
    return ValidationError(message % {"date": _day(timezone.localdate(entry.locked_at))}, code="locked")


@transaction.atomic
def time_entry_log(
    *,
    mission: Mission,
    user,
    date: date_type,
    hours: Decimal | None = None,
    days: Decimal | None = None,
    activity: str = Activity.PRODUCTION,
    deliverable: Deliverable | None = None,
    task: Task | None = None,
    note: str = "",
) -> TimeEntry:
    """Log time spent by a team member on a mission, in hours or in days of the collective.

    Raises AccessDenied when the user is not on the mission's team, ValidationError (by field:
    hours, date, deliverable, task, activity) when the entry breaks a rule.
    """
    mission_for_time(user, mission.pk)
    if mission.status == Mission.Status.CLOSED:
        raise ValidationError(_("This mission is closed: time can no longer be logged on it."), code="closed")
    hours, errors = _validated(
        mission=mission, user=user, date=date, hours=hours, days=days, activity=activity, entry=None
    )
    deliverable, link_errors = _check_links(mission=mission, deliverable=deliverable, task=task)
    errors.update(link_errors)
    if errors:
        raise ValidationError(errors)
    return TimeEntry.objects.create(
        collective_id=mission.collective_id,
        mission=mission,
        user=user,
        date=date,
        hours=hours,
        activity=activity,
        deliverable=deliverable,
        task=task,
        note=note.strip(),
    )


def _validated(*, mission, user, date, hours, days, activity, entry) -> tuple[Decimal | None, dict]:
    errors: dict[str, list[str]] = {}
    hours, hour_errors = _resolve_hours(hours=hours, days=days, collective=mission.collective)
    if hour_errors:
        errors["hours"] = hour_errors
    if date is None:
        errors["date"] = [_("Enter the day the time was spent.")]
    if activity not in Activity.values:
        errors["activity"] = [_("Choose an activity.")]
    if not errors:
        total_error = _day_total_error(
            user=user, day=date, hours=hours, excluding_pk=entry.pk if entry is not None else None
        )
        if total_error:
            errors["hours"] = [total_error]
    return hours, errors


@transaction.atomic
def time_entry_update(
    *,
    entry: TimeEntry,
    by,
    date: date_type,
    hours: Decimal | None = None,
    days: Decimal | None = None,
    activity: str = Activity.PRODUCTION,
    deliverable: Deliverable | None = None,
    task: Task | None = None,
    note: str = "",
) -> TimeEntry:
    """Change an entry: its author, the mission's lead or an admin of the collective; never once locked."""
    time_entry_for(by, entry.pk, action="change")
    current = TimeEntry.objects.select_for_update().select_related("mission__collective").get(pk=entry.pk)
    mission = current.mission
    if current.is_locked:
        raise _locked_error(current, "change")
    hours, errors = _validated(
        mission=mission,
        user=current.user,
        date=date,
        hours=hours,
        days=days,
        activity=activity,
        entry=current,
    )
    deliverable, link_errors = _check_links(mission=mission, deliverable=deliverable, task=task)
    errors.update(link_errors)
    if errors:
        raise ValidationError(errors)
    values = {
        "date": date,
        "hours": hours,
        "activity": activity,
        "deliverable": deliverable,
        "task": task,
        "note": note.strip(),
        "updated_at": timezone.now(),
    }
    # Conditional on the lock: an entry invoiced in the meantime is left as it is.
    if not TimeEntry.objects.filter(pk=current.pk, locked_at__isnull=True).update(**values):
        current.refresh_from_db()
        raise _locked_error(current, "change")
    for name, value in values.items():
        setattr(entry, name, value)
    return entry


@transaction.atomic
def time_entry_delete(*, entry: TimeEntry, by) -> None:
    """Delete an entry: its author, the mission's lead or an admin of the collective; never once locked."""
    time_entry_for(by, entry.pk, action="delete")
    current = TimeEntry.objects.select_for_update().select_related("mission").get(pk=entry.pk)
    if current.is_locked:
        raise _locked_error(current, "delete")
    deleted, _by_model = TimeEntry.objects.filter(pk=current.pk, locked_at__isnull=True).delete()
    if not deleted:
        current.refresh_from_db()
        raise _locked_error(current, "delete")


@transaction.atomic
def time_entries_lock(*, collective, entry_ids, at=None) -> int:
    """Lock entries of the collective once invoiced; returns how many were locked by this call.

    Already locked entries keep their first lock date; entries of another collective are ignored.
    """
    return TimeEntry.objects.filter(
        collective=collective, pk__in=list(entry_ids), locked_at__isnull=True
    ).update(locked_at=at or timezone.now())


# The weekly timesheet -------------------------------------------------------------------------------


@dataclass
class WeekCell:
    """One mission on one day of a person's week, and whether the grid may change it."""

    mission_id: int
    day: date_type
    entries: list = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((entry.hours for entry in self.entries), Decimal("0"))

    @property
    def is_editable(self) -> bool:
        """Empty, or one unlocked production entry: the grid edits that one; anything else is read-only."""
        if not self.entries:
            return True
        if len(self.entries) > 1:
            return False
        only = self.entries[0]
        return not only.is_locked and only.activity == Activity.PRODUCTION


@dataclass
class WeekSaveResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


class TimesheetWeekInvalid(Exception):
    """The week was not saved; `cell_errors` by (mission id, day), `errors` for the whole week."""

    def __init__(self, cell_errors: dict, errors: list[str]):
        super().__init__("The weekly timesheet was not saved.")
        self.cell_errors = cell_errors
        self.errors = errors


def week_cells(*, user, days: list[date_type], mission_ids) -> dict[tuple[int, date_type], WeekCell]:
    """The user's entries of those days on those missions, grouped by cell."""
    cells = {(mission_id, day): WeekCell(mission_id, day) for mission_id in mission_ids for day in days}
    entries = TimeEntry.objects.filter(
        user=user, mission_id__in=list(mission_ids), date__gte=days[0], date__lte=days[-1]
    ).order_by("pk")
    for entry in entries:
        cells[(entry.mission_id, entry.date)].entries.append(entry)
    return cells


@transaction.atomic
def timesheet_week_save(*, user, days: list[date_type], values: dict[tuple[int, date_type], Decimal]):
    """Save the cells of the weekly grid that changed, all or nothing.

    `values` maps (mission id, day) to the hours typed (empty cells are left out: they change nothing).
    A cell with no entry gets a new production entry; a cell holding one unlocked production entry
    updates it (0 deletes it); cells holding several entries or a locked one cannot change here.
    """
    missions = {
        mission.pk: mission
        for mission in Mission.objects.select_related("collective").filter(
            pk__in={mission_id for mission_id, _day in values},
            team__user=user,
            collective__memberships__user=user,
            collective__memberships__archived_at__isnull=True,
        )
    }
    cells = week_cells(user=user, days=days, mission_ids=list(missions))
    cell_errors: dict[tuple[int, date_type], list[str]] = {}
    changes = []  # (cell, new hours)
    for key, hours in values.items():
        mission_id, day = key
        if mission_id not in missions or day not in days:
            raise AccessDenied(_("You can only log time on missions whose team you are part of."))
        cell = cells[key]
        if hours == cell.total:
            continue
        if not cell.is_editable:
            cell_errors[key] = [
                _("This day holds several entries or a locked one: change it on the mission's page.")
            ]
            continue
        if missions[mission_id].status == Mission.Status.CLOSED and not cell.entries:
            cell_errors[key] = [_("This mission is closed: time can no longer be logged on it.")]
            continue
        if hours == 0 and not cell.entries:
            continue
        if hours != 0:
            errors = hours_errors(hours)
            if errors:
                cell_errors[key] = errors
                continue
        changes.append((cell, hours))
    errors = _week_day_total_errors(user=user, days=days, cells=cells, changes=changes)
    if cell_errors or errors:
        raise TimesheetWeekInvalid(cell_errors, errors)
    result = WeekSaveResult()
    # Smaller amounts first, so that moving hours from one mission to another on a full day passes.
    for cell, hours in sorted(changes, key=lambda change: change[1] - change[0].total):
        try:
            _apply_week_change(
                cell=cell, hours=hours, mission=missions[cell.mission_id], user=user, result=result
            )
        except ValidationError as error:
            raise TimesheetWeekInvalid({(cell.mission_id, cell.day): error.messages}, []) from error
    return result


def _week_day_total_errors(*, user, days, cells, changes) -> list[str]:
    changed = {(cell.mission_id, cell.day): hours for cell, hours in changes}
    if not changed:
        return []
    # Every entry of those days, whichever the mission or collective, with the typed values instead.
    totals = {day: Decimal("0") for day in days}
    for entry in TimeEntry.objects.filter(user=user, date__gte=days[0], date__lte=days[-1]).only(
        "mission_id", "date", "hours"
    ):
        if (entry.mission_id, entry.date) not in changed:
            totals[entry.date] += entry.hours
    for (_mission_id, day), hours in changed.items():
        totals[day] += hours
    return [
        _("%(date)s would total %(total)s h, and a day has only 24 hours.")
        % {"date": _day(day), "total": hours_text(total)}
        for day, total in totals.items()
        if total > MAX_HOURS_PER_DAY
    ]


def _apply_week_change(*, cell: WeekCell, hours: Decimal, mission: Mission, user, result: WeekSaveResult):
    if not cell.entries:
        time_entry_log(mission=mission, user=user, date=cell.day, hours=hours, activity=Activity.PRODUCTION)
        result.created += 1
        return
    entry = cell.entries[0]
    if hours == 0:
        time_entry_delete(entry=entry, by=user)
        result.deleted += 1
        return
    time_entry_update(
        entry=entry,
        by=user,
        date=entry.date,
        hours=hours,
        activity=entry.activity,
        deliverable=entry.deliverable,
        task=entry.task,
        note=entry.note,
    )
    result.updated += 1
