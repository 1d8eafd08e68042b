"""Access to a mission and to what belongs to it: one rule for every service and view.

Seeing or working on a mission: an active member of its collective. Managing it (team, settings,
deliverables, client communication): its lead or an admin of the collective, read from the database at
the time of the call, never from an object the caller kept.
"""

from django.utils.translation import gettext as _

from cordee.collectives.access import membership_for
from cordee.collectives.models import Membership
from cordee.core.access import AccessDenied
from cordee.missions.models import ClientRequest, Deliverable, Mission, MissionMember, Task


def can_manage(membership: Membership, mission: Mission) -> bool:
    """The lead and the collective's admins manage a mission (for a membership already checked)."""
    return membership.collective_id == mission.collective_id and (
        membership.is_admin or mission.lead_id == membership.user_id
    )


def _check(user, mission: Mission, *, manage: bool) -> Membership:
    membership = membership_for(user, mission.collective_id)
    if manage and not can_manage(membership, mission):
        raise AccessDenied(_("Only the lead of the mission or an admin of the collective can do this."))
    return membership


def mission_for(user, mission_id: int, *, manage: bool = False) -> Mission:
    """The mission for an active member of its collective (its lead or an admin with `manage=True`).

    Raises `AccessDenied` otherwise, and for a mission that does not exist.
    """
    return mission_membership_for(user, mission_id, manage=manage)[0]


def deliverable_for(user, deliverable_id: int, *, manage: bool = False) -> Deliverable:
    deliverable = (
        Deliverable.objects.select_related("mission", "mission__collective", "collective")
        .filter(pk=deliverable_id)
        .first()
    )
    if deliverable is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    _check(user, deliverable.mission, manage=manage)
    return deliverable


def task_for(user, task_id: int, *, manage: bool = False) -> Task:
    task = Task.objects.select_related("mission", "mission__collective").filter(pk=task_id).first()
    if task is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    _check(user, task.mission, manage=manage)
    return task


def client_request_for(user, request_id: int, *, manage: bool = False) -> ClientRequest:
    client_request = (
        ClientRequest.objects.select_related("mission", "mission__collective").filter(pk=request_id).first()
    )
    if client_request is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    _check(user, client_request.mission, manage=manage)
    return client_request


def mission_member_for(user, member_id: int, *, manage: bool = False) -> MissionMember:
    member = MissionMember.objects.select_related("mission", "user").filter(pk=member_id).first()
    if member is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    _check(user, member.mission, manage=manage)
    return member


def mission_membership_for(user, mission_id: int, *, manage: bool = False) -> tuple[Mission, Membership]:
    """The mission and the user's membership, for services that need both (e.g. task rights)."""
    mission = Mission.objects.select_related("collective", "client", "lead").filter(pk=mission_id).first()
    if mission is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    return mission, _check(user, mission, manage=manage)
