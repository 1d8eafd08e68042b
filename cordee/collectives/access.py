"""Access to a collective: only its active members; administering it: its admins."""

from django.utils.translation import gettext as _

from cordee.collectives.models import Membership
from cordee.core.access import AccessDenied


def membership_for(user, collective_id: int, *, admin: bool = False) -> Membership:
    """The user's membership of the collective, or `AccessDenied`.

    A member who left or was removed keeps an archived membership, which gives no access (the default
    manager and the filter below leave it out), and a deactivated account acts nowhere, so nothing they
    once held (a lead, an authorship) lets them act. With `admin=True`, only the collective's admins pass.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise AccessDenied(_("Only members of the collective can do this."))
    membership = (
        Membership.objects.select_related("collective")
        .filter(collective_id=collective_id, user_id=user.pk, archived_at__isnull=True)
        .first()
    )
    if membership is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    if admin and not membership.is_admin:
        raise AccessDenied(_("Only an admin of the collective can do this."))
    return membership
