"""How the portal answers what lower areas ask or announce (`cordee.communication.signals`,
`cordee.clients.signals`).

Connected in `PortalConfig.ready()`.
"""

from cordee.portal.models import PortalAccess
from cordee.portal.services import portal_link_for


def contact_portal_url(sender, *, contact, **kwargs) -> str:
    return portal_link_for(contact)


def revoke_access_of_archived_contact(sender, *, contact, at, **kwargs) -> None:
    """An archived contact loses the portal: unused links stop working and open sessions end."""
    PortalAccess.objects.filter(contact_id=contact.pk, revoked_at__isnull=True).update(revoked_at=at)
