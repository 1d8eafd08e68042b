from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cordee.collectives.models import AssignmentMode, RitualKind
from cordee.core.deferred_text import deferred_or_text


def default_recap_weekdays() -> list[int]:
    return [4]  # Friday


class Mission(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        # With a context: in French, a mission's status agrees in the feminine (see Deliverable.Status).
        DELIVERED = "delivered", pgettext_lazy("mission status", "Delivered")
        CLOSED = "closed", _("Closed")

    # Defined with the collective, whose settings hold the defaults of new missions.
    AssignmentMode = AssignmentMode
    RitualKind = RitualKind

    collective = models.ForeignKey(
        "collectives.Collective", on_delete=models.CASCADE, related_name="missions"
    )
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="missions"
    )
    opportunity = models.OneToOneField(
        "opportunities.Opportunity", on_delete=models.SET_NULL, null=True, blank=True, related_name="mission"
    )
    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        on_delete=models.PROTECT,
        related_name="led_missions",
    )
    start_date = models.DateField(_("start date"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    assignment_mode = models.CharField(
        _("task assignment"), max_length=15, choices=AssignmentMode, default=AssignmentMode.LEAD_ASSIGNS
    )
    # Communication settings (seed, Conseil 2).
    recaps_per_week = models.PositiveSmallIntegerField(
        _("recaps per week"), default=1, validators=[MinValueValidator(1), MaxValueValidator(2)]
    )
    recap_weekdays = models.JSONField(_("recap weekdays"), default=default_recap_weekdays)
    ritual_kind = models.CharField(
        _("weekly ritual"), max_length=12, choices=RitualKind, default=RitualKind.SYNC_CALL
    )
    delay_notice_min_business_days = models.PositiveSmallIntegerField(
        _("minimum notice for a delay (business days)"), default=5
    )
    # Feedback settings (seed, Conseil 3).
    feedback_enabled = models.BooleanField(_("satisfaction surveys"), default=True)
    feedback_first_after_days = models.PositiveSmallIntegerField(_("first survey after (days)"), default=14)
    feedback_every_days = models.PositiveSmallIntegerField(_("then every (days)"), default=30)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ["-start_date", "-pk"]
        indexes = [models.Index(fields=["collective", "status"])]

    def __str__(self):
        return self.title


class MissionMember(models.Model):
    """A member of the mission's team, with their role on it (used by the by-role assignment)."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mission_memberships"
    )
    role = models.CharField(
        _("role on the mission"),
        max_length=80,
        blank=True,
        help_text=_("For example: design, back-end, front-end."),
    )
    day_rate = models.DecimalField(
        _("day rate (€, excl. VAT)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    weekly_capacity_hours = models.DecimalField(
        _("hours per week on this mission"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Leave empty for full time (the collective's hours per day, 5 days a week)."),
    )

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["mission", "user"], name="mission_member_unique_user")]

    def __str__(self):
        return f"{self.user} ({self.role})" if self.role else str(self.user)


class Deliverable(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        # With a context: in French, a deliverable's status agrees in the masculine, unlike a mission's.
        DELIVERED = "delivered", pgettext_lazy("deliverable status", "Delivered")
        ACCEPTED = "accepted", pgettext_lazy("deliverable status", "Accepted")

    class Health(models.TextChoices):
        ON_TRACK = "on_track", _("On track")
        AT_RISK = "at_risk", _("At risk")
        LATE = "late", _("Late")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="deliverables")
    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_deliverables",
    )
    internal_date = models.DateField(_("internal due date"))
    announced_date = models.DateField(_("announced date"))
    announced_date_overridden = models.BooleanField(_("announced date set by hand"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.PLANNED)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # The last computed health, kept so that a change (e.g. on track → at risk) can be noticed and alerted once.
    health = models.CharField(_("health"), max_length=10, choices=Health, default=Health.ON_TRACK)
    health_reason = models.CharField(_("health reason"), max_length=300, blank=True)
    # The reason as data (see cordee.core.deferred_text), read in the reader's language.
    health_reason_data = models.JSONField(default=dict, blank=True)
    health_checked_at = models.DateTimeField(_("health checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deliverable")
        verbose_name_plural = _("deliverables")
        ordering = ["internal_date", "position", "pk"]
        indexes = [models.Index(fields=["collective", "mission", "internal_date"])]

    def __str__(self):
        return self.title

    @property
    def health_reason_text(self) -> str:
        return deferred_or_text(self.health_reason_data, self.health_reason)

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.DELIVERED, self.Status.ACCEPTED)

    def delivered_on_time(self, time_zone=None) -> bool | None:
        """On time when delivered on or before the announced date; None while not delivered."""
        if not self.delivered_at:
            return None
        from django.utils import timezone

        delivered_on: date = timezone.localtime(self.delivered_at, time_zone).date()
        return delivered_on <= self.announced_date


class ClientRequest(models.Model):
    """Something the client asked or reported, centralised by the lead in the mission's inbox (seed, Conseil 1)."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        PLANNED = "planned", _("Turned into tasks")
        DECLINED = "declined", _("Declined")
        # With a context: in French, a request that is done is "handled", not "finished" like a task.
        DONE = "done", pgettext_lazy("client request status", "Done")

    class Source(models.TextChoices):
        LEAD = "lead", _("Recorded by the lead")
        PORTAL = "portal", _("Sent from the client portal")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="requests")
    contact = models.ForeignKey(
        "clients.ClientContact",
        verbose_name=pgettext_lazy("client request sender", "from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.LEAD)
    title = models.CharField(_("summary"), max_length=200)
    body = models.TextField(_("details"), blank=True, max_length=5000)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.NEW)
    decline_reason = models.TextField(_("reason for declining"), blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("client request")
        verbose_name_plural = _("client requests")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["collective", "mission", "status"])]

    def __str__(self):
        return self.title


class Task(models.Model):
    class Status(models.TextChoices):
        TODO = "todo", _("To do")
        DOING = "doing", _("Doing")
        REVIEW = "review", _("Review")
        DONE = "done", pgettext_lazy("task status", "Done")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="tasks")
    deliverable = models.ForeignKey(
        Deliverable,
        verbose_name=_("deliverable"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    request = models.ForeignKey(
        ClientRequest,
        verbose_name=_("client request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    required_role = models.CharField(_("role needed"), max_length=80, blank=True)
    estimate_hours = models.DecimalField(
        _("estimate (hours)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.TODO)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["collective", "mission", "status"]),
            models.Index(fields=["collective", "assignee", "status"]),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.DONE


class TaskAssignment(models.Model):
    """The history of who a task was given to; unsent rows feed the assignees' daily digest."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    digest_sent_at = models.DateTimeField(_("included in a digest at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task assignment")
        verbose_name_plural = _("task assignments")
        ordering = ["changed_at", "pk"]
        indexes = [models.Index(fields=["to_user", "digest_sent_at"])]


class DelayNotice(models.Model):
    """A new announced date sent to the client, with whether it came early enough for them to adapt."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="delay_notices")
    previous_date = models.DateField(_("previous announced date"))
    new_date = models.DateField(_("new announced date"))
    reason = models.TextField(_("reason"), max_length=2000)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    business_days_notice = models.IntegerField(_("business days of notice"))
    is_late = models.BooleanField(_("sent later than the minimum notice"))

    class Meta:
        verbose_name = _("delay notice")
        verbose_name_plural = _("delay notices")
        ordering = ["-sent_at"]


class MissionEvent(models.Model):
    """The mission's history, shown as a timeline."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Mission created")
        ACTIVATED = "activated", _("Mission activated")
        PAUSED = "paused", _("Mission paused")
        RESUMED = "resumed", _("Mission resumed")
        DELIVERED = "delivered", _("Mission delivered")
        CLOSED = "closed", _("Mission closed")
        LEAD_CHANGED = "lead_changed", _("Lead changed")
        MEMBER_ADDED = "member_added", _("Team member added")
        MEMBER_REMOVED = "member_removed", _("Team member removed")
        DELIVERABLE_ADDED = "deliverable_added", _("Deliverable added")
        DELIVERABLE_DELIVERED = "deliverable_delivered", _("Deliverable delivered")
        DELIVERABLE_ACCEPTED = "deliverable_accepted", _("Deliverable accepted")
        ANNOUNCED_DATE_CHANGED = "announced_date_changed", _("Announced date changed")
        HEALTH_CHANGED = "health_changed", _("Deliverable health changed")
        DELAY_NOTICE = "delay_notice", _("Delay notice sent")
        REQUEST_RECEIVED = "request_received", _("Client request received")
        REQUEST_TRIAGED = "request_triaged", _("Client request triaged")
        # Client communication: the kickoff and the progress recaps.
        KICKOFF_SENT = "kickoff_sent", _("Kickoff email sent")
        RECAP_SENT = "recap_sent", _("Progress recap sent")
        RECAP_SKIPPED = "recap_skipped", _("Progress recap skipped")
        # Calendar invitations: delivery calls and the weekly sync call.
        CALL_SCHEDULED = "call_scheduled", _("Delivery call scheduled")
        CALL_RESCHEDULED = "call_rescheduled", _("Delivery call rescheduled")
        CALL_CANCELLED = "call_cancelled", _("Delivery call cancelled")
        RITUAL_CALL_SENT = "ritual_call_sent", _("Weekly call invitation sent")
        RITUAL_CALL_STOPPED = "ritual_call_stopped", _("Weekly call stopped")
        # The async weekly ritual.
        RITUAL_VIDEO_POSTED = "ritual_video_posted", _("Weekly video posted")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=30, choices=Kind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    # The summary as data (see cordee.core.deferred_text), read in the reader's language.
    summary_data = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    is_flagged = models.BooleanField(
        _("flagged"), default=False, help_text=_("For example a late delay notice.")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mission event")
        verbose_name_plural = _("mission events")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["collective", "mission", "created_at"])]

    @property
    def summary_text(self) -> str:
        return deferred_or_text(self.summary_data, self.summary)


class CalendarFeedToken(models.Model):
    """A private, revocable iCal feed URL of a member's deadlines (only the token's hash is stored)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
