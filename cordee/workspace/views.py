"""The pages that combine several areas: the personal dashboard, the collective's dashboard and My work."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from cordee.collectives.permissions import collective_view
from cordee.collectives.queries import onboarding_checklist
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


@collective_view
def dashboard(request):
    overview = queries.collective_overview(request.collective)
    return render(request, "collectives/dashboard.html", {"overview": overview})


@login_required
def my_work(request):
    """The member's tasks, deliverables and calendar feed (missions) with this week's time (timesheets)."""
    today = timezone.localdate()
    overview = my_work_overview(user=request.user, today=today, page_number=request.GET.get("page"))
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
