"""The member's own space across their collectives: My work, and their private calendar feed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from cordee.core.ics import calendar_feed_response
from cordee.missions.models import Task
from cordee.missions.queries.my_work import my_work as my_work_overview
from cordee.missions.services.calendar_feed import (
    calendar_feed_create,
    calendar_feed_ics,
    calendar_feed_owner,
    calendar_feed_revoke,
    calendar_feed_url,
)

# The new feed's token waits here until My work shows it, once (only its hash is stored).
NEW_FEED_SESSION_KEY = "calendar_feed_new_token"
# A slug and a mission id no real ones have: the board's address is reversed once per page, then each
# task's collective and mission replace them.
SLUG_PLACEHOLDER = "slug-placeholder-0f9e"
MISSION_PLACEHOLDER = 2147483647


def _prepare_task_items(overview) -> None:
    """What each task line shows, prepared here so that the template stays a plain loop (up to 75 lines:
    no `reverse()`, date format or counted translation per line)."""
    board = reverse("missions:board", args=[SLUG_PLACEHOLDER, MISSION_PLACEHOLDER])
    status_labels = dict(Task.Status.choices)
    board_urls = {}

    def prepare(task, urgent=None):
        mission = task.mission
        if mission.pk not in board_urls:
            board_urls[mission.pk] = board.replace(SLUG_PLACEHOLDER, mission.collective.slug).replace(
                str(MISSION_PLACEHOLDER), str(mission.pk)
            )
        task.board_url = board_urls[mission.pk]
        task.status_label = status_labels.get(task.status, task.status)
        if task.due_date:
            task.due_iso = task.due_date.isoformat()
            task.due_label = date_format(task.due_date, "DATE_FORMAT")
        task.urgency = urgent
        if urgent is not None and urgent.is_late:
            task.urgency_label = ngettext(
                "Late by %(counter)s day", "Late by %(counter)s days", urgent.days_late
            ) % {"counter": urgent.days_late}
        elif urgent is not None and urgent.days_left > 0:
            task.urgency_label = ngettext("In %(counter)s day", "In %(counter)s days", urgent.days_left) % {
                "counter": urgent.days_left
            }
        return task

    overview.urgent_tasks = [prepare(item.task, item) for item in overview.urgent]
    for task in overview.other_tasks.object_list:
        prepare(task)


@login_required
def my_work(request):
    overview = my_work_overview(
        user=request.user, today=timezone.localdate(), page_number=request.GET.get("page")
    )
    _prepare_task_items(overview)
    new_token = request.session.pop(NEW_FEED_SESSION_KEY, None)
    new_feed_url = calendar_feed_url(new_token) if new_token and overview.feed else ""
    context = {
        "work": overview,
        "new_feed_url": new_feed_url,
        "new_feed_webcal_url": new_feed_url.replace("https://", "webcal://").replace("http://", "webcal://"),
        "week_url": f"{reverse('timesheets:week')}?week={overview.week_param}",
    }
    return render(request, "missions/my_work/my_work.html", context)


@login_required
def calendar_feed_subscribe(request):
    """Create the feed, or give it a new address (the previous one stops working)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    raw_token, replaced = calendar_feed_create(user=request.user)
    request.session[NEW_FEED_SESSION_KEY] = raw_token
    if replaced:
        messages.success(request, _("Your calendar has a new address: the previous one no longer works."))
    else:
        messages.success(request, _("Your calendar address is ready: add it to your calendar now."))
    return redirect(reverse("missions:my_work") + "#calendar")


@login_required
def calendar_feed_stop(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if calendar_feed_revoke(user=request.user):
        messages.success(
            request, _("Your calendar address was revoked: calendars subscribed to it no longer update.")
        )
    else:
        messages.info(request, _("You had no calendar address."))
    return redirect(reverse("missions:my_work") + "#calendar")


@require_safe
def member_feed(request, token):
    """The iCal feed behind the private address: no session, the token is the key (a 404 once revoked)."""
    user = calendar_feed_owner(raw_token=token)
    if user is None:
        raise Http404
    return calendar_feed_response(calendar_feed_ics(user=user), filename="cordee-deadlines.ics")
