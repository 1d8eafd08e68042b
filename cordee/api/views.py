"""The collective's API page: a member's personal access tokens (created, shown once, revoked)."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cordee.api.forms import AccessTokenForm
from cordee.api.models import AccessToken
from cordee.api.services import access_token_create, access_token_revoke
from cordee.core.permissions import collective_view


def _tokens(request):
    tokens = (
        AccessToken.objects.filter(collective=request.collective)
        .select_related("user")
        .order_by("-created_at")
    )
    if not request.membership.is_admin:
        tokens = tokens.filter(user=request.user)
    return tokens.only(
        "pk",
        "name",
        "scope",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "user__full_name",
        "user__email",
    )


@collective_view
def tokens(request):
    form = AccessTokenForm(request.POST or None)
    raw_token = None
    if request.method == "POST" and form.is_valid():
        lifetime = form.cleaned_data["lifetime"]
        try:
            _token, raw_token = access_token_create(
                by=request.user,
                collective_id=request.collective.pk,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=timezone.now() + timedelta(days=int(lifetime)) if lifetime else None,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = AccessTokenForm()
    return render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": _tokens(request), "raw_token": raw_token, "now": timezone.now()},
    )


@require_POST
@collective_view
def token_revoke(request, token_pk):
    if not _tokens(request).filter(pk=token_pk).exists():
        raise PermissionDenied
    token = access_token_revoke(by=request.user, token_id=token_pk)
    messages.success(
        request, _("Token “%(name)s” revoked: it no longer opens anything.") % {"name": token.name}
    )
    return redirect("api_tokens:tokens", slug=request.collective.slug)
