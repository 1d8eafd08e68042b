"""Links of billing emails to the client portal: they sign the contact in and open the right page."""

from urllib.parse import urlencode

from django.urls import reverse

from cordee.clients.models import ClientContact
from cordee.portal.services import portal_link_for


def portal_link_to(contact: ClientContact, name: str, *args) -> str:
    """A magic link that opens the billing page `name` once signed in (the sign-in page when the contact's
    access was revoked: it then leads nowhere until a member gives it back)."""
    link = portal_link_for(contact)
    if "/portal/m/" not in link:
        return link
    return f"{link}?{urlencode({'next': reverse(name, args=args)})}"
