"""The portal's reactions to what happens in lower areas."""

from cordee.portal.models import PortalAccess


def revoke_access_of_archived_contact(sender, *, contact, at, **kwargs) -> None:
    """An archived contact loses the portal: unused links stop working and open sessions end."""
    PortalAccess.objects.filter(contact_id=contact.pk, revoked_at__isnull=True).update(revoked_at=at)
