"""Carry an invitation through allauth's sign-up and login.

The accept page keeps the link's raw token in the session of an anonymous visitor. Once that
visitor has signed up or logged in, these receivers accept the invitation and send them to the
collective. allauth sends `user_signed_up` before its login stages run (email verification is
one of them), then `user_logged_in` with the redirect it is about to return.
"""

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.http.response import HttpResponseRedirectBase
from django.urls import reverse
from django.utils.translation import gettext as _

from cordee.invitations.models import Invitation
from cordee.invitations.queries import invitation_by_token
from cordee.invitations.services import InvitationError, invitation_accept

SESSION_KEY = "invitation_token"
# Set on the request by the sign-up receiver, read by the login receiver of the same request.
_REDIRECT_ATTRIBUTE = "_invitation_redirect"


def user_owns_email(user, email: str) -> bool:
    """Whether the address is the account's own address or one of its verified addresses."""
    email = email.lower()
    if (user.email or "").lower() == email:
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def _session_invitation(request) -> tuple[str, Invitation] | None:
    """The pending invitation whose token waits in the session; a stale token is dropped."""
    raw_token = request.session.get(SESSION_KEY)
    if not raw_token:
        return None
    invitation = invitation_by_token(raw_token)
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        request.session.pop(SESSION_KEY, None)
        return None
    return raw_token, invitation


def _join(request, invitation: Invitation, user) -> str | None:
    """Accept the invitation for `user`; return where to send them, or None when refused."""
    request.session.pop(SESSION_KEY, None)
    collective = invitation.collective
    dashboard_url = reverse("collectives:dashboard", args=[collective.slug])
    try:
        invitation_accept(invitation=invitation, user=user)
    except InvitationError as error:
        if error.code == "already_member":
            return dashboard_url
        messages.error(request, error.message)
        return None
    messages.success(
        request, _("Welcome to %(collective)s! You are now a member.") % {"collective": collective.name}
    )
    return dashboard_url


def accept_invitation_on_signup(sender, request, user, **kwargs):
    """A visitor who followed an invitation signed up with the invited address: let them in."""
    if request is None:
        return
    found = _session_invitation(request)
    if found is None:
        return
    _raw_token, invitation = found
    if (user.email or "").lower() != invitation.email.lower():
        return  # another address: allauth verifies it as usual; the login receiver takes over later
    try:
        # The same instance allauth cached on the user, so its verification stage sees the change.
        address = EmailAddress.objects.get_for_user(user, user.email)
    except EmailAddress.DoesNotExist:
        return
    # The link was emailed to this address: following it proved the person can read that inbox.
    if not address.set_verified(commit=True):
        return
    redirect_url = _join(request, invitation, user)
    if redirect_url:
        setattr(request, _REDIRECT_ATTRIBUTE, redirect_url)


def accept_invitation_on_login(sender, request, user, response=None, **kwargs):
    """After a login (or the login that ends a sign-up), land in the collective the link was for."""
    if request is None:
        return
    redirect_url = getattr(request, _REDIRECT_ATTRIBUTE, None)
    if redirect_url is None:
        found = _session_invitation(request)
        if found is None:
            return
        raw_token, invitation = found
        if user_owns_email(user, invitation.email):
            redirect_url = _join(request, invitation, user)
        else:
            # The accept page explains the mismatch and lets them choose.
            request.session.pop(SESSION_KEY, None)
            redirect_url = reverse("invitations:accept", args=[raw_token])
    if redirect_url and isinstance(response, HttpResponseRedirectBase):
        response["Location"] = redirect_url
