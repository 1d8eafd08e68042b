"""The mission's task board: columns by status, filters, moves in place (htmx) or by plain posts."""

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.collectives.templatetags.collectives_tags import initials
from cordee.collectives.time import collective_today
from cordee.missions.forms.tasks import TaskAssignForm, TaskForm, TaskMoveForm, TaskPlaceForm, TaskReorderForm
from cordee.missions.models import Mission, Task
from cordee.missions.permissions import mission_view
from cordee.missions.queries.board import (
    COLUMN_PAGE,
    BoardFilters,
    board_columns,
    column_limits,
    mission_team,
    roles_without_holder,
    team_roles,
)
from cordee.missions.services.tasks import (
    KEEP,
    task_actor_for,
    task_assign,
    task_create,
    task_delete,
    task_move,
    task_place,
    task_release,
    task_reorder,
    task_take,
    task_update,
)

FILTER_FIELDS = ("who", "role", "late")
# A task id no real task has: reversed once per page, then replaced by each card's id.
TASK_PLACEHOLDER = 2147483647


def board_url(request, filters: BoardFilters | None = None, **changes) -> str:
    url = reverse("missions:board", args=[request.collective.slug, request.mission.pk])
    params = filters.as_params(**changes) if filters else {}
    return f"{url}?{urlencode(params)}" if params else url


def _team_context(request):
    team = mission_team(mission=request.mission)
    actor = task_actor_for(
        mission=request.mission,
        membership=request.membership,
        team_user_ids=[member.user.pk for member in team],
    )
    return team, actor


def task_url_template(request, name: str) -> str:
    """The address of a task action with "{id}" for the task (one `reverse()` per page, not per card)."""
    url = reverse(f"missions:{name}", args=[request.collective.slug, request.mission.pk, TASK_PLACEHOLDER])
    return url.replace(str(TASK_PLACEHOLDER), "{id}")


def task_urls(request) -> dict[str, str]:
    """The addresses of every task action of the board, with "{id}" for the task."""
    names = ("edit", "actions", "move", "place", "reorder", "assign", "take", "release")
    return {name: task_url_template(request, f"task_{name}") for name in names}


def _hours(value) -> str:
    """3.5 → "3,5" in French; 4.00 → "4" (no trailing zeros)."""
    plain = value.quantize(1) if value == value.to_integral_value() else value.normalize()
    return number_format(plain, use_l10n=True)


def _card_labels(task, actor, today, urls: dict[str, str]) -> None:
    """What a compact card shows, prepared here so that the template stays a plain loop."""
    actions = []
    if actor.can_move(task):
        actions.append("move")
    if actor.can_assign():
        actions.append("assign")
    if actor.can_take(task):
        actions.append("take")
    if actor.can_release(task):
        actions.append("release")
    if actor.can_edit(task):
        actions.append("edit")
    task.actions = " ".join(actions)
    pk = str(task.pk)
    task.edit_url = urls["edit"].replace("{id}", pk) if actor.can_edit(task) else ""
    task.actions_url = urls["actions"].replace("{id}", pk) if actions else ""
    task.take_url = urls["take"].replace("{id}", pk) if "take" in actions else ""
    if task.assignee_id:
        task.assignee_name = task.assignee.display_name
        task.initials = initials(task.assignee)
    if task.due_date:
        task.due_iso = task.due_date.isoformat()
        task.due_label = date_format(task.due_date, "MONTH_DAY_FORMAT")
        if task.due_date.year != today.year:
            task.due_label = date_format(task.due_date, "DATE_FORMAT")
        if task.days_late > 0:
            task.late_label = ngettext("%(days)s day late", "%(days)s days late", task.days_late) % {
                "days": task.days_late
            }
        task.due_today = task.is_open and task.due_date == today
    if task.estimate_hours is not None:
        task.estimate_label = _("%(hours)s h") % {"hours": _hours(task.estimate_hours)}


def _board_context(request, filters: BoardFilters, limits: dict[str, int] | None = None) -> dict:
    mission = request.mission
    today = collective_today(request.collective)
    team, actor = _team_context(request)
    limits = limits or column_limits({})
    columns = board_columns(mission=mission, user=request.user, filters=filters, today=today, limits=limits)
    urls = task_urls(request)
    # Columns opened further by "show more" stay open through the next actions and "show more"s.
    expanded = {status: str(limit) for status, limit in limits.items() if limit != COLUMN_PAGE}
    for column in columns:
        for task in column.cards:
            _card_labels(task, actor, today, urls)
        if column.can_show_more:
            column.more_url = board_url(
                request, filters, **{**expanded, column.status: str(column.next_limit)}
            )
    roles = team_roles(team)
    who_links = [
        ("", _("Everyone"), board_url(request, filters, who="")),
        ("mine", _("Mine"), board_url(request, filters, who="mine")),
        ("unassigned", _("Unassigned"), board_url(request, filters, who="unassigned")),
    ]
    return {
        "mission": mission,
        "columns": columns,
        "filters": filters,
        "filter_fields": {**filters.as_params(), **expanded},
        "who_links": who_links,
        "late_toggle_url": board_url(request, filters, late="" if filters.late else "1"),
        "clear_filters_url": board_url(request),
        "roles": roles,
        "team": team,
        "actor": actor,
        "statuses": Task.Status.choices,
        "missing_roles": roles_without_holder(mission=mission, team=team)
        if mission.assignment_mode == Mission.AssignmentMode.BY_ROLE
        else [],
        "today": today,
        "task_total": sum(column.count for column in columns),
        "task_urls": urls,
        "inbox_url": reverse("missions:inbox", args=[request.collective.slug, mission.pk]),
    }


@mission_view
def board(request):
    filters = BoardFilters.from_params(request.GET)
    context = _board_context(request, filters, column_limits(request.GET))
    if request.htmx and not request.htmx.history_restore_request:
        # "Show more": the board alone, with one more page of cards in that column.
        return render(request, "missions/board/board.html#board", context)
    return render(request, "missions/board/board.html", {**context, "with_menu": True})


def _get_task(request, task_pk) -> Task:
    task = get_object_or_404(
        Task.objects.select_related("assignee"),
        collective=request.collective,
        mission=request.mission,
        pk=task_pk,
    )
    task.mission = request.mission
    return task


def _answer(request, *, filters: BoardFilters, level: int, text: str, status: int = 200):
    """htmx gets the board fragment with a status line; a plain post is redirected to the board."""
    if request.htmx:
        context = _board_context(request, filters, column_limits(request.POST))
        context.update(status_message=text, status_level=messages.DEFAULT_TAGS[level])
        response = render(request, "missions/board/board.html#board", context, status=status)
        if status >= 400:
            # app.js swaps this error answer in (htmx leaves 4xx alone), so the board is fresh again.
            response["X-Board-Refresh"] = "1"
        return response
    if status == 403:
        return forbidden(request, text, board_url(request, filters))
    messages.add_message(request, level, text)
    return redirect(board_url(request, filters))


def forbidden(request, text: str, back_url: str):
    """The 403 page of a refused action, which says why and that nothing changed."""
    return render(
        request, "missions/board/forbidden.html", {"message": text, "back_url": back_url}, status=403
    )


def _board_action(request, task_pk, action):
    """Look the task up (404 outside this mission), require a post, run the action, answer."""
    task = _get_task(request, task_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    filters = BoardFilters.from_params(request.POST)
    try:
        level, text = action(task)
    except PermissionDenied as denied:
        text = str(denied) or _("You are not allowed to do this.")
        return _answer(request, filters=filters, level=messages.ERROR, text=text, status=403)
    except ValidationError as error:
        text = " ".join(error.messages)
        return _answer(request, filters=filters, level=messages.ERROR, text=text, status=400)
    return _answer(request, filters=filters, level=level, text=text)


@mission_view
def task_move_view(request, task_pk):
    def action(task):
        form = TaskMoveForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Choose a valid status."))
        status = form.cleaned_data["status"]
        moved = task_move(task=task, status=status, by=request.user)
        label = Task.Status(status).label
        if not moved:
            return messages.INFO, _("“%(task)s” is already in %(status)s.") % {
                "task": task.title,
                "status": label,
            }
        return messages.SUCCESS, _("“%(task)s” moved to %(status)s.") % {"task": task.title, "status": label}

    return _board_action(request, task_pk, action)


@mission_view
def task_place_view(request, task_pk):
    """A drop: the task goes to a column, just above another card (or at the bottom)."""

    def action(task):
        form = TaskPlaceForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Choose a valid status."))
        status, before = form.cleaned_data["status"], form.cleaned_data["before"]
        was = task.status
        changed = task_place(task=task, status=status, before_id=before, by=request.user)
        values = {"task": task.title, "status": Task.Status(status).label}
        if not changed:
            return messages.INFO, _("“%(task)s” is already there.") % values
        if was == status:
            return messages.SUCCESS, _("“%(task)s” moved within %(status)s.") % values
        return messages.SUCCESS, _("“%(task)s” moved to %(status)s.") % values

    return _board_action(request, task_pk, action)


@mission_view
def task_actions_view(request, task_pk):
    """The actions of one card on a page of their own: the board's menu when JavaScript is off."""
    task = _get_task(request, task_pk)
    team, actor = _team_context(request)
    filters = BoardFilters.from_params(request.GET)
    today = collective_today(request.collective)
    task.days_late = (today - task.due_date).days if task.due_date and task.is_open else 0
    _card_labels(task, actor, today, task_urls(request))
    if not task.actions:
        return forbidden(request, _("You cannot change this task."), board_url(request, filters))
    context = {
        "mission": request.mission,
        "task": task,
        "actor": actor,
        "team": team,
        "statuses": [(value, label) for value, label in Task.Status.choices if value != task.status],
        "status_label": Task.Status(task.status).label,
        "filter_fields": filters.as_params(),
        "back_url": f"{board_url(request, filters)}#task-{task.pk}",
    }
    return render(request, "missions/board/task_actions.html", context)


@mission_view
def task_reorder_view(request, task_pk):
    def action(task):
        form = TaskReorderForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Choose up or down."))
        direction = form.cleaned_data["direction"]
        if not task_reorder(task=task, direction=direction, by=request.user):
            return messages.INFO, _("“%(task)s” is already at the end of its column.") % {"task": task.title}
        text = _("“%(task)s” moved up.") if direction == "up" else _("“%(task)s” moved down.")
        return messages.SUCCESS, text % {"task": task.title}

    return _board_action(request, task_pk, action)


@mission_view
def task_take_view(request, task_pk):
    def action(task):
        task_take(task=task, by=request.user)
        return messages.SUCCESS, _("“%(task)s” is yours.") % {"task": task.title}

    return _board_action(request, task_pk, action)


@mission_view
def task_release_view(request, task_pk):
    def action(task):
        task_release(task=task, by=request.user)
        return messages.SUCCESS, _("You released “%(task)s”: it is unassigned again.") % {"task": task.title}

    return _board_action(request, task_pk, action)


@mission_view
def task_assign_view(request, task_pk):
    def action(task):
        form = TaskAssignForm(request.POST, mission=request.mission)
        if not form.is_valid():
            raise ValidationError(_("Choose a member of the mission's team."))
        assignee = form.cleaned_data["assignee"]
        changed = task_assign(task=task, assignee=assignee, by=request.user)
        if assignee is None:
            text = _("“%(task)s” is unassigned.") if changed else _("“%(task)s” was already unassigned.")
            return (messages.SUCCESS if changed else messages.INFO), text % {"task": task.title}
        values = {"task": task.title, "name": assignee.display_name}
        if not changed:
            return messages.INFO, _("“%(task)s” was already assigned to %(name)s.") % values
        return messages.SUCCESS, _("“%(task)s” assigned to %(name)s.") % values

    return _board_action(request, task_pk, action)


def _role_notice(request, task: Task) -> None:
    """By-role mode: say who got the task (a role nobody holds is flagged on the board itself)."""
    if request.mission.assignment_mode != Mission.AssignmentMode.BY_ROLE or not task.required_role:
        return
    task.refresh_from_db(fields=["assignee"])
    if task.assignee is not None:
        messages.info(
            request,
            _("Given to %(name)s, who holds the role “%(role)s”.")
            % {"name": task.assignee.display_name, "role": task.required_role},
        )


def _task_form(request, data=None, instance=None):
    team, actor = _team_context(request)
    form = TaskForm(
        data,
        instance=instance,
        mission=request.mission,
        roles=team_roles(team),
        can_assign=actor.can_assign(),
    )
    return form, actor


def _task_values(form) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "description": data.get("description", ""),
        "deliverable": data.get("deliverable"),
        "required_role": data.get("required_role") or "",
        "estimate_hours": data.get("estimate_hours"),
        "due_date": data.get("due_date"),
    }


@mission_view
def task_create_view(request):
    form, actor = _task_form(request, request.POST or None)
    if not actor.can_create():
        return forbidden(
            request,
            _("Only the lead of the mission can add tasks in this mission's mode."),
            board_url(request),
        )
    if request.method == "POST" and form.is_valid():
        values = _task_values(form)
        assignee = KEEP
        if "assignee" in form.fields:
            chosen = form.cleaned_data.get("assignee")
            by_role = request.mission.assignment_mode == Mission.AssignmentMode.BY_ROLE
            assignee = KEEP if chosen is None and by_role else chosen
        try:
            task = task_create(mission=request.mission, by=request.user, assignee=assignee, **values)
        except PermissionDenied as denied:
            return forbidden(request, str(denied), board_url(request))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Task “%(task)s” added to the board.") % {"task": task.title})
            if assignee is KEEP:
                _role_notice(request, task)
            if request.POST.get("next") == "another":
                return redirect(
                    "missions:task_create", slug=request.collective.slug, mission_pk=request.mission.pk
                )
            return redirect(f"{board_url(request)}#task-{task.pk}")
    return render(request, "missions/board/task_form.html", {"form": form, "task": None, "actor": actor})


@mission_view
def task_edit_view(request, task_pk):
    task = _get_task(request, task_pk)
    # The form fills its instance in while validating: it gets a copy, the page shows the saved task.
    form, actor = _task_form(request, request.POST or None, instance=copy.copy(task))
    if not actor.can_edit(task):
        return forbidden(request, _("You cannot change this task."), board_url(request))
    if request.method == "POST" and form.is_valid():
        values = _task_values(form)
        assignee = form.cleaned_data.get("assignee") if "assignee" in form.changed_data else KEEP
        previous_role = task.required_role
        try:
            task_update(task=task, by=request.user, assignee=assignee, **values)
        except PermissionDenied as denied:
            return forbidden(request, str(denied), board_url(request))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Task “%(task)s” saved.") % {"task": task.title})
            if assignee is KEEP and values["required_role"] != previous_role:
                _role_notice(request, task)
            return redirect(f"{board_url(request)}#task-{task.pk}")
    assignments = task.assignments.select_related("from_user", "to_user", "changed_by").order_by(
        "-changed_at", "-pk"
    )
    context = {"form": form, "task": task, "actor": actor, "assignments": assignments}
    return render(request, "missions/board/task_form.html", context)


@mission_view
def task_delete_view(request, task_pk):
    task = _get_task(request, task_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        task_delete(task=task, by=request.user)
    except PermissionDenied as denied:
        return forbidden(request, str(denied), board_url(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(
            "missions:task_edit", slug=request.collective.slug, mission_pk=request.mission.pk, task_pk=task_pk
        )
    messages.success(request, _("Task “%(task)s” deleted.") % {"task": task.title})
    return redirect(board_url(request))
