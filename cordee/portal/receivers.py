"""How the portal answers what the communication area asks (`cordee.communication.signals`).

Connected in `PortalConfig.ready()`.
"""

from cordee.portal.services import portal_link_for


def contact_portal_url(sender, *, contact, **kwargs) -> str:
    return portal_link_for(contact)
