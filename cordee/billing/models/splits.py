"""Revenue splits (seed, "Répartir les revenus entre les membres"; DESIGN.md journey F).

Every invoiceable amount (a delivered milestone, a validated activity period, a bonus, the deposit of an
accepted quote) is split between the
members concerned, and optionally the collective's common fund and a business referrer, before it can be
invoiced. A split is a version: once proposed it is never edited, a change is a new version that supersedes
it and needs everyone's approval again. Shares always add up to the split's amount, to the cent.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cordee.billing.models.plans import ActivityReport, BillingPlan, amount_field
from cordee.core.money import round_quantity

PERCENT_DECIMAL_PLACES = 4


def percent_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=7,
        decimal_places=PERCENT_DECIMAL_PLACES,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        **kwargs,
    )


class RevenueSplit(models.Model):
    """One version of the split of one invoiceable amount between the people it pays."""

    class Source(models.TextChoices):
        DELIVERABLE = "deliverable", _("A delivered milestone")
        ACTIVITY_REPORT = "activity_report", _("A validated activity period")
        BONUS = "bonus", _("The performance bonus")
        DEPOSIT = "deposit", _("The deposit invoiced on acceptance of the quote")

    class Method(models.TextChoices):
        TIME_RATE = "time_rate", _("Time logged × day rate (project management included)")
        AGREED_BEFORE = "agreed_before", _("Shares agreed before the work")
        AGREED_AFTER_TIME = "agreed_after_time", _("Shares agreed after delivery, from the time invested")
        BONUS_WEIGHTS = "bonus_weights", _("Bonus by contribution weights")

    # With a context: in French, a split (répartition) agrees in the feminine.
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("split status", "Draft")
        PROPOSED = "proposed", pgettext_lazy("split status", "Waiting for approvals")
        APPROVED = "approved", pgettext_lazy("split status", "Approved")
        SUPERSEDED = "superseded", pgettext_lazy("split status", "Replaced by a later version")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="revenue_splits")
    plan = models.ForeignKey(
        BillingPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="revenue_splits"
    )
    source = models.CharField(pgettext_lazy("revenue split", "what is split"), max_length=16, choices=Source)
    deliverable = models.ForeignKey(
        "missions.Deliverable", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activity_report = models.ForeignKey(
        ActivityReport, on_delete=models.PROTECT, null=True, blank=True, related_name="revenue_splits"
    )
    amount = amount_field(_("amount split (€, excl. VAT)"))
    method = models.CharField(pgettext_lazy("revenue split", "method"), max_length=18, choices=Method)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    # The common fund's and the referrer's percentages, taken first (their shares hold them too).
    common_fund_percent = percent_field(_("common fund (%)"), default=0)
    referrer_percent = percent_field(_("business referrer (%)"), default=0)
    note = models.CharField(_("note on this version"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("revenue split")
        verbose_name_plural = _("revenue splits")
        ordering = ["mission", "source", "-version", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(source="deliverable", deliverable__isnull=False, activity_report__isnull=True)
                    | Q(source="activity_report", activity_report__isnull=False, deliverable__isnull=True)
                    | Q(
                        source__in=["bonus", "deposit"],
                        plan__isnull=False,
                        deliverable__isnull=True,
                        activity_report__isnull=True,
                    )
                ),
                name="billing_split_exactly_one_source",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_split_amount_positive"),
            models.CheckConstraint(
                condition=Q(common_fund_percent__gte=0)
                & Q(referrer_percent__gte=0)
                & Q(common_fund_percent__lt=100 - F("referrer_percent")),
                name="billing_split_fund_referrer_below_100",
            ),
            # One approved split per source at a time.
            models.UniqueConstraint(
                fields=["deliverable"],
                condition=Q(source="deliverable", status="approved"),
                name="billing_split_one_approved_deliverable",
            ),
            models.UniqueConstraint(
                fields=["activity_report"],
                condition=Q(source="activity_report", status="approved"),
                name="billing_split_one_approved_report",
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(source="bonus", status="approved"),
                name="billing_split_one_approved_bonus",
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(source="deposit", status="approved"),
                name="billing_split_one_approved_deposit",
            ),
            # And one current version (draft, proposed or approved): a change supersedes the previous one.
            models.UniqueConstraint(
                fields=["deliverable"],
                condition=Q(source="deliverable") & ~Q(status="superseded"),
                name="billing_split_one_current_deliverable",
            ),
            models.UniqueConstraint(
                fields=["activity_report"],
                condition=Q(source="activity_report") & ~Q(status="superseded"),
                name="billing_split_one_current_report",
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(source="bonus") & ~Q(status="superseded"),
                name="billing_split_one_current_bonus",
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(source="deposit") & ~Q(status="superseded"),
                name="billing_split_one_current_deposit",
            ),
        ]
        indexes = [models.Index(fields=["collective", "mission", "status"])]

    def __str__(self):
        return f"{self.get_source_display()} v{self.version}"

    @property
    def is_current(self) -> bool:
        return self.status != self.Status.SUPERSEDED

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def status_badge(self) -> str:
        """The badge style of the status (the colours the other documents use)."""
        return {self.Status.PROPOSED: "pending", self.Status.APPROVED: "active"}.get(self.status, self.status)


class SplitShare(models.Model):
    """What one beneficiary of a split receives, with the figures it was computed from."""

    class Kind(models.TextChoices):
        MEMBER = "member", pgettext_lazy("revenue split", "Member")
        COMMON_FUND = "common_fund", _("The collective's common fund")
        REFERRER = "referrer", _("Business referrer")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    split = models.ForeignKey(RevenueSplit, on_delete=models.CASCADE, related_name="shares")
    kind = models.CharField(
        pgettext_lazy("revenue split", "beneficiary"), max_length=12, choices=Kind, default=Kind.MEMBER
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    label = models.CharField(_("name"), max_length=150, blank=True)
    # The basis: minutes logged and day rate (time × rate), a weight (bonus) or a percent (agreed shares,
    # common fund, referrer). Only the numbers the method used are set.
    minutes = models.PositiveIntegerField(
        pgettext_lazy("revenue split", "minutes logged"), null=True, blank=True
    )
    rate = amount_field(_("day rate (€, excl. VAT)"), null=True, blank=True)
    weight = models.DecimalField(
        pgettext_lazy("revenue split", "weight"),
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    percent = percent_field(pgettext_lazy("revenue split", "share (%)"), null=True, blank=True)
    amount = amount_field(_("amount (€, excl. VAT)"))

    class Meta:
        verbose_name = _("split share")
        verbose_name_plural = _("split shares")
        ordering = ["split", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="billing_share_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(kind="member", user__isnull=False)
                | Q(kind="common_fund", user__isnull=True)
                | (Q(kind="referrer") & ~Q(label="")),
                name="billing_share_kind_matches_beneficiary",
            ),
            models.UniqueConstraint(
                fields=["split", "user"], condition=Q(kind="member"), name="billing_share_one_per_member"
            ),
            models.UniqueConstraint(
                fields=["split"], condition=Q(kind="common_fund"), name="billing_share_one_common_fund"
            ),
            models.UniqueConstraint(
                fields=["split"], condition=Q(kind="referrer"), name="billing_share_one_referrer"
            ),
        ]
        indexes = [models.Index(fields=["collective", "user"])]

    def __str__(self):
        return f"{self.display_name}: {self.amount}"

    @property
    def hours(self) -> Decimal | None:
        return None if self.minutes is None else round_quantity(Decimal(self.minutes) / 60)

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.MEMBER:
            return self.user.display_name if self.user_id else self.label
        if self.kind == self.Kind.COMMON_FUND:
            return str(self.Kind.COMMON_FUND.label)
        return self.label


class SplitApproval(models.Model):
    """One member's decision on one split version. Decisions are appended, never edited: a member who
    changes their mind adds a row, and the latest row is their answer."""

    class Decision(models.TextChoices):
        APPROVE = "approve", pgettext_lazy("revenue split", "Approve")
        REJECT = "reject", pgettext_lazy("revenue split", "Reject")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    split = models.ForeignKey(RevenueSplit, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(pgettext_lazy("revenue split", "decision"), max_length=8, choices=Decision)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        verbose_name = _("split approval")
        verbose_name_plural = _("split approvals")
        ordering = ["split", "decided_at", "pk"]
        indexes = [models.Index(fields=["collective", "split", "user"])]

    def __str__(self):
        return f"{self.user} {self.decision}"
