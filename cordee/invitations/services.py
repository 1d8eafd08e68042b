"""Use cases of invitations: invite, re-send, revoke, accept. Each one runs in a transaction."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.accounts.models import User
from cordee.collectives.access import membership_for
from cordee.collectives.models import Membership
from cordee.core.outbox import email_enqueue
from cordee.core.tokens import token_new
from cordee.invitations.models import Invitation
from cordee.invitations.parsing import is_valid_email, normalise_email

MAX_ADDRESSES_PER_SUBMISSION = 20
MESSAGE_MAX_LENGTH = 1000
# A second send within this delay is a double click or a form submitted twice, not an intent:
# it would only kill the link the person received a moment ago.
RESEND_MIN_INTERVAL = timedelta(minutes=1)


class InvitationError(Exception):
    """A refused invitation use case; `message` is for the user, `code` for the caller."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class InvitationReport:
    """What happened to each address of one submission, in the order they were typed."""

    invited: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    recently_sent: list[str] = field(default_factory=list)
    already_members: list[str] = field(default_factory=list)


def invitation_validity() -> timedelta:
    return timedelta(days=settings.INVITATION_VALIDITY_DAYS)


def invitation_accept_url(raw_token: str) -> str:
    return settings.BASE_URL + reverse("invitations:accept", args=[raw_token])


def _recipient_language(email: str, fallback_user) -> str:
    """The invitee's own language when they already have an account, otherwise the inviter's."""
    account = User.objects.filter(email__iexact=email).only("language").first()
    if account:
        return account.language
    return getattr(fallback_user, "language", None) or settings.LANGUAGE_CODE


def _send_invitation_email(*, invitation: Invitation, raw_token: str, sent_by) -> None:
    collective = invitation.collective
    email_enqueue(
        key=f"invitation:{invitation.pk}:send:{invitation.send_count}",
        to=invitation.email,
        template="invitations/emails/invitation",
        context={
            "collective": collective,
            "inviter_name": sent_by.display_name if sent_by else collective.name,
            "message": invitation.message,
            "accept_url": invitation_accept_url(raw_token),
            "expires_at": invitation.expires_at,
            "time_zone": collective.time_zone,
            "email": invitation.email,
        },
        language=_recipient_language(invitation.email, sent_by),
        sender=collective.notification_sender(),
        reply_to=sent_by.email if sent_by else "",
        collective=collective,
    )


def _clean_addresses(emails) -> list[str]:
    addresses: list[str] = []
    for value in emails:
        email = normalise_email(value)
        if not is_valid_email(email):
            raise InvitationError(
                _("“%(value)s” is not a valid email address.") % {"value": value}, "invalid"
            )
        if email not in addresses:
            addresses.append(email)
    if not addresses:
        raise InvitationError(_("Enter at least one email address."), "empty")
    if len(addresses) > MAX_ADDRESSES_PER_SUBMISSION:
        raise InvitationError(
            ngettext(
                "You can invite up to %(limit)d person at a time.",
                "You can invite up to %(limit)d people at a time.",
                MAX_ADDRESSES_PER_SUBMISSION,
            )
            % {"limit": MAX_ADDRESSES_PER_SUBMISSION},
            "too_many",
        )
    return addresses


def _member_emails(collective, addresses: list[str]) -> set[str]:
    """Addresses that already belong to a member: their account's address or another verified one."""
    from allauth.account.models import EmailAddress

    by_account = (
        Membership.objects.filter(collective=collective)
        .annotate(email_lower=Lower("user__email"))
        .filter(email_lower__in=addresses)
        .values_list("email_lower", flat=True)
    )
    by_verified_address = (
        EmailAddress.objects.filter(
            user__memberships__collective=collective,
            user__memberships__archived_at__isnull=True,
            verified=True,
        )
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=addresses)
        .values_list("email_lower", flat=True)
    )
    return set(by_account) | set(by_verified_address)


@transaction.atomic
def invitations_create(*, collective, invited_by, emails, message: str = "") -> InvitationReport:
    """Invite every address at once and email each new invitee.

    An address of a member gets nothing; an address with an open invitation gets it again
    (new link, new expiry) unless it was sent less than a minute ago. Invalid input refuses
    the whole submission, so that nothing is half done.
    """
    membership_for(invited_by, collective.pk, admin=True)
    addresses = _clean_addresses(emails)
    message = (message or "").strip()[:MESSAGE_MAX_LENGTH]
    members = _member_emails(collective, addresses)
    open_invitations = {
        invitation.email: invitation
        for invitation in Invitation.objects.select_related("collective").filter(
            collective=collective, email__in=addresses, accepted_at__isnull=True, revoked_at__isnull=True
        )
    }
    report = InvitationReport()
    for email in addresses:
        if email in members:
            report.already_members.append(email)
            continue
        existing = open_invitations.get(email)
        if existing is not None:
            try:
                invitation_resend(invitation=existing, sent_by=invited_by, message=message or None)
            except InvitationError:
                report.recently_sent.append(email)
            else:
                report.resent.append(email)
            continue
        raw_token, hashed = token_new()
        now = timezone.now()
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    collective=collective,
                    email=email,
                    token_hash=hashed,
                    invited_by=invited_by,
                    message=message,
                    sent_at=now,
                    expires_at=now + invitation_validity(),
                )
        except IntegrityError:
            # Someone else invited this address a split second ago.
            report.recently_sent.append(email)
            continue
        _send_invitation_email(invitation=invitation, raw_token=raw_token, sent_by=invited_by)
        report.invited.append(email)
    return report


@transaction.atomic
def invitation_resend(*, invitation: Invitation, sent_by, message: str | None = None) -> Invitation:
    """Send a new link: new token and expiry, the previous link stops working at once."""
    membership_for(sent_by, invitation.collective_id, admin=True)
    now = timezone.now()
    raw_token, hashed = token_new()
    changes = {
        "token_hash": hashed,
        "sent_at": now,
        "expires_at": now + invitation_validity(),
        "send_count": F("send_count") + 1,
        "invited_by": sent_by,
    }
    if message is not None:
        changes["message"] = message.strip()[:MESSAGE_MAX_LENGTH]
    updated = Invitation.objects.filter(
        pk=invitation.pk,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        sent_at__lte=now - RESEND_MIN_INTERVAL,
    ).update(**changes)
    invitation.refresh_from_db()
    if updated != 1:
        if not invitation.is_open:
            raise InvitationError(
                _("This invitation was already accepted or revoked; it cannot be sent again."), "not_open"
            )
        raise InvitationError(
            _("The invitation to %(email)s was sent less than a minute ago.") % {"email": invitation.email},
            "recently_sent",
        )
    _send_invitation_email(invitation=invitation, raw_token=raw_token, sent_by=sent_by)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by) -> Invitation:
    """Refuse the link from now on. An accepted invitation cannot be revoked (remove the member instead)."""
    membership_for(by, invitation.collective_id, admin=True)
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    invitation.refresh_from_db()
    if updated != 1:
        raise InvitationError(_("This invitation was already accepted or revoked."), "not_open")
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """Make `user` a member of the invitation's collective, once, whatever the double clicks.

    The invitation is claimed with a conditional UPDATE: of two concurrent requests only one
    changes the row, the other is refused (this works on SQLite and PostgreSQL alike).
    """
    collective = invitation.collective
    if Membership.objects.filter(collective=collective, user=user).exists():
        raise InvitationError(
            _("You are already a member of %(collective)s.") % {"collective": collective.name},
            "already_member",
        )
    now = timezone.now()
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(accepted_at=now, accepted_by=user)
    if claimed != 1:
        raise InvitationError(_("This invitation can no longer be used."), "not_pending")
    invitation.accepted_at = now
    invitation.accepted_by = user
    membership = _membership_current(collective=collective, user=user, joined_at=now)
    _notify_inviter(invitation=invitation, user=user)
    return membership


def _membership_current(*, collective, user, joined_at) -> Membership:
    """A new member, or a former one back: their archived membership becomes current again, as a plain
    member (an admin gives the role again), keeping their title, skills and day rate in the collective."""
    former = Membership.with_archived.select_for_update().filter(collective=collective, user=user).first()
    if former is None:
        return Membership.objects.create(collective=collective, user=user, role=Membership.Role.MEMBER)
    former.archived_at = None
    former.archived_by = None
    former.archive_reason = ""
    former.role = Membership.Role.MEMBER
    former.joined_at = joined_at
    former.save(update_fields=["archived_at", "archived_by", "archive_reason", "role", "joined_at"])
    return former


def _notify_inviter(*, invitation: Invitation, user) -> None:
    inviter = invitation.invited_by
    if inviter is None or inviter.pk == user.pk:
        return
    collective = invitation.collective
    email_enqueue(
        key=f"invitation:{invitation.pk}:accepted",
        to=inviter.email,
        template="invitations/emails/accepted",
        context={
            "collective": collective,
            "inviter_name": inviter.display_name,
            "member_name": user.display_name,
            "member_email": user.email,
            "members_url": settings.BASE_URL + reverse("collectives:members", args=[collective.slug]),
        },
        language=inviter.language,
        sender=collective.notification_sender(),
        collective=collective,
    )
