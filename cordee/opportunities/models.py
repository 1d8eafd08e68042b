from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Opportunity(models.Model):
    """A project proposed to the collective, followed through the pipeline until won or lost."""

    class Stage(models.TextChoices):
        NEW = "new", _("New")
        QUALIFIED = "qualified", _("Qualified")
        PROPOSAL_SENT = "proposal_sent", _("Proposal sent")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    class Budget(models.TextChoices):
        UNKNOWN = "unknown", _("I don't know yet")
        UNDER_5K = "lt5k", _("Under €5,000")
        FROM_5K_TO_15K = "5k-15k", _("€5,000 to €15,000")
        FROM_15K_TO_50K = "15k-50k", _("€15,000 to €50,000")
        OVER_50K = "gt50k", _("Over €50,000")

    class Source(models.TextChoices):
        PUBLIC_PAGE = "public_page", _("Public page")
        MANUAL = "manual", _("Entered by a member")

    collective = models.ForeignKey(
        "collectives.Collective", on_delete=models.CASCADE, related_name="opportunities"
    )
    contact_name = models.CharField(_("name"), max_length=150)
    contact_email = models.EmailField(_("email"))
    company = models.CharField(_("company"), max_length=150, blank=True)
    need = models.TextField(_("need"), max_length=5000)
    budget = models.CharField(_("budget"), max_length=10, choices=Budget, default=Budget.UNKNOWN)
    desired_start = models.DateField(_("desired start"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, default="fr")
    source = models.CharField(_("source"), max_length=20, choices=Source, default=Source.MANUAL)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage, default=Stage.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    next_action = models.CharField(_("next action"), max_length=200, blank=True)
    next_action_date = models.DateField(_("next action date"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["collective", "stage"])]

    def __str__(self):
        return f"{self.company or self.contact_name}: {self.need[:40]}"

    @property
    def is_open(self) -> bool:
        return self.stage not in (self.Stage.WON, self.Stage.LOST)


class OpportunityStageChange(models.Model):
    """The recorded history of an opportunity's moves through the pipeline."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("from"), max_length=20, choices=Opportunity.Stage, blank=True)
    to_stage = models.CharField(_("to"), max_length=20, choices=Opportunity.Stage)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["changed_at", "pk"]


class OpportunityChange(models.Model):
    """Who changed what in an opportunity's follow-up (owner, notes, next action): the pipeline is shared by
    every member, so each edit is kept with its author and the values before and after."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    # {field name: [value before, value after]}, values as text.
    fields = models.JSONField(_("changed fields"), default=dict)

    class Meta:
        verbose_name = _("opportunity change")
        verbose_name_plural = _("opportunity changes")
        ordering = ["changed_at", "pk"]
