"""Access to the collective's events: its active members see and answer them; their creator and the
collective's admins change and cancel them. Mission-bound objects (recaps, calls, videos, rituals) go
through `cordee.missions.access.mission_for`."""

from django.utils.translation import gettext as _

from cordee.collectives.access import membership_for
from cordee.collectives.models import Membership
from cordee.communication.models import CollectiveEvent
from cordee.core.access import AccessDenied


def can_edit_event(membership: Membership, event: CollectiveEvent) -> bool:
    """The creator of the event and the collective's admins (for a membership already checked)."""
    return membership.collective_id == event.collective_id and (
        membership.is_admin or event.created_by_id == membership.user_id
    )


def collective_event_for(user, event_id: int, *, edit: bool = False) -> CollectiveEvent:
    event = CollectiveEvent.objects.select_related("collective").filter(pk=event_id).first()
    if event is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    membership = membership_for(user, event.collective_id)
    if edit and not can_edit_event(membership, event):
        raise AccessDenied(_("Only the person who created the event and the collective's admins change it."))
    return event
