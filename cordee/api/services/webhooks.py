"""Webhooks: subscriptions, events fanned out to one delivery per endpoint, signed delivery with retries.

Deliveries follow the email outbox's rules: a conditional UPDATE claims a due row and stamps the claim
time; a row left in `sending` by a killed worker goes back to `pending` after a lease; each failure waits
longer (30 s, 2 min, 8 min… up to 6 h); the message id is the same for every attempt, so a receiver can
drop a repeat. After too many failures in a row the endpoint is switched off and the admins are told.
"""

import base64
import ipaddress
import json
import logging
import secrets
import socket
from datetime import UTC, timedelta
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from cordee.api.models import WebhookDelivery, WebhookEndpoint
from cordee.collectives.access import membership_for
from cordee.collectives.models import Membership
from cordee.core.access import AccessDenied
from cordee.core.outbox import EmailRequest, email_enqueue_many

logger = logging.getLogger(__name__)

MAX_ENDPOINTS_PER_COLLECTIVE = 20
# Events that carry billing data (amounts, sellers, payments).
BILLING_EVENTS = frozenset(
    {
        WebhookEndpoint.Event.INVOICE_ISSUED,
        WebhookEndpoint.Event.INVOICE_SENT,
        WebhookEndpoint.Event.INVOICE_PAID,
        WebhookEndpoint.Event.CREDIT_NOTE_ISSUED,
        WebhookEndpoint.Event.QUOTE_ACCEPTED,
    }
)
RESPONSE_EXCERPT = 300
_http = urllib3.PoolManager(retries=False)


def _secret_new() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _public_address(url: str) -> tuple[str | None, str | None]:
    """The address to connect to for an endpoint URL, resolved once, and why it may not receive events.

    Returns (address, None) when every address the host resolves to is public, else (None, reason). With
    WEBHOOKS_ALLOW_INSECURE (development, tests) the host is not resolved here: (None, None).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None, _("Enter a full URL starting with https://.")
    if parts.scheme != "https" and not settings.WEBHOOKS_ALLOW_INSECURE:
        return None, _("Only https:// addresses can receive events.")
    if settings.WEBHOOKS_ALLOW_INSECURE:
        return None, None
    try:
        addresses = [info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)]
    except (socket.gaierror, UnicodeError):
        return None, _("This host name does not resolve.")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return None, _(
                "This address is on a private or local network: events are only sent to public addresses."
            )
    return addresses[0], None


def url_problem(url: str) -> str | None:
    """Why an endpoint URL may not receive events, or None. Resolves the host: no private address."""
    return _public_address(url)[1]


def _post(url: str, address: str | None, *, body: bytes, headers: dict, timeout: float):
    """POST to the endpoint. With an address, the connection goes to that very address (the one checked),
    while TLS still verifies the certificate for the URL's host name: a DNS answer that changes between
    the check and the connection (DNS rebinding) cannot point the request at a private network."""
    options = {
        "body": body,
        "redirect": False,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "preload_content": False,
    }
    if address is None:
        return _http.request("POST", url, headers=headers, **options)
    parts = urlsplit(url)
    pool = urllib3.HTTPSConnectionPool(
        address,
        parts.port or 443,
        server_hostname=parts.hostname,
        assert_hostname=parts.hostname,
        retries=False,
        maxsize=1,
    )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        return pool.urlopen("POST", path, headers={**headers, "Host": parts.netloc}, **options)
    finally:
        pool.close()


def _check_events(events) -> list[str]:
    events = sorted(set(events or []))
    if not events or any(event not in WebhookEndpoint.Event.values for event in events):
        raise ValidationError({"events": _("Choose at least one event from the list.")})
    return events


@transaction.atomic
def webhook_endpoint_create(
    *, by, collective_id: int, url: str, events, description: str = ""
) -> WebhookEndpoint:
    """Subscribe a URL to events of the collective (admins only)."""
    membership = membership_for(by, collective_id, admin=True)
    errors = {}
    problem = url_problem(url)
    if problem:
        errors["url"] = problem
    try:
        events = _check_events(events)
    except ValidationError as error:
        errors.update(error.message_dict)
    if (
        WebhookEndpoint.objects.filter(collective_id=collective_id, is_active=True).count()
        >= MAX_ENDPOINTS_PER_COLLECTIVE
    ):
        errors["url"] = _("A collective can have at most %(count)s active endpoints.") % {
            "count": MAX_ENDPOINTS_PER_COLLECTIVE
        }
    if errors:
        raise ValidationError(errors)
    return WebhookEndpoint.objects.create(
        collective=membership.collective,
        url=url,
        description=description.strip(),
        events=events,
        secret=_secret_new(),
        created_by=by,
    )


def _endpoint_for(by, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    membership_for(by, endpoint.collective_id, admin=True)
    return endpoint


@transaction.atomic
def webhook_endpoint_set_active(*, by, endpoint_id: int, active: bool) -> WebhookEndpoint:
    """Switch an endpoint off, or back on (which clears its failure count)."""
    endpoint = _endpoint_for(by, endpoint_id)
    if active and url_problem(endpoint.url):
        raise ValidationError({"url": url_problem(endpoint.url)})
    endpoint.is_active = active
    endpoint.disabled_at = None if active else timezone.now()
    endpoint.disabled_reason = "" if active else WebhookEndpoint.DisabledReason.MANUAL
    endpoint.disabled_by = None if active else by
    endpoint.consecutive_failures = 0
    endpoint.save(
        update_fields=["is_active", "disabled_at", "disabled_reason", "disabled_by", "consecutive_failures"]
    )
    return endpoint


@transaction.atomic
def webhook_delivery_resend(*, by, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now, with the same message id (a receiver may drop it if it had it)."""
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    _endpoint_for(by, delivery.endpoint_id)
    WebhookDelivery.objects.filter(pk=delivery.pk).exclude(state=WebhookDelivery.State.SENDING).update(
        state=WebhookDelivery.State.PENDING, next_attempt_at=None, attempts=0
    )
    delivery.refresh_from_db()
    return delivery


def webhook_event_emit(*, collective_id: int, event_type: str, message_id: str, data: dict) -> list[int]:
    """Record one delivery per active endpoint subscribed to the event; returns the deliveries to send.

    The message id comes from what happened (e.g. the history row), so emitting twice adds nothing. A
    billing event goes only to endpoints whose owner (the admin who added it) still reads all of the
    collective's billing, i.e. is still its admin: billing's reading rule (`cordee.billing.access`).
    """
    endpoints = WebhookEndpoint.objects.filter(collective_id=collective_id, is_active=True)
    if event_type in BILLING_EVENTS:
        endpoints = endpoints.filter(
            created_by__memberships__collective_id=collective_id,
            created_by__memberships__role=Membership.Role.ADMIN,
            created_by__memberships__archived_at__isnull=True,
            created_by__is_active=True,
        )
    endpoints = [endpoint for endpoint in endpoints.only("pk", "events") if event_type in endpoint.events]
    if not endpoints:
        return []
    payload = json.loads(
        json.dumps(
            {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}, cls=DjangoJSONEncoder
        )
    )
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                collective_id=collective_id,
                endpoint=endpoint,
                message_id=message_id,
                event_type=event_type,
                payload=payload,
            )
            for endpoint in endpoints
        ],
        ignore_conflicts=True,
    )
    return list(
        WebhookDelivery.objects.filter(
            message_id=message_id, endpoint__in=endpoints, state=WebhookDelivery.State.PENDING, attempts=0
        ).values_list("pk", flat=True)
    )


def _retry_delay(attempts: int) -> int:
    return min(30 * 4 ** max(attempts - 1, 0), 6 * 3600)


def _signed_request(delivery: WebhookDelivery, secret: str) -> tuple[bytes, dict]:
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    moment = timezone.now().astimezone(UTC)
    signature = Webhook(secret).sign(msg_id=delivery.message_id, timestamp=moment, data=body)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Cordee-Webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode(), headers


def webhook_deliver(delivery_id: int) -> int | None:
    """Send one due delivery if this call claims it.

    Returns the seconds to wait before the next attempt when it failed and will be retried, else None.
    """
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, state=WebhookDelivery.State.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(state=WebhookDelivery.State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    status_code = None
    if not endpoint.is_active:
        error = WebhookDelivery.ERROR_SWITCHED_OFF
    else:
        address, problem = _public_address(endpoint.url)
        error = WebhookDelivery.ERROR_BLOCKED if problem else ""
    if not error:
        body, headers = _signed_request(delivery, endpoint.secret)
        try:
            response = _post(
                endpoint.url, address, body=body, headers=headers, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS
            )
            status_code = response.status
            response.drain_conn()
            response.release_conn()
        except urllib3.exceptions.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:RESPONSE_EXCERPT]
    if status_code is not None and 200 <= status_code < 300:
        _record_success(delivery)
        return None
    return _record_failure(delivery, status_code=status_code, error=error)


def _record_success(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=WebhookDelivery.State.DELIVERED,
        delivered_at=timezone.now(),
        last_status_code=200,
        last_error="",
        next_attempt_at=None,
    )
    WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(consecutive_failures=0)


def _record_failure(delivery: WebhookDelivery, *, status_code, error: str) -> int | None:
    gave_up = delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS or not delivery.endpoint.is_active
    delay = _retry_delay(delivery.attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=WebhookDelivery.State.FAILED if gave_up else WebhookDelivery.State.PENDING,
        last_status_code=status_code,
        last_error=error[:RESPONSE_EXCERPT],
        next_attempt_at=None if gave_up else timezone.now() + timedelta(seconds=delay),
    )
    if not delivery.endpoint.is_active:
        return None
    WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    _disable_if_failing(delivery.endpoint_id)
    return None if gave_up else delay


def _disable_if_failing(endpoint_id: int) -> None:
    """Switch off an endpoint after too many failures in a row, once, and tell the admins."""
    now = timezone.now()
    disabled = WebhookEndpoint.objects.filter(
        pk=endpoint_id, is_active=True, consecutive_failures__gte=settings.WEBHOOKS_DISABLE_AFTER_FAILURES
    ).update(
        is_active=False,
        disabled_at=now,
        disabled_reason=WebhookEndpoint.DisabledReason.FAILURES,
    )
    if not disabled:
        return
    endpoint = WebhookEndpoint.objects.select_related("collective").get(pk=endpoint_id)
    admins = Membership.objects.filter(
        collective_id=endpoint.collective_id, role=Membership.Role.ADMIN, user__is_active=True
    ).select_related("user")
    page = settings.BASE_URL + reverse("api_tokens:webhooks", args=[endpoint.collective.slug])
    email_enqueue_many(
        EmailRequest(
            key=f"webhook:{endpoint.pk}:disabled:{int(now.timestamp())}:{membership.user_id}",
            to=membership.user.email,
            template="api/emails/webhook_disabled",
            context={"endpoint": endpoint, "collective": endpoint.collective, "page_url": page},
            language=membership.user.language,
            collective=endpoint.collective,
        )
        for membership in admins
    )


def webhooks_tick(*, now=None) -> int:
    """Take back deliveries left `sending` past the lease, then send what is due. Returns how many ran."""
    now = now or timezone.now()
    WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.WEBHOOKS_LEASE_SECONDS),
    ).update(state=WebhookDelivery.State.PENDING, next_attempt_at=None)
    due = list(
        WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    for delivery_id in due:
        webhook_deliver(delivery_id)
    return len(due)
