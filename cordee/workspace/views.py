"""The pages that combine several areas: the personal dashboard and the collective's dashboard."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

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


@collective_view
def dashboard(request):
    overview = queries.collective_overview(request.collective)
    _add_line_addresses(overview, request.collective.slug)
    return render(request, "collectives/dashboard.html", {"overview": overview})
