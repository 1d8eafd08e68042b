"""Reads of the invitations pages."""

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cordee.core.tokens import token_hash
from cordee.invitations.models import Invitation

STATUS_FILTERS = [
    Invitation.Status.PENDING,
    Invitation.Status.ACCEPTED,
    Invitation.Status.EXPIRED,
    Invitation.Status.REVOKED,
]


def _status_q(status: str, now) -> Q:
    open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True)
    return {
        Invitation.Status.PENDING: open_ & Q(expires_at__gt=now),
        Invitation.Status.EXPIRED: open_ & Q(expires_at__lte=now),
        Invitation.Status.ACCEPTED: Q(accepted_at__isnull=False),
        Invitation.Status.REVOKED: Q(accepted_at__isnull=True, revoked_at__isnull=False),
    }[status]


def invitation_list(collective, status: str | None = None) -> QuerySet[Invitation]:
    """A collective's invitations, latest sent first, with the people shown next to them."""
    invitations = Invitation.objects.filter(collective=collective).select_related("invited_by", "accepted_by")
    if status in STATUS_FILTERS:
        invitations = invitations.filter(_status_q(status, timezone.now()))
    return invitations.order_by("-sent_at", "-pk")


def invitation_status_counts(collective) -> dict[str, int]:
    """How many invitations of each status, in one query (for the filter tabs)."""
    now = timezone.now()
    counts = Invitation.objects.filter(collective=collective).aggregate(
        all=Count("pk"),
        **{status.value: Count("pk", filter=_status_q(status, now)) for status in STATUS_FILTERS},
    )
    return counts


def invitation_by_token(raw_token: str) -> Invitation | None:
    """The invitation a link points to, whatever its state, or None for an unknown link."""
    if not raw_token or len(raw_token) > 128:
        return None
    return (
        Invitation.objects.select_related("collective", "invited_by", "accepted_by")
        .filter(token_hash=token_hash(raw_token))
        .first()
    )
