"""The collective's API page: a member's personal access tokens (created, shown once, revoked)."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cordee.api.forms import AccessTokenForm, WebhookEndpointForm
from cordee.api.models import AccessToken, WebhookDelivery, WebhookEndpoint
from cordee.api.services.tokens import access_token_create, access_token_revoke
from cordee.api.services.webhooks import (
    webhook_delivery_resend,
    webhook_endpoint_create,
    webhook_endpoint_set_active,
)
from cordee.api.tasks import deliveries_enqueue
from cordee.collectives.permissions import collective_view
from cordee.core.forms import add_service_error

DELIVERY_LOG_SIZE = 50


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
        "can_read_billing",
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
                billing=form.cleaned_data["billing"],
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


@collective_view(admin_only=True)
def webhooks(request):
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhook_endpoint_create(
                by=request.user,
                collective_id=request.collective.pk,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, _("Endpoint added: sign-check its requests with the secret shown below.")
            )
            return redirect("api_tokens:webhook", slug=request.collective.slug, endpoint_pk=endpoint.pk)
    endpoints = WebhookEndpoint.objects.filter(collective=request.collective).order_by("pk")
    return render(request, "api/webhooks.html", {"form": form, "endpoints": endpoints})


@collective_view(admin_only=True)
def webhook(request, endpoint_pk):
    endpoint = get_object_or_404(WebhookEndpoint, collective=request.collective, pk=endpoint_pk)
    deliveries = endpoint.deliveries.only(
        "pk",
        "event_type",
        "state",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "next_attempt_at",
        "message_id",
    ).order_by("-pk")[:DELIVERY_LOG_SIZE]
    return render(request, "api/webhook.html", {"endpoint": endpoint, "deliveries": deliveries})


@require_POST
@collective_view(admin_only=True)
def webhook_toggle(request, endpoint_pk):
    endpoint = get_object_or_404(WebhookEndpoint, collective=request.collective, pk=endpoint_pk)
    try:
        webhook_endpoint_set_active(by=request.user, endpoint_id=endpoint.pk, active=not endpoint.is_active)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("api_tokens:webhook", slug=request.collective.slug, endpoint_pk=endpoint.pk)


@require_POST
@collective_view(admin_only=True)
def webhook_resend(request, endpoint_pk, delivery_pk):
    delivery = get_object_or_404(
        WebhookDelivery, collective=request.collective, endpoint_id=endpoint_pk, pk=delivery_pk
    )
    webhook_delivery_resend(by=request.user, delivery_id=delivery.pk)
    deliveries_enqueue([delivery.pk])
    messages.success(request, _("Delivery queued again."))
    return redirect("api_tokens:webhook", slug=request.collective.slug, endpoint_pk=endpoint_pk)
