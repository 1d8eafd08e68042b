"""Links of billing emails to the client portal: they sign the contact in and open the right page."""

from urllib.parse import urlencode

from django.urls import reverse

from cordee.clients.models import ClientContact
from cordee.core.outbox import email_enqueue
from cordee.portal.services import portal_link_for


def portal_link_to(contact: ClientContact, name: str, *args) -> str:
    """A magic link that opens the billing page `name` once signed in (the sign-in page when the contact's
    access was revoked: it then leads nowhere until a member gives it back)."""
    link = portal_link_for(contact)
    if "/portal/m/" not in link:
        return link
    return f"{link}?{urlencode({'next': reverse(name, args=args)})}"


def client_email_enqueue(
    mission, contact: ClientContact, *, key: str, template: str, context: dict, attachments=()
) -> None:
    """Queue a billing email to one of the mission's client contacts: in the contact's language, from the
    collective, replies going to the mission's lead; the template gets the mission, its collective, the
    contact and the lead besides `context`."""
    email_enqueue(
        key=key,
        to=contact.email,
        template=template,
        context={
            **context,
            "mission": mission,
            "collective": mission.collective,
            "contact": contact,
            "lead": mission.lead,
        },
        language=contact.language,
        sender=mission.collective.notification_sender(),
        reply_to=mission.lead.email,
        collective=mission.collective,
        attachments=list(attachments) or None,
    )
