from cordee.collectives.permissions import request_memberships


def navigation(request):
    """The collective switcher and the current collective, for the base layout."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {
        "my_memberships": request_memberships(request),
        "current_collective": getattr(request, "collective", None),
        "current_membership": getattr(request, "membership", None),
    }
