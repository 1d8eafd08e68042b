"""The one place where membership of a collective is checked for every collective-scoped view."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cordee.collectives.models import Membership


def collective_view(view=None, *, admin_only=False):
    """Resolve the `slug` URL argument to one of the signed-in user's collectives.

    Visitors are sent to the login page; a user who is not a member gets a 404 (the collective's
    existence is not disclosed); a member on an admin-only view gets a 403. The view receives
    `request.collective` and `request.membership`, and not the slug.
    """

    def decorator(view_function):
        @login_required
        @wraps(view_function)
        def wrapper(request, slug, *args, **kwargs):
            membership = (
                Membership.objects.select_related("collective")
                .filter(collective__slug=slug, user=request.user)
                .first()
            )
            if membership is None:
                raise Http404
            if admin_only and not membership.is_admin:
                raise PermissionDenied
            request.collective = membership.collective
            request.membership = membership
            return view_function(request, *args, **kwargs)

        wrapper.collective_scoped = True
        return wrapper

    return decorator(view) if view else decorator
