"""Access to a mission: always inside the current collective, then by the member's part in it."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from cordee.accounts.queries import person_fields
from cordee.collectives.permissions import collective_view
from cordee.missions.access import can_manage
from cordee.missions.models import Mission

MISSION_FIELDS = [field.name for field in Mission._meta.concrete_fields]
CLIENT_FIELDS = [
    f"client__{field.name}" for field in Mission._meta.get_field("client").related_model._meta.concrete_fields
]


def can_manage_mission(membership, mission: Mission) -> bool:
    """The lead and the collective's admins manage a mission (team, deliverables, assignment)."""
    return can_manage(membership, mission)


def mission_view(view=None, *, manage=False):
    """Resolve `mission_pk` within `request.collective` (404 otherwise) and set `request.mission`.

    With `manage=True`, only the lead and the collective's admins get in (403 for other members).
    """

    def decorator(view_function):
        @wraps(view_function)
        def wrapper(request, mission_pk, *args, **kwargs):
            mission = get_object_or_404(
                Mission.objects.select_related("client", "lead").only(
                    *MISSION_FIELDS, *CLIENT_FIELDS, *person_fields("lead")
                ),
                collective=request.collective,
                pk=mission_pk,
            )
            if manage and not can_manage_mission(request.membership, mission):
                raise PermissionDenied
            request.mission = mission
            request.can_manage_mission = can_manage_mission(request.membership, mission)
            return view_function(request, *args, **kwargs)

        return collective_view(wrapper)

    return decorator(view) if view else decorator
