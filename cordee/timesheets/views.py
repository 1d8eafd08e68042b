from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.collectives.time import collective_today
from cordee.core.numbers import hours_text
from cordee.missions.permissions import mission_view
from cordee.timesheets.calculations import week_from_param, week_param, week_start
from cordee.timesheets.forms import TimeEntryForm, WeekForm
from cordee.timesheets.models import TimeEntry
from cordee.timesheets.queries import mission_entries, mission_time_totals, user_week
from cordee.timesheets.services import (
    TimesheetWeekInvalid,
    can_change_entry,
    is_team_member,
    time_entry_delete,
    time_entry_log,
    time_entry_update,
    timesheet_week_save,
)

PAGE_SIZE = 25


def _mission_time_url(request, **params) -> str:
    url = reverse("timesheets:mission", args=[request.collective.slug, request.mission.pk])
    params = {key: value for key, value in params.items() if value}
    return f"{url}?{urlencode(params)}" if params else url


@mission_view
def mission_time(request):
    """A mission's time: log an entry (team members), the entries and the totals against the estimates."""
    mission = request.mission
    collective = request.collective
    on_team = is_team_member(mission=mission, user=request.user)
    form = None
    if request.method == "POST":
        if not on_team:
            raise PermissionDenied(_("Only the mission's team members can log time on it."))
        form = TimeEntryForm(request.POST, mission=mission, hours_per_day=collective.hours_per_day)
        if form.is_valid():
            try:
                entry = time_entry_log(mission=mission, user=request.user, **form.service_arguments())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("%(hours)s h logged on %(date)s.")
                    % {
                        "hours": hours_text(entry.hours),
                        "date": formats.date_format(entry.date, "DATE_FORMAT"),
                    },
                )
                # The next entry starts on the same day: logging a day's work is several quick entries.
                return redirect(_mission_time_url(request, date=entry.date.isoformat()))
    elif on_team:
        day = parse_date(request.GET.get("date") or "") if _is_iso_date(request.GET.get("date")) else None
        form = TimeEntryForm(
            mission=mission,
            hours_per_day=collective.hours_per_day,
            initial={"date": day or collective_today(collective), "unit": "hours", "activity": "production"},
        )

    member_id = _int_or_none(request.GET.get("member"))
    entries = mission_entries(mission=mission, user_id=member_id)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = mission_time_totals(mission=mission, hours_per_day=collective.hours_per_day)
    context = {
        "mission": mission,
        "form": form,
        "on_team": on_team,
        "page_obj": page,
        "totals": totals,
        "member_id": member_id,
        "filter_query": urlencode({"member": member_id}) if member_id else "",
        "hours_per_day": collective.hours_per_day,
        "week_url": reverse("timesheets:week"),
    }
    return render(request, "timesheets/mission_time.html", context)


def _is_iso_date(value) -> bool:
    try:
        return bool(value) and parse_date(value) is not None
    except ValueError:
        return False


def _int_or_none(value):
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _entry(request, entry_pk):
    return get_object_or_404(
        TimeEntry.objects.select_related("user", "deliverable", "task"),
        collective=request.collective,
        mission=request.mission,
        pk=entry_pk,
    )


@mission_view
def entry_edit(request, entry_pk):
    entry = _entry(request, entry_pk)
    if not can_change_entry(entry=entry, user=request.user, mission=request.mission):
        raise PermissionDenied(_("Only its author, the mission's lead or an admin can change this entry."))
    hours_per_day = request.collective.hours_per_day
    if request.method == "POST":
        form = TimeEntryForm(request.POST, mission=request.mission, hours_per_day=hours_per_day)
        if form.is_valid():
            try:
                time_entry_update(entry=entry, by=request.user, **form.service_arguments())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The time entry was updated."))
                return redirect(_mission_time_url(request))
    elif entry.is_locked:
        form = None
    else:
        form = TimeEntryForm(
            mission=request.mission,
            hours_per_day=hours_per_day,
            initial=TimeEntryForm.initial_from_entry(entry),
        )
    context = {"mission": request.mission, "entry": entry, "form": form}
    return render(request, "timesheets/entry_edit.html", context)


@mission_view
def entry_delete(request, entry_pk):
    # Looked up first: another collective's entry is a 404 whatever the method.
    entry = _entry(request, entry_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not can_change_entry(entry=entry, user=request.user, mission=request.mission):
        raise PermissionDenied(_("Only its author, the mission's lead or an admin can delete this entry."))
    try:
        time_entry_delete(entry=entry, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The entry of %(hours)s h on %(date)s was deleted.")
            % {"hours": hours_text(entry.hours), "date": formats.date_format(entry.date, "DATE_FORMAT")},
        )
    return redirect(_mission_time_url(request))


@login_required
def week(request):
    """The signed-in person's week, every mission of their teams in one grid, saved in one post."""
    today = timezone.localdate()
    monday = week_from_param(request.POST.get("week") or request.GET.get("week"), today)
    week = user_week(user=request.user, monday=monday)
    cells = week.editable_cells
    if request.method == "POST":
        form = WeekForm(request.POST, cells=cells)
        if form.is_valid():
            try:
                result = timesheet_week_save(user=request.user, days=week.days, values=form.typed_values())
            except TimesheetWeekInvalid as invalid:
                form.add_cell_errors(invalid.cell_errors)
                for message in invalid.errors:
                    form.add_error(None, message)
            else:
                if result.changed:
                    messages.success(
                        request,
                        ngettext(
                            "Timesheet saved: %(count)s day changed.",
                            "Timesheet saved: %(count)s days changed.",
                            result.changed,
                        )
                        % {"count": result.changed},
                    )
                else:
                    messages.info(request, _("Nothing changed in the timesheet."))
                query = {
                    "week": week_param(monday),
                    "day": shown_day_param(request.POST.get("day"), monday, today),
                }
                return redirect(f"{reverse('timesheets:week')}?{urlencode(query)}")
    else:
        form = WeekForm(cells=cells)
    editable = {(cell.mission_id, cell.day) for cell in cells}
    rows = [
        {
            "row": row,
            "cells": [
                {
                    "cell": cell,
                    "field": form[WeekForm.field_name(cell.mission_id, cell.day)]
                    if (cell.mission_id, cell.day) in editable
                    else None,
                    "is_locked": any(entry.is_locked for entry in cell.entries),
                }
                for cell in row.cells
            ],
        }
        for row in week.rows
    ]
    context = {
        "week": week,
        "rows": rows,
        "form": form,
        "today": today,
        "week_value": week_param(monday),
        "previous_week": week_param(week.days[0] - timedelta(days=7)),
        "next_week": week_param(week.days[0] + timedelta(days=7)),
        "this_week": week_param(week_start(today)),
        "is_this_week": monday == week_start(today),
        "iso_week": monday.isocalendar()[1],
        "shown_day": shown_day_param(request.POST.get("day") or request.GET.get("day"), monday, today),
    }
    return render(request, "timesheets/week.html", context)


def shown_day_param(value, monday, today) -> int:
    """The day a phone shows (0 = Monday): the one asked for, else today in the current week, else Monday."""
    if value in {str(day) for day in range(7)}:
        return int(value)
    if week_start(today) == monday:
        return today.weekday()
    return 0
