"""Over-communicating with the client (seed, Conseil 2): recaps, the weekly ritual, delivery calls, and the
collective's own rituals."""

import uuid
from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_calendar_uid() -> str:
    """A stable iCalendar UID: it identifies the event across every update and cancellation."""
    return f"{uuid.uuid4()}@{settings.EMAIL_SENDER_DOMAIN}"


class Recap(models.Model):
    """A progress recap for the client, drafted from the mission's data, reviewed and sent by the lead."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="recaps")
    # The scheduled slot this draft belongs to (a date of the mission's recap weekdays); empty for a
    # recap the lead wrote on their own initiative. One draft per slot, whatever the restarts.
    slot_date = models.DateField(_("scheduled for"), null=True, blank=True)
    period_start = models.DateTimeField(_("covers changes since"))
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.DRAFT)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), max_length=20_000)
    # The drafted text, to tell whether the lead touched it (untouched drafts may be sent automatically).
    drafted_body = models.TextField(blank=True)
    dates_hold = models.BooleanField(_("dates hold"), default=True)
    created_at = models.DateTimeField(_("drafted at"), auto_now_add=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_automatically = models.BooleanField(_("sent automatically"), default=False)

    class Meta:
        verbose_name = _("recap")
        verbose_name_plural = _("recaps")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "slot_date"],
                condition=models.Q(slot_date__isnull=False),
                name="recap_one_per_slot",
            )
        ]
        indexes = [models.Index(fields=["collective", "mission", "state"])]

    def __str__(self):
        return self.subject

    @property
    def is_edited(self) -> bool:
        return self.body != self.drafted_body


class Ritual(models.Model):
    """The mission's weekly client ritual: a recurring call (a calendar invitation) or an async video."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.OneToOneField("missions.Mission", on_delete=models.CASCADE, related_name="ritual")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), default=0, validators=[MaxValueValidator(6)], help_text=_("0 is Monday.")
    )
    start_time = models.TimeField(_("time"), default=time(9, 30))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    video_link = models.URLField(_("video call link"), blank=True)
    first_date = models.DateField(_("first call on"), null=True, blank=True)
    # iCalendar identity: the UID never changes; SEQUENCE goes up on every change sent.
    calendar_uid = models.CharField(max_length=200, default=new_calendar_uid, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("weekly ritual")
        verbose_name_plural = _("weekly rituals")


class RitualVideo(models.Model):
    """The async ritual: each week the lead posts a short video and a summary for the client."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="ritual_videos")
    week_start = models.DateField(_("week of"))  # the Monday of the week
    video_link = models.URLField(_("video link"))
    summary = models.TextField(_("summary"), max_length=3000)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("weekly video")
        verbose_name_plural = _("weekly videos")
        ordering = ["-week_start"]
        constraints = [
            models.UniqueConstraint(fields=["mission", "week_start"], name="ritual_video_one_per_week")
        ]


class DeliveryCall(models.Model):
    """A call for a delivery (seed: "Prévoyez un appel pour chacune des livraisons"), sent as an invitation."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="delivery_calls")
    deliverable = models.ForeignKey(
        "missions.Deliverable",
        verbose_name=_("deliverable"),
        on_delete=models.CASCADE,
        related_name="delivery_calls",
    )
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    video_link = models.URLField(_("video call link"), blank=True)
    organizer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attendee_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("team attendees")
    )
    attendee_contacts = models.ManyToManyField(
        "clients.ClientContact", blank=True, related_name="delivery_calls", verbose_name=_("client attendees")
    )
    calendar_uid = models.CharField(max_length=200, default=new_calendar_uid, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("delivery call")
        verbose_name_plural = _("delivery calls")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["collective", "mission", "starts_at"])]

    @property
    def has_started(self) -> bool:
        from django.utils import timezone

        return self.starts_at <= timezone.now()


class CollectiveEvent(models.Model):
    """The collective's own rituals outside missions: weekly calls, meetups, trips (seed, last section)."""

    class Recurrence(models.TextChoices):
        NONE = "", _("Does not repeat")
        WEEKLY = "weekly", _("Every week")
        BIWEEKLY = "biweekly", _("Every two weeks")
        MONTHLY = "monthly", _("Every month")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="events")
    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), default=60, validators=[MinValueValidator(5)]
    )
    location = models.CharField(_("place"), max_length=200, blank=True)
    video_link = models.URLField(_("video call link"), blank=True)
    recurrence = models.CharField(_("repeats"), max_length=10, choices=Recurrence, blank=True, default="")
    repeat_until = models.DateField(_("until"), null=True, blank=True)
    # The end of the last occurrence (empty for a series without end), kept by the services so that
    # upcoming and past events are told apart in SQL.
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True, editable=False)
    calendar_uid = models.CharField(max_length=200, default=new_calendar_uid, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("collective event")
        verbose_name_plural = _("collective events")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["collective", "starts_at"])]

    def __str__(self):
        return self.title


class EventResponse(models.Model):
    class Answer(models.TextChoices):
        YES = "yes", _("Going")
        MAYBE = "maybe", _("Maybe")
        NO = "no", _("Not going")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(CollectiveEvent, on_delete=models.CASCADE, related_name="responses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(_("answer"), max_length=5, choices=Answer)
    answered_at = models.DateTimeField(_("answered at"), auto_now=True)

    class Meta:
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="event_response_one_per_user")]


class EventFeedToken(models.Model):
    """A member's private calendar URL of their collective's rituals (only the token's hash is stored)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rituals calendar feed")
        verbose_name_plural = _("rituals calendar feeds")
        constraints = [
            models.UniqueConstraint(fields=["collective", "user"], name="event_feed_one_per_member")
        ]
