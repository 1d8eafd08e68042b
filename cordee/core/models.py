from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    """One row per outgoing email: the single outbox every feature writes to."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    collective = models.ForeignKey(
        "collectives.Collective", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    to_email = models.EmailField(_("recipient"))
    from_email = models.CharField(_("sender"), max_length=255)
    reply_to = models.CharField(_("reply to"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    # Manifests {filename, mimetype, sha256, path, size}; the content is a file in the default storage.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=8, default="fr")
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # When a worker took the row to send it; a claim older than the lease is taken back by the tick.
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["state", "claimed_at"]),
        ]

    # The last error of a claim whose worker died: written by the tick, shown translated to the admins.
    LEASE_LAPSED_ERROR = "Delivery interrupted: the worker stopped before recording the result."

    def __str__(self):
        return f"{self.to_email}: {self.subject}"

    @property
    def lease_lapsed(self) -> bool:
        return self.last_error == self.LEASE_LAPSED_ERROR


class PeriodicLock(models.Model):
    """A lease on a periodic job: whoever holds an unexpired row runs the job, a dead holder's lease lapses."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    holder = models.CharField(_("holder"), max_length=200, blank=True)
    acquired_at = models.DateTimeField(_("acquired"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta:
        verbose_name = _("periodic job lock")
        verbose_name_plural = _("periodic job locks")

    def __str__(self):
        return self.name
