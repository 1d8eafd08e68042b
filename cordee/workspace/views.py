"""The pages that combine several areas: the personal dashboard, the collective's dashboard and My work."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import ngettext

from cordee.collectives.permissions import collective_view
from cordee.collectives.queries import onboarding_checklist
from cordee.missions.models import Task
from cordee.missions.queries.my_work import my_work as my_work_overview
from cordee.missions.services.calendar_feed import calendar_feed_url
from cordee.missions.views.my_work import NEW_FEED_SESSION_KEY
from cordee.timesheets.queries import user_week_summary
from cordee.workspace import queries


@login_required
def home(request):
    memberships = queries.memberships_for_home(request.user)
    focus = queries.onboarding_focus(memberships)
    if memberships:
        onboarding = focus.onboarding if focus else None
    else:
        onboarding = onboarding_checklist(
            None, member_count=0, pending_invitation_count=0, page_complete=False
        )
    return render(
        request,
        "collectives/home.html",
        {"memberships": memberships, "onboarding": onboarding, "onboarding_membership": focus},
    )


# An id no real row has: each address below is reversed once per page, then each line's id replaces it.
ID_PLACEHOLDER = 2147483647


def _address_template(name: str, slug: str) -> str:
    return reverse(name, args=[slug, ID_PLACEHOLDER]).replace(str(ID_PLACEHOLDER), "{id}")


def _add_line_addresses(overview, slug: str) -> None:
    """The address of each line of the dashboard's lists, prepared here: one `reverse()` per list, not
    one per line."""
    mission_url = _address_template("missions:detail", slug)
    for mission in overview.active_missions:
        mission.detail_url = mission_url.replace("{id}", str(mission.pk))
    feedback_url = _address_template("feedback:mission", slug)
    for item in overview.feedback.attention:
        item.mission.feedback_url = feedback_url.replace("{id}", str(item.mission.pk))
    billing_url = _address_template("billing:mission", slug)
    for item in overview.billing_attention:
        item.mission.billing_url = billing_url.replace("{id}", str(item.mission.pk))
    opportunity_url = _address_template("opportunities:detail", slug)
    for opportunity in [*overview.waiting_opportunities, *overview.upcoming_opportunities]:
        opportunity.detail_url = opportunity_url.replace("{id}", str(opportunity.pk))


# A slug no real collective has: the board's address is reversed once per page, then each task's
# collective and mission replace the placeholders.
SLUG_PLACEHOLDER = "slug-placeholder-0f9e"


def _prepare_task_items(overview) -> None:
    """What each task line of My work shows, prepared here so that the template stays a plain loop (up to
    75 lines: no `reverse()`, date format or counted translation per line)."""
    board = reverse("missions:board", args=[SLUG_PLACEHOLDER, ID_PLACEHOLDER])
    status_labels = dict(Task.Status.choices)
    board_urls = {}

    def prepare(task, urgent=None):
        mission = task.mission
        if mission.pk not in board_urls:
            board_urls[mission.pk] = board.replace(SLUG_PLACEHOLDER, mission.collective.slug).replace(
                str(ID_PLACEHOLDER), str(mission.pk)
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


@collective_view
def dashboard(request):
    overview = queries.collective_overview(request.collective)
    _add_line_addresses(overview, request.collective.slug)
    return render(request, "collectives/dashboard.html", {"overview": overview})


@login_required
def my_work(request):
    """The member's tasks, deliverables and calendar feed (missions) with this week's time (timesheets)."""
    today = timezone.localdate()
    overview = my_work_overview(user=request.user, today=today, page_number=request.GET.get("page"))
    _prepare_task_items(overview)
    week = user_week_summary(user=request.user, today=today)
    new_token = request.session.pop(NEW_FEED_SESSION_KEY, None)
    new_feed_url = calendar_feed_url(new_token) if new_token and overview.feed else ""
    context = {
        "work": overview,
        "week": week,
        "new_feed_url": new_feed_url,
        "new_feed_webcal_url": new_feed_url.replace("https://", "webcal://").replace("http://", "webcal://"),
        "week_url": f"{reverse('timesheets:week')}?week={week.week_param}",
    }
    return render(request, "missions/my_work/my_work.html", context)
