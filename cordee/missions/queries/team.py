"""Who is on a mission's team."""

from cordee.accounts.models import User
from cordee.missions.models import Mission


def team_users(mission: Mission):
    """The users who can be given the mission's tasks: its active team members, by name."""
    return User.objects.filter(
        mission_memberships__mission=mission,
        memberships__collective=mission.collective_id,
        memberships__archived_at__isnull=True,
        is_active=True,
    ).order_by("full_name", "email")
