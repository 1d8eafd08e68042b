"""Access to a mission's billing pages: the mission inside the collective, then billing's reading rule."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from cordee.billing.access import may_read_mission_billing
from cordee.missions.permissions import mission_view


def mission_billing_view(view=None, *, manage=False):
    """`mission_view` (404 outside the collective; with `manage=True` the lead and admins only), then a 403
    for a member who does not read the mission's billing (see `cordee.billing.access`)."""

    def decorator(view_function):
        @wraps(view_function)
        def wrapper(request, *args, **kwargs):
            if not (
                request.can_manage_mission or may_read_mission_billing(request.membership, request.mission)
            ):
                raise PermissionDenied
            return view_function(request, *args, **kwargs)

        return mission_view(wrapper, manage=manage)

    return decorator(view) if view else decorator
