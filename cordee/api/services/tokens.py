"""Use cases of personal access tokens: create (shown once), revoke, authenticate a request."""

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cordee.api.models import AccessToken
from cordee.collectives.access import membership_for
from cordee.collectives.models import Membership
from cordee.core.access import AccessDenied
from cordee.core.tokens import token_hash

TOKEN_PREFIX = "cordee_"
# Writing the last use on every request would turn each read into a write; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)
MAX_TOKEN_LIFETIME = timedelta(days=366)


@transaction.atomic
def access_token_create(
    *, by, collective_id: int, name: str, scope: str, expires_at=None, billing: bool = False
) -> tuple[AccessToken, str]:
    """Create a token for the acting member in one of their collectives; the raw token is returned once.

    `billing` grants the `billing:read` scope: the token then reads the billing its owner may read on the
    pages (`cordee.billing.access`), nothing more; without it the billing resources answer 403.
    """
    membership = membership_for(by, collective_id)
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Give the token a name, e.g. the tool that will use it.")
    elif len(name) > AccessToken._meta.get_field("name").max_length:
        errors["name"] = _("The name is too long (80 characters at most).")
    if scope not in AccessToken.Scope.values:
        errors["scope"] = _("Choose read or read and write.")
    now = timezone.now()
    if expires_at is not None and not now < expires_at <= now + MAX_TOKEN_LIFETIME:
        errors["expires_at"] = _("The expiry must be in the future, within a year.")
    if errors:
        raise ValidationError(errors)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(
        collective=membership.collective,
        user=by,
        name=name,
        scope=scope,
        can_read_billing=bool(billing),
        token_hash=token_hash(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        expires_at=expires_at,
    )
    return token, raw


@transaction.atomic
def access_token_revoke(*, by, token_id: int) -> AccessToken:
    """Revoke one of the acting member's tokens (an admin may revoke any token of the collective)."""
    token = AccessToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    membership = membership_for(by, token.collective_id)
    if token.user_id != by.pk and not membership.is_admin:
        raise AccessDenied(_("Only the token's owner or an admin of the collective can revoke it."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def access_token_authenticate(raw: str) -> tuple[AccessToken, Membership] | None:
    """The live token and its owner's current membership for a raw bearer token, or None.

    A token dies with its revocation, its expiry, its owner's deactivation or departure from the
    collective: the membership is read on every request, never cached in the token.
    """
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    now = timezone.now()
    token = (
        AccessToken.objects.filter(token_hash=token_hash(raw), revoked_at__isnull=True)
        .select_related("user")
        .only(
            "pk",
            "collective_id",
            "user_id",
            "scope",
            "can_read_billing",
            "expires_at",
            "last_used_at",
            "user__is_active",
        )
        .first()
    )
    if (
        token is None
        or (token.expires_at is not None and token.expires_at <= now)
        or not token.user.is_active
    ):
        return None
    membership = (
        Membership.objects.filter(collective_id=token.collective_id, user_id=token.user_id)
        .select_related("collective")
        .first()
    )
    if membership is None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token, membership
