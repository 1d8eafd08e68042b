"""Views of the invitations app: the list where admins invite, and the page an invitation link opens."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cordee.accounts.models import User
from cordee.collectives.models import Membership
from cordee.collectives.permissions import collective_view
from cordee.collectives.queries import onboarding_state
from cordee.core.ratelimit import ratelimit_hit
from cordee.invitations.forms import InvitationForm
from cordee.invitations.models import Invitation
from cordee.invitations.queries import (
    STATUS_FILTERS,
    invitation_by_token,
    invitation_list,
    invitation_status_counts,
)
from cordee.invitations.receivers import SESSION_KEY, user_owns_email
from cordee.invitations.services import (
    InvitationError,
    InvitationReport,
    invitation_accept,
    invitation_resend,
    invitation_revoke,
    invitations_create,
)

PAGE_SIZE = 25
# Submissions of the invite form per collective and hour: 20 × 20 addresses is plenty for a
# collective of ten, and keeps a hijacked account from turning Cordée into a spam relay.
SUBMISSIONS_PER_HOUR = 20


def _join(emails: list[str]) -> str:
    return ", ".join(emails)


def _report_messages(request, report: InvitationReport) -> None:
    if report.invited:
        messages.success(
            request,
            ngettext(
                "Invitation sent to %(emails)s.",
                "%(count)d invitations sent: %(emails)s.",
                len(report.invited),
            )
            % {"count": len(report.invited), "emails": _join(report.invited)},
        )
    if report.resent:
        messages.success(
            request,
            ngettext(
                "Already invited, so the invitation was sent again with a new link: %(emails)s.",
                "Already invited, so their invitations were sent again with new links: %(emails)s.",
                len(report.resent),
            )
            % {"emails": _join(report.resent)},
        )
    if report.recently_sent:
        messages.info(
            request,
            ngettext(
                "Invited a moment ago, so not sent again: %(emails)s.",
                "Invited a moment ago, so not sent again: %(emails)s.",
                len(report.recently_sent),
            )
            % {"emails": _join(report.recently_sent)},
        )
    if report.already_members:
        messages.info(
            request,
            ngettext(
                "Already a member of the collective, no invitation needed: %(emails)s.",
                "Already members of the collective, no invitation needed: %(emails)s.",
                len(report.already_members),
            )
            % {"emails": _join(report.already_members)},
        )


def _list_url(request) -> str:
    return reverse("invitations:list", args=[request.collective.slug])


def _back_to_list(request):
    """Return to the page and filter the action was made from."""
    list_url = _list_url(request)
    next_url = request.POST.get("next", "")
    if next_url.startswith(list_url) and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        return redirect(next_url)
    return redirect(list_url)


@collective_view
@require_http_methods(["GET", "POST"])
def invitation_list_view(request):
    collective = request.collective
    is_admin = request.membership.is_admin
    form = InvitationForm() if is_admin else None
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied
        form = InvitationForm(request.POST)
        if form.is_valid():
            if not ratelimit_hit("invitations", str(collective.pk), SUBMISSIONS_PER_HOUR, 3600):
                form.add_error(None, _("Too many invitations were sent in the last hour. Try again later."))
            else:
                try:
                    report = invitations_create(
                        collective=collective,
                        invited_by=request.user,
                        emails=form.cleaned_data["emails"],
                        message=form.cleaned_data["message"],
                    )
                except InvitationError as error:
                    form.add_error("emails", error.message)
                else:
                    _report_messages(request, report)
                    if not collective.is_published:
                        # Setting up: the thread goes on with the page.
                        messages.info(request, _("Next step: complete your public page, then publish it."))
                        return redirect("collectives:page_edit", collective.slug)
                    return redirect(_list_url(request))
    status = request.GET.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    page = Paginator(invitation_list(collective, status or None), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = invitation_status_counts(collective)
    filters = [("", _("All"), counts["all"])] + [
        (value, label, counts[value]) for value, label in Invitation.Status.choices if value in STATUS_FILTERS
    ]
    return render(
        request,
        "invitations/list.html",
        {
            "form": form,
            "is_admin": is_admin,
            "page": page,
            "status": status,
            "filters": filters,
            "total": counts["all"],
            "status_query": urlencode({"status": status}) if status else "",
            "validity_days": settings.INVITATION_VALIDITY_DAYS,
            **(
                {"onboarding": onboarding_state(collective), "step": "invite", "collective": collective}
                if is_admin and not collective.is_published
                else {}
            ),
        },
    )


@collective_view(admin_only=True)
def invitation_resend_view(request, pk):
    invitation = get_object_or_404(Invitation, collective=request.collective, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        invitation_resend(invitation=invitation, sent_by=request.user)
    except InvitationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Invitation sent again to %(email)s with a new link; the previous link no longer works.")
            % {"email": invitation.email},
        )
    return _back_to_list(request)


@collective_view(admin_only=True)
def invitation_revoke_view(request, pk):
    invitation = get_object_or_404(Invitation, collective=request.collective, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        invitation_revoke(invitation=invitation, by=request.user)
    except InvitationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Invitation to %(email)s revoked: its link no longer works.") % {"email": invitation.email},
        )
    return _back_to_list(request)


def _accept_state(request, invitation: Invitation | None) -> str:
    """Which of the invitation page's cases applies to this visitor."""
    if invitation is None:
        return "unknown"
    user = request.user
    if user.is_authenticated:
        if invitation.accepted_by_id == user.pk:
            return "joined"
        if Membership.objects.filter(collective=invitation.collective, user=user).exists():
            return "member"
    status = invitation.status
    if status != Invitation.Status.PENDING:
        return status  # accepted (by someone else), revoked or expired
    if not user.is_authenticated:
        return "anonymous"
    if not user_owns_email(user, invitation.email):
        return "other_account"
    return "join"


_STATE_HTTP_STATUS = {"unknown": 404, "accepted": 410, "revoked": 410, "expired": 410}


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request, token):
    invitation = invitation_by_token(token)
    state = _accept_state(request, invitation)
    if state == "joined":
        request.session.pop(SESSION_KEY, None)
        return redirect("collectives:dashboard", invitation.collective.slug)
    if state == "anonymous":
        # Carried through sign-up or login; the receivers accept it once the visitor is signed in.
        request.session[SESSION_KEY] = token
    elif state != "other_account":
        request.session.pop(SESSION_KEY, None)
    if request.method == "POST":
        if state == "anonymous":
            return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")
        if state in {"join", "other_account"}:
            try:
                invitation_accept(invitation=invitation, user=request.user)
            except InvitationError as error:
                messages.error(request, error.message)
                return redirect(request.path)
            request.session.pop(SESSION_KEY, None)
            messages.success(
                request,
                _("Welcome to %(collective)s! You are now a member.")
                % {"collective": invitation.collective.name},
            )
            return redirect("collectives:dashboard", invitation.collective.slug)
    context = {"state": state, "invitation": invitation, "time_zone": settings.TIME_ZONE}
    if invitation is not None:
        collective = invitation.collective
        context.update(
            collective=collective,
            time_zone=collective.time_zone,
            inviter=invitation.invited_by,
            member_count=collective.memberships.count(),
            account_exists=state == "anonymous" and _account_exists(invitation.email),
            signup_url=f"{reverse('account_signup')}?{urlencode({'email': invitation.email, 'next': request.path})}",
            login_url=f"{reverse('account_login')}?{urlencode({'next': request.path})}",
        )
    return render(request, "invitations/accept.html", context, status=_STATE_HTTP_STATUS.get(state, 200))


def _account_exists(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()
