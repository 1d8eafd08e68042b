from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeEntry(models.Model):
    class Activity(models.TextChoices):
        PRODUCTION = "production", _("Production")
        PROJECT_MANAGEMENT = "project_management", _("Project management")
        MEETING = "meeting", _("Meeting")
        NON_BILLABLE = "non_billable", _("Non-billable")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="time_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries")
    deliverable = models.ForeignKey(
        "missions.Deliverable",
        verbose_name=_("deliverable"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    task = models.ForeignKey(
        "missions.Task",
        verbose_name=_("task"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    date = models.DateField(_("date"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("24"))],
    )
    activity = models.CharField(_("activity"), max_length=20, choices=Activity, default=Activity.PRODUCTION)
    note = models.CharField(_("note"), max_length=300, blank=True)
    locked_at = models.DateTimeField(
        _("locked at"), null=True, blank=True, help_text=_("Locked entries were invoiced and cannot change.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["collective", "mission", "date"]),
            models.Index(fields=["collective", "user", "date"]),
        ]

    def __str__(self):
        return f"{self.user} {self.date} {self.hours} h"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None
