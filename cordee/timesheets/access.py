"""Access to time entries: the mission's rule, plus authorship.

Logging time: an active member of the collective on the mission's team. Changing or deleting an entry:
its author (still an active member), the mission's lead or an admin of the collective.
"""

from django.utils.translation import gettext as _

from cordee.core.access import AccessDenied
from cordee.missions.access import can_manage, mission_membership_for
from cordee.missions.models import Mission, MissionMember
from cordee.timesheets.models import TimeEntry


def mission_for_time(user, mission_id: int) -> Mission:
    """The mission, for a member of its team who is still an active member of the collective."""
    mission, _membership = mission_membership_for(user, mission_id)
    if not MissionMember.objects.filter(mission=mission, user_id=user.pk).exists():
        raise AccessDenied(_("Only the mission's team members can log time on it."))
    return mission


def time_entry_for(user, entry_id: int, *, action: str = "change") -> TimeEntry:
    """The entry, for its author, the mission's lead or an admin, all active members of the collective."""
    entry = TimeEntry.objects.select_related("mission__collective").filter(pk=entry_id).first()
    if entry is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    mission, membership = mission_membership_for(user, entry.mission_id)
    if entry.user_id != user.pk and not can_manage(membership, mission):
        raise AccessDenied(
            _("Only its author, the mission's lead or an admin can delete this entry.")
            if action == "delete"
            else _("Only its author, the mission's lead or an admin can change this entry.")
        )
    return entry
