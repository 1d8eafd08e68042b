"""The portal session: which client contact is signed in, kept apart from the members' authentication.

The Django session holds the contact's id and the id of the magic link that opened the session. On every
portal page the link's row is read again: a revoked link, a sign-out or the end of the session's
validity (`PORTAL_SESSION_DAYS` after the sign-in) closes the session wherever it is open.
"""

from django.utils import timezone

from cordee.portal.models import PortalAccess
from cordee.portal.services import session_validity

CONTACT_KEY = "portal_contact_id"
ACCESS_KEY = "portal_access_id"
NEXT_KEY = "portal_next"


def portal_sign_in(request, access: PortalAccess) -> None:
    """Open a portal session for the link's contact; the session key changes (no fixation), its data
    (the page asked for before signing in) stays."""
    request.session.cycle_key()
    request.session[CONTACT_KEY] = access.contact_id
    request.session[ACCESS_KEY] = access.pk
    if not request.user.is_authenticated:
        # A member's own session keeps its lifetime; a contact's lasts as long as the portal session.
        request.session.set_expiry(session_validity())


def portal_sign_out(request) -> None:
    """Forget the portal session in this browser; a member signed in on the same browser stays so."""
    for key in (CONTACT_KEY, ACCESS_KEY, NEXT_KEY):
        request.session.pop(key, None)
    request.session.cycle_key()


def portal_session_ids(request) -> tuple[int | None, int | None]:
    return request.session.get(CONTACT_KEY), request.session.get(ACCESS_KEY)


def portal_access_from_session(request) -> PortalAccess | None:
    """The link that opened this browser's portal session, if that session is still open."""
    contact_id, access_id = portal_session_ids(request)
    if not contact_id or not access_id:
        return None
    return (
        PortalAccess.objects.select_related("contact__client", "collective")
        .filter(
            pk=access_id,
            contact_id=contact_id,
            used_at__gt=timezone.now() - session_validity(),
            revoked_at__isnull=True,
            session_ended_at__isnull=True,
        )
        .first()
    )
