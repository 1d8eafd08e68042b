from cordee.collectives.navigation import Navigation
from cordee.collectives.permissions import request_memberships


def navigation(request):
    """The collective switcher, the current collective and the layout's addresses, for the base layout."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"nav": Navigation(request)}
    return {
        "nav": Navigation(request),
        "my_memberships": request_memberships(request),
        "current_collective": getattr(request, "collective", None),
        "current_membership": getattr(request, "membership", None),
    }
