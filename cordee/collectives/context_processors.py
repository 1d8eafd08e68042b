from cordee.collectives.models import Membership


def navigation(request):
    """The collective switcher and the current collective, for the base layout."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {
        "my_memberships": Membership.objects.filter(user=user)
        .select_related("collective")
        .order_by("collective__name"),
        "current_collective": getattr(request, "collective", None),
        "current_membership": getattr(request, "membership", None),
    }
