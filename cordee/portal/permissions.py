"""The one place where the client portal resolves the signed-in contact.

Portal pages are not collective-scoped views: a client contact has no account, only a portal session
(see `cordee.portal.sessions`). Everything a portal page shows is then fetched through
`request.portal_contact` (its collective and its client), so that another client's object is a 404.
"""

from functools import wraps

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from cordee.portal.sessions import NEXT_KEY, portal_access_from_session, portal_session_ids, portal_sign_out


def portal_view(view_function):
    """Resolve the contact from the portal session, or send the visitor to the portal's sign-in page.

    The view receives `request.portal_contact`, `request.portal_client`, `request.portal_collective`
    and `request.portal_access`; pages are shown in the contact's language.
    """

    @wraps(view_function)
    def wrapper(request, *args, **kwargs):
        access = portal_access_from_session(request)
        if access is None:
            if any(portal_session_ids(request)):
                portal_sign_out(request)
                messages.info(
                    request, _("Your portal session has ended. Ask for a new link to sign in again.")
                )
            if request.method == "GET":
                request.session[NEXT_KEY] = request.get_full_path()
            return redirect("portal:login")
        contact = access.contact
        request.portal_access = access
        request.portal_contact = contact
        request.portal_client = contact.client
        request.portal_collective = access.collective
        translation.activate(contact.language)
        request.LANGUAGE_CODE = translation.get_language()
        return view_function(request, *args, **kwargs)

    wrapper.portal_scoped = True
    return wrapper
