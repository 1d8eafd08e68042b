"""The pages that combine several areas: the personal dashboard and the collective's dashboard."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from cordee.collectives.permissions import collective_view
from cordee.collectives.queries import onboarding_checklist
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
