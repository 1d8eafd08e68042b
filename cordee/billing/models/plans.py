"""Billing (seed, "Choisir son modèle de facturation"; INVOICING_FR.md sections 0, 1 and 6).

Legal sellers and their numbering series, the mission's billing plan in versions (milestone,
pay-as-you-go, performance bonus on top), quotes with the snapshots of what was issued, cap alerts and
overage approvals, and the monthly activity reports (CRA) of pay-as-you-go missions. Invoices and
payments build on these: a document always names one `LegalSeller` and snapshots its identity.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cordee.accounts.models import User
from cordee.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS

# the French e-invoicing rules reject any other character, and more than 35 of them.
DOCUMENT_NUMBER_PATTERN = r"^[A-Za-z0-9+\-_/]{1,35}$"
document_number_validator = RegexValidator(
    DOCUMENT_NUMBER_PATTERN,
    _("Use letters, digits and + - _ / only, 35 characters at most (no spaces)."),
)
prefix_validator = RegexValidator(
    r"^[A-Za-z0-9+\-_/]{1,12}$",
    _("Use 1 to 12 letters, digits or + - _ / (no spaces)."),
)
MAX_PAYMENT_DAYS = 60  # agreed maximum from the issue date.


def amount_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name, max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES, **kwargs
    )


def days_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=10, decimal_places=4, **kwargs)


class LegalSeller(models.Model):
    """Who an invoice or quote is legally issued by (R-0.1): a member's business or the collective's entity.

    A member's seller reads its identity from the member's profile (one place to keep up to date); an
    entity's identity is stored here. Issued documents snapshot it (`identity()`), so editing either never
    changes what was issued.
    """

    class Kind(models.TextChoices):
        MEMBER = "member", _("A member's business")
        ENTITY = "entity", _("The collective's legal entity")

    class EntityForm(models.TextChoices):
        SAS = "sas", _("SAS")
        SARL = "sarl", _("SARL")
        SCOP = "scop", _("SCOP")
        ASSOCIATION = "association", _("Association")
        GIE = "gie", _("GIE")
        COOPERATIVE = "cooperative", _("Cooperative")

    # The same regimes as a member's profile, which a member's business copies.
    VatRegime = User.VatRegime

    class PaymentTerms(models.TextChoices):
        DAYS = "days", _("A number of days after the issue date")
        END_OF_MONTH_45 = "eom45", _("45 days end of month")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The entity's identity (a member's comes from their profile).
    name = models.CharField(_("legal name"), max_length=150, blank=True)
    entity_form = models.CharField(_("legal form"), max_length=12, choices=EntityForm, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_regime = models.CharField(_("VAT regime"), max_length=12, choices=VatRegime, blank=True)
    vat_number = models.CharField(_("intra-EU VAT number"), max_length=20, blank=True)
    rcs_city = models.CharField(_("RCS city"), max_length=100, blank=True)
    share_capital = amount_field(_("share capital (€)"), null=True, blank=True)
    address_line = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    account_holder = models.CharField(_("account holder"), max_length=150, blank=True)
    # Payment defaults printed on quotes and invoices.
    payment_terms = models.CharField(
        _("payment terms"), max_length=8, choices=PaymentTerms, default=PaymentTerms.DAYS
    )
    payment_days = models.PositiveSmallIntegerField(
        _("days to pay"),
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_PAYMENT_DAYS)],
        help_text=_("At most 60 days after the issue date."),
    )
    late_penalty_rate = models.DecimalField(
        _("late-payment penalty rate (% a year)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.15"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("99"))],
    )
    early_payment_discount = models.CharField(
        _("early-payment discount"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty for “none”."),
    )
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("legal seller")
        verbose_name_plural = _("legal sellers")
        ordering = ["kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "user"],
                condition=Q(kind="member"),
                name="billing_seller_one_per_member",
            ),
            models.UniqueConstraint(
                fields=["collective"], condition=Q(kind="entity"), name="billing_seller_one_entity"
            ),
            models.CheckConstraint(
                condition=Q(kind="member", user__isnull=False) | Q(kind="entity", user__isnull=True),
                name="billing_seller_kind_matches_user",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def is_member(self) -> bool:
        return self.kind == self.Kind.MEMBER

    @property
    def display_name(self) -> str:
        if self.is_member:
            return self.user.business_name or self.user.display_name
        return self.name or str(_("The collective's entity"))


class NumberSeries(models.Model):
    """A continuous, gapless numbering per seller and document type (R-1.2, R-1.3), allocated at issue."""

    class DocumentType(models.TextChoices):
        QUOTE = "quote", _("Quote")
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    seller = models.ForeignKey(LegalSeller, on_delete=models.CASCADE, related_name="series")
    document_type = models.CharField(_("document"), max_length=12, choices=DocumentType)
    prefix = models.CharField(_("prefix"), max_length=12, validators=[prefix_validator])
    last_number = models.PositiveIntegerField(_("last number issued"), default=0)
    last_issued_on = models.DateField(_("last issue date"), null=True, blank=True)

    class Meta:
        verbose_name = _("numbering series")
        verbose_name_plural = _("numbering series")
        ordering = ["seller", "document_type"]
        constraints = [
            models.UniqueConstraint(fields=["seller", "document_type"], name="billing_series_unique")
        ]

    def __str__(self):
        return f"{self.prefix} ({self.get_document_type_display()})"


class BillingPlan(models.Model):
    """One version of a mission's billing plan. A version is never edited once proposed: a change is a new
    version (an amendment once a version was accepted)."""

    class Model(models.TextChoices):
        MILESTONE = "milestone", _("Milestone: a price per deliverable")
        PAY_AS_YOU_GO = "payg", _("Pay-as-you-go: the days consumed")

    # With a context: in French, a plan's status agrees in the masculine.
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("billing plan status", "Draft")
        PROPOSED = "proposed", pgettext_lazy("billing plan status", "Sent in a quote")
        ACTIVE = "active", pgettext_lazy("billing plan status", "Active")
        SUPERSEDED = "superseded", pgettext_lazy("billing plan status", "Replaced by a later version")

    class InvoicingMode(models.TextChoices):
        PER_MEMBER = "per_member", _("Each member invoices their share, all sent together")
        MANDATE = "mandate", _("Billing mandate: one member or the entity issues each member's invoice")
        LEAD_REINVOICES = "lead_reinvoices", _("The lead invoices everything, the others invoice the lead")
        ENTITY = "entity", _("The collective's legal entity invoices")

    class Cycle(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        TWICE_A_MONTH = "twice_monthly", _("Twice a month (1st and 16th)")

    class RateMode(models.TextChoices):
        MISSION = "mission", _("One day rate for the mission")
        PER_MEMBER = "per_member", _("A day rate per member")

    class MilestoneTrigger(models.TextChoices):
        DELIVERED = "delivered", _("When the deliverable is delivered")
        ACCEPTED = "accepted", _("When the client accepts the deliverable")

    class BonusKind(models.TextChoices):
        AMOUNT = "amount", _("A fixed amount")
        PERCENT = "percent", _("A percentage of the fixed part")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="billing_plans")
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    model = models.CharField(_("billing model"), max_length=10, choices=Model)
    invoicing_mode = models.CharField(
        _("invoicing mode"), max_length=16, choices=InvoicingMode, default=InvoicingMode.PER_MEMBER
    )
    # The seller of the quote, and of every invoice in the lead-re-invoices and entity modes.
    seller = models.ForeignKey(
        LegalSeller, verbose_name=_("seller"), on_delete=models.PROTECT, related_name="+"
    )
    # Milestone
    deposit_percent = models.DecimalField(
        _("deposit (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    milestone_trigger = models.CharField(
        _("invoiceable"), max_length=10, choices=MilestoneTrigger, default=MilestoneTrigger.DELIVERED
    )
    # Pay-as-you-go
    rate_mode = models.CharField(_("day rate"), max_length=10, choices=RateMode, default=RateMode.MISSION)
    mission_day_rate = amount_field(_("day rate of the mission (€, excl. VAT)"), null=True, blank=True)
    cycle = models.CharField(_("invoicing cycle"), max_length=14, choices=Cycle, default=Cycle.MONTHLY)
    cap_days = days_field(_("cap (days)"), null=True, blank=True)
    cap_alerts_client = models.BooleanField(_("also alert the client near the cap"), default=False)
    derisk_scope = models.CharField(_("de-risking phase: scope"), max_length=300, blank=True)
    derisk_price = amount_field(_("de-risking phase: fixed price (€, excl. VAT)"), null=True, blank=True)
    derisk_end_date = models.DateField(_("de-risking phase: end date"), null=True, blank=True)
    # Performance bonus, on top of the fixed part (never alone).
    bonus_kpi = models.CharField(_("bonus: KPI"), max_length=200, blank=True)
    bonus_target = models.CharField(_("bonus: target"), max_length=120, blank=True)
    bonus_kind = models.CharField(_("bonus: kind"), max_length=8, choices=BonusKind, blank=True)
    bonus_value = models.DecimalField(
        _("bonus: value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    bonus_measured_value = models.CharField(_("bonus: measured KPI"), max_length=120, blank=True)
    bonus_measured_at = models.DateTimeField(_("bonus: measured at"), null=True, blank=True)
    bonus_reached = models.BooleanField(_("bonus: target reached"), null=True, blank=True)
    note = models.CharField(_("note on this version"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)

    class Meta:
        verbose_name = _("billing plan")
        verbose_name_plural = _("billing plans")
        ordering = ["mission", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["mission", "version"], name="billing_plan_unique_version"),
            models.UniqueConstraint(
                fields=["mission"], condition=Q(status="active"), name="billing_plan_one_active"
            ),
        ]
        indexes = [models.Index(fields=["collective", "mission", "status"])]

    def __str__(self):
        return f"{self.mission} v{self.version}"

    @property
    def is_pay_as_you_go(self) -> bool:
        return self.model == self.Model.PAY_AS_YOU_GO

    @property
    def has_bonus(self) -> bool:
        return bool(self.bonus_kind)

    @property
    def has_derisk_phase(self) -> bool:
        return self.derisk_price is not None


class PlanDeliverable(models.Model):
    """A deliverable's fixed price in a milestone plan, with the estimate its overrun warning compares to."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(BillingPlan, on_delete=models.CASCADE, related_name="deliverable_prices")
    deliverable = models.ForeignKey("missions.Deliverable", on_delete=models.PROTECT, related_name="+")
    price = amount_field(_("price (€, excl. VAT)"))
    estimate_days = days_field(_("estimate (days)"), null=True, blank=True)

    class Meta:
        verbose_name = _("deliverable price")
        verbose_name_plural = _("deliverable prices")
        ordering = ["deliverable__internal_date", "deliverable__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "deliverable"], name="billing_plan_deliverable_unique")
        ]


class PlanMemberRate(models.Model):
    """A member's day rate in a pay-as-you-go plan priced per member."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(BillingPlan, on_delete=models.CASCADE, related_name="member_rates")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day_rate = amount_field(_("day rate (€, excl. VAT)"))

    class Meta:
        verbose_name = _("member day rate")
        verbose_name_plural = _("member day rates")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "user"], name="billing_plan_member_unique")]


class CapAlert(models.Model):
    """A cap threshold (50, 80, 100 %) reached by a pay-as-you-go plan: one row, hence one alert, per plan."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(BillingPlan, on_delete=models.CASCADE, related_name="cap_alerts")
    threshold = models.PositiveSmallIntegerField(_("threshold (%)"))
    consumed_days = days_field(_("days consumed"))
    created_at = models.DateTimeField(_("reached at"), auto_now_add=True)

    class Meta:
        verbose_name = _("cap alert")
        verbose_name_plural = _("cap alerts")
        ordering = ["plan", "threshold"]
        constraints = [models.UniqueConstraint(fields=["plan", "threshold"], name="billing_cap_alert_once")]


class OverageRequest(models.Model):
    """Days beyond the cap that the lead asks for; they become billable once the client approves them."""

    # With a context: in French, a request (demande) agrees in the feminine.
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("overage status", "Waiting for the client")
        APPROVED = "approved", pgettext_lazy("overage status", "Approved")
        DECLINED = "declined", pgettext_lazy("overage status", "Declined")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(BillingPlan, on_delete=models.CASCADE, related_name="overages")
    days = days_field(_("extra days"))
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    answered_by = models.ForeignKey(
        "clients.ClientContact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("overage request")
        verbose_name_plural = _("overage requests")
        ordering = ["-requested_at", "-pk"]


class Quote(models.Model):
    """A quote (devis) proposing one plan version. Once sent it is a document: its number, snapshots, lines,
    totals and PDF never change; a revision is a new quote that supersedes it."""

    # With a context: in French, a quote (devis) agrees in the masculine.
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("quote status", "Draft")
        SENT = "sent", pgettext_lazy("quote status", "Sent")
        ACCEPTED = "accepted", pgettext_lazy("quote status", "Accepted")
        DECLINED = "declined", pgettext_lazy("quote status", "Declined")
        SUPERSEDED = "superseded", pgettext_lazy("quote status", "Revised")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="quotes")
    plan = models.ForeignKey(BillingPlan, on_delete=models.PROTECT, related_name="quotes")
    seller = models.ForeignKey(LegalSeller, on_delete=models.PROTECT, related_name="quotes")
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    is_amendment = models.BooleanField(_("amendment"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    number = models.CharField(_("number"), max_length=35, blank=True, validators=[document_number_validator])
    issued_on = models.DateField(_("issue date"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"))
    seller_snapshot = models.JSONField(_("seller at issue"), default=dict, blank=True)
    client_snapshot = models.JSONField(_("client at issue"), default=dict, blank=True)
    lines = models.JSONField(_("lines"), default=list, blank=True)
    total_excl_vat = amount_field(_("total excl. VAT"), default=Decimal("0.00"))
    vat_amount = amount_field(_("VAT"), default=Decimal("0.00"))
    total_incl_vat = amount_field(_("total incl. VAT"), default=Decimal("0.00"))
    pdf = models.BinaryField(_("PDF"), null=True, blank=True, editable=False)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # "Bon pour accord": who accepted, when, from where, and the hash of the exact PDF they saw.
    accepted_by = models.ForeignKey(
        "clients.ClientContact", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_name = models.CharField(_("name typed on acceptance"), max_length=150, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    accepted_user_agent = models.CharField(_("browser"), max_length=400, blank=True)
    accepted_pdf_sha256 = models.CharField(_("SHA-256 of the PDF accepted"), max_length=64, blank=True)
    declined_reason = models.TextField(_("reason for declining"), max_length=2000, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["seller", "number"], condition=~Q(number=""), name="billing_quote_unique_number"
            ),
        ]
        indexes = [models.Index(fields=["collective", "mission", "status"])]

    def __str__(self):
        return self.number or str(_("Draft quote"))

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.SENT

    @property
    def has_total(self) -> bool:
        """False for time and materials with nothing fixed: the quote gives day rates, never a zero total."""
        return self.total_excl_vat > 0

    @property
    def bills_days_as_consumed(self) -> bool:
        """Whether some lines are day rates invoiced as consumed, outside the total."""
        items = self.lines.get("items", []) if isinstance(self.lines, dict) else []
        return any(not line["amount"] for line in items)


class ActivityReport(models.Model):
    """The monthly activity report (CRA) of a pay-as-you-go mission: days per member for one period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft, to review")
        SENT = "sent", _("Sent to the client")
        VALIDATED = "validated", _("Validated by the client")
        DISPUTED = "disputed", _("Disputed by the client")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="activity_reports")
    plan = models.ForeignKey(BillingPlan, on_delete=models.PROTECT, related_name="activity_reports")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    # [{"user_id", "name", "hours", "days", "day_rate", "amount"}], frozen when sent.
    lines = models.JSONField(_("lines"), default=list, blank=True)
    total_days = days_field(_("days"), default=Decimal("0"))
    total_amount = amount_field(_("amount (€, excl. VAT)"), default=Decimal("0.00"))
    # What the report was computed from: validation is refused if the time changed since.
    time_fingerprint = models.CharField(max_length=64, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        "clients.ClientContact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    dispute_comment = models.TextField(_("comment"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity report")
        verbose_name_plural = _("activity reports")
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "period_start"],
                condition=~Q(status="disputed"),
                name="billing_report_one_per_period",
            )
        ]
