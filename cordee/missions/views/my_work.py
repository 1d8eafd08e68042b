"""The member's private calendar feed, managed from My work (the page itself is the workspace's: it adds
the week's time from timesheets)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cordee.core.ics import calendar_feed_response
from cordee.missions.services.calendar_feed import (
    calendar_feed_create,
    calendar_feed_ics,
    calendar_feed_owner,
    calendar_feed_revoke,
)

# The new feed's token waits here until My work (cordee.workspace) shows it, once (only its hash is stored).
NEW_FEED_SESSION_KEY = "calendar_feed_new_token"


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
