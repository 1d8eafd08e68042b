"""Access to clients and their contacts.

Every active member of the collective sees its clients and adds or edits them and their contacts.
Archiving or deleting a contact or a client, and giving or revoking a contact's portal access, is for
those who answer for the relationship: the leads of the client's missions and the collective's admins.
"""

from django.utils.translation import gettext as _

from cordee.clients.models import Client, ClientContact
from cordee.collectives.access import membership_for
from cordee.collectives.models import Membership
from cordee.core.access import AccessDenied


def can_manage_client(membership: Membership, client: Client, *, lead_ids=None) -> bool:
    """An admin, or the lead of one of the client's missions (for a membership already checked).

    `lead_ids`: the leads of the client's missions when the page already loaded them (no query then).
    """
    if membership.collective_id != client.collective_id:
        return False
    if membership.is_admin:
        return True
    if lead_ids is not None:
        return membership.user_id in lead_ids
    return client.missions.filter(lead_id=membership.user_id).exists()


def _check(user, client: Client, *, manage: bool) -> Membership:
    membership = membership_for(user, client.collective_id)
    if manage and not can_manage_client(membership, client):
        raise AccessDenied(
            _("Only the leads of this client's missions and the collective's admins can do this.")
        )
    return membership


def client_for(user, client_id: int, *, manage: bool = False) -> Client:
    client = Client.objects.select_related("collective").filter(pk=client_id).first()
    if client is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    _check(user, client, manage=manage)
    return client


def contact_for(user, contact_id: int, *, manage: bool = False) -> ClientContact:
    contact = ClientContact.objects.select_related("client", "collective").filter(pk=contact_id).first()
    if contact is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    _check(user, contact.client, manage=manage)
    return contact
