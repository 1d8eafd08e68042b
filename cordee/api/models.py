"""Personal access tokens: a member's key to one collective's data through the REST API."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessToken(models.Model):
    """A bearer token scoped to one collective, read-only or read-write, and allowed to read billing or not
    (the `billing:read` scope, off unless asked for). Only its SHA-256 is stored."""

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(_("name"), max_length=80)
    scope = models.CharField(_("scope"), max_length=5, choices=Scope, default=Scope.READ)
    can_read_billing = models.BooleanField(_("reads billing"), default=False)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=16)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["collective", "user"])]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE


class WebhookEndpoint(models.Model):
    """A URL of the collective's that receives signed events (Standard Webhooks)."""

    class Event(models.TextChoices):
        OPPORTUNITY_RECEIVED = "opportunity.received", _("Opportunity received")
        MISSION_ACTIVATED = "mission.activated", _("Mission activated")
        DELIVERABLE_DELIVERED = "deliverable.delivered", _("Deliverable delivered")
        DELAY_NOTICE_SENT = "delay_notice.sent", _("Delay notice sent")
        SURVEY_ANSWERED = "survey.answered", _("Survey answered")
        INVOICE_ISSUED = "invoice.issued", _("Invoice issued")
        INVOICE_SENT = "invoice.sent", _("Invoice sent to the client")
        INVOICE_PAID = "invoice.paid", _("Invoice paid")
        CREDIT_NOTE_ISSUED = "credit_note.issued", _("Credit note issued")
        QUOTE_ACCEPTED = "quote.accepted", _("Quote accepted")

    class DisabledReason(models.TextChoices):
        FAILURES = "failures", _("Too many failed deliveries in a row")
        MANUAL = "manual", _("Switched off by a member")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=120, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=64)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=10, choices=DisabledReason, blank=True)
    disabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["pk"]
        indexes = [models.Index(fields=["collective", "is_active"])]

    def __str__(self):
        return self.url

    @property
    def disabled_text(self) -> str:
        """Why the endpoint is off, in the reader's language."""
        if self.disabled_reason == self.DisabledReason.FAILURES:
            return _("Switched off after %(count)s failed deliveries in a row.") % {
                "count": settings.WEBHOOKS_DISABLE_AFTER_FAILURES
            }
        if self.disabled_reason == self.DisabledReason.MANUAL and self.disabled_by:
            return _("Switched off by %(name)s.") % {"name": self.disabled_by.display_name}
        return self.get_disabled_reason_display()


class WebhookDelivery(models.Model):
    """One event for one endpoint: claimed, signed, sent and retried like the email outbox."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=100)
    event_type = models.CharField(_("event"), max_length=40)
    payload = models.JSONField()
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "message_id"], name="webhook_delivery_once_per_endpoint"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["state", "claimed_at"]),
        ]

    # `last_error` holds one of these codes, or a transport error's own (technical) text.
    ERROR_BLOCKED = "blocked-address"
    ERROR_SWITCHED_OFF = "switched-off"

    def __str__(self):
        return f"{self.event_type} → {self.endpoint_id}"

    @property
    def error_text(self) -> str:
        """The last failure, in the reader's language where it is ours to say."""
        if self.last_error == self.ERROR_BLOCKED:
            return _("Not sent: the address is not a public https:// one.")
        if self.last_error == self.ERROR_SWITCHED_OFF:
            return _("Not sent: the endpoint is switched off.")
        if not self.last_error and self.last_status_code and not 200 <= self.last_status_code < 300:
            return _("The receiver answered %(code)s.") % {"code": self.last_status_code}
        return self.last_error
