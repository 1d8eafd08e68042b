"""Continuous client feedback (seed, Conseil 3): surveys, responses, follow-up calls, improvement plans."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_score(value: int) -> None:
    """0 to 10, without 7: the seed forbids the comfortable, meaningless 7."""
    if value == 7:
        raise ValidationError(_("7 is not a possible answer: choose 6 or 8."), code="seven")


class Survey(models.Model):
    """One round of the satisfaction survey for a mission (day 14, then every 30 days, or after an acceptance)."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Scheduled")
        DELIVERABLE_ACCEPTED = "deliverable_accepted", _("Deliverable accepted")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="surveys")
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger, default=Trigger.SCHEDULE)
    # The scheduled day this round belongs to (start + 14, + 44, …), or the acceptance day: one round per
    # mission and day, whatever the restarts or concurrent ticks.
    due_date = models.DateField(_("due on"))
    deliverable = models.ForeignKey(
        "missions.Deliverable", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-due_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "due_date", "trigger"], name="survey_one_per_mission_day"
            )
        ]
        indexes = [models.Index(fields=["collective", "mission", "due_date"])]


class SurveyInvitation(models.Model):
    """A contact's personal link to a survey round; the token is stored hashed."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(
        "clients.ClientContact", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(fields=["survey", "contact"], name="survey_invitation_one_per_contact")
        ]


class FeedbackOptOut(models.Model):
    """A contact who clicked "no more surveys": none is sent to them again."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    contact = models.OneToOneField(
        "clients.ClientContact", on_delete=models.CASCADE, related_name="feedback_opt_out"
    )
    created_at = models.DateTimeField(_("opted out at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey opt-out")
        verbose_name_plural = _("survey opt-outs")


class SurveyResponse(models.Model):
    class Ranking(models.TextChoices):
        TOP_1 = "top1", _("Top 1 %")
        TOP_10 = "top10", _("Top 10 %")
        TOP_25 = "top25", _("Top 25 %")
        TOP_50 = "top50", _("Top 50 %")
        SECOND_HALF = "second_half", _("Second half")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    contact = models.ForeignKey(
        "clients.ClientContact", on_delete=models.CASCADE, related_name="survey_responses"
    )
    appreciated = models.JSONField(_("3 things appreciated most"), default=list, blank=True)
    improvements = models.JSONField(_("3 improvement points"), default=list, blank=True)
    score = models.PositiveSmallIntegerField(
        _("likelihood to recommend (0–10)"),
        validators=[MinValueValidator(0), MaxValueValidator(10), validate_score],
    )
    ranking = models.CharField(_("compared with other providers"), max_length=12, choices=Ranking)
    comment = models.TextField(_("comment"), blank=True, max_length=5000)
    improvements_unclear = models.BooleanField(
        _("improvement points unclear"), default=False, help_text=_("Marked by the lead: worth a call.")
    )
    submitted_at = models.DateTimeField(_("answered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "contact"], name="survey_response_one_per_contact"),
            models.CheckConstraint(
                condition=~models.Q(score=7) & models.Q(score__lte=10), name="survey_score_not_7"
            ),
        ]
        indexes = [models.Index(fields=["collective", "survey"])]


class FollowUpCall(models.Model):
    """A 30-minute call asked of the client after a worrying answer (seed: under 8, outside the top 10 %…)."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SCHEDULED = "scheduled", _("Scheduled")
        DONE = "done", _("Done")
        DECLINED = "declined", _("Declined")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    response = models.OneToOneField(SurveyResponse, on_delete=models.CASCADE, related_name="follow_up")
    reasons = models.JSONField(_("reasons"), default=list)
    proposed_slots = models.JSONField(_("proposed slots"), default=list)  # ISO datetimes, aware
    chosen_slot = models.DateTimeField(_("chosen slot"), null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.REQUESTED)
    task = models.ForeignKey(
        "missions.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    calendar_uid = models.CharField(max_length=200, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up call")
        verbose_name_plural = _("follow-up calls")


class ImprovementPlan(models.Model):
    """The lead's answer to the improvement points: initiatives, sent to the client (seed, step 5)."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="improvement_plans"
    )
    survey = models.ForeignKey(Survey, on_delete=models.SET_NULL, null=True, blank=True, related_name="plans")
    message = models.TextField(_("message to the client"), blank=True, max_length=5000)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("improvement plan")
        verbose_name_plural = _("improvement plans")
        ordering = ["-created_at"]


class Initiative(models.Model):
    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="initiatives")
    what = models.CharField(_("initiative"), max_length=300)
    improvement_point = models.CharField(_("answers the point"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    due_date = models.DateField(_("due date"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["due_date", "pk"]
