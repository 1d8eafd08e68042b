"""The one place where membership of a collective is checked for every collective-scoped view."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cordee.collectives.models import Membership


def request_memberships(request) -> list:
    """The signed-in user's memberships with their collectives, by collective name.

    One query per request, shared by the membership check of collective-scoped views and the
    navigation of the base layout (the collective switcher).
    """
    memberships = getattr(request, "_cordee_memberships", None)
    if memberships is None:
        memberships = list(
            Membership.objects.filter(user_id=request.user.pk)
            .select_related("collective")
            .order_by("collective__name", "pk")
        )
        for membership in memberships:
            membership.user = request.user
        request._cordee_memberships = memberships
    return memberships


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
            membership = next(
                (
                    membership
                    for membership in request_memberships(request)
                    if membership.collective.slug == slug
                ),
                None,
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
