from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PortalAccess(models.Model):
    """A magic link that signs a client contact into the portal: single-use, expiring, revocable, hashed.

    Once used, the row also stands for the portal session it opened: that session lasts as long as the
    row is neither revoked nor ended (sign-out), and at most `PORTAL_SESSION_DAYS` after `used_at`.
    """

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        "clients.ClientContact", on_delete=models.CASCADE, related_name="portal_accesses"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The member who sent the link; empty when the contact asked for it on the sign-in page.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    session_ended_at = models.DateTimeField(_("signed out"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal access")
        verbose_name_plural = _("portal accesses")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["contact", "created_at"])]

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class MissionCalendarFeed(models.Model):
    """The private calendar URL of a mission for its client: announced dates, delivery calls, the ritual."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.OneToOneField(
        "missions.Mission", on_delete=models.CASCADE, related_name="client_calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("mission calendar feed")
        verbose_name_plural = _("mission calendar feeds")
