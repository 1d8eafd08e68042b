"""Access to a mission: always inside the current collective, then by the member's part in it."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from cordee.collectives.permissions import collective_view
from cordee.missions.models import Mission


def can_manage_mission(membership, mission: Mission) -> bool:
    """The lead and the collective's admins manage a mission (team, deliverables, assignment)."""
    return mission.lead_id == membership.user_id or membership.is_admin


def mission_view(view=None, *, manage=False):
    """Resolve `mission_pk` within `request.collective` (404 otherwise) and set `request.mission`.

    With `manage=True`, only the lead and the collective's admins get in (403 for other members).
    """

    def decorator(view_function):
        @wraps(view_function)
        def wrapper(request, mission_pk, *args, **kwargs):
            mission = get_object_or_404(
                Mission.objects.select_related("client", "lead"), collective=request.collective, pk=mission_pk
            )
            if manage and not can_manage_mission(request.membership, mission):
                raise PermissionDenied
            request.mission = mission
            request.can_manage_mission = can_manage_mission(request.membership, mission)
            return view_function(request, *args, **kwargs)

        return collective_view(wrapper)

    return decorator(view) if view else decorator
