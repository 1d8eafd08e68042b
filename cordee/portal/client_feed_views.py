"""The client's calendar address, managed by the mission's lead from the weekly call page (communication).

The page belongs to communication, which sits below the portal: the portal owns this part of it — the
address shown there (`{% client_calendar_feed %}` in `templatetags/portal.py`) and the two actions below,
which the project URLconf adds to the `communication` namespace.
"""

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from cordee.missions.permissions import mission_view
from cordee.portal.feeds import (
    NEW_FEED_SESSION_KEY,
    mission_feed_of,
    mission_feed_regenerate,
    mission_feed_revoke,
)


def _ritual_page_url(request) -> str:
    return reverse("communication:ritual_call", args=[request.collective.slug, request.mission.pk])


@mission_view(manage=True)
def client_feed_create(request):
    """Create the client's calendar address, or give it a new one (the previous one stops working)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    mission = request.mission
    mission.collective = request.collective
    existed = mission_feed_of(mission) is not None
    mission_feed_regenerate(mission=mission, by=request.user)
    request.session[NEW_FEED_SESSION_KEY] = True
    if existed:
        messages.success(
            request,
            _(
                "The client's calendar has a new address: the previous one no longer works. Send them the new one."
            ),
        )
    else:
        messages.success(
            request, _("The client's calendar address is ready: send it to them, it is also in their portal.")
        )
    return redirect(_ritual_page_url(request) + "#client-feed")


@mission_view(manage=True)
def client_feed_revoke(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    request.mission.collective = request.collective
    if mission_feed_revoke(mission=request.mission, by=request.user):
        messages.success(
            request,
            _("The client's calendar address was revoked: calendars subscribed to it no longer update."),
        )
    else:
        messages.info(request, _("The client had no calendar address."))
    return redirect(_ritual_page_url(request) + "#client-feed")


mission = "collectives/<slug:slug>/missions/<int:mission_pk>/"

# Added to the `communication` namespace by cordee/urls.py, beside the weekly call page.
communication_pages = [
    path(mission + "communication/client-calendar/", client_feed_create, name="client_feed_create"),
    path(mission + "communication/client-calendar/revoke/", client_feed_revoke, name="client_feed_revoke"),
]
