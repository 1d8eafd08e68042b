"""Invoices and credit notes (INVOICING_FR.md sections 1, 2.3 and 6), billing mandates and the batches of
invoices sent to a client together.

An invoice has exactly one legal seller (R-0.1). Drafts carry no number; issuing numbers it in the seller's
series, snapshots the seller and the buyer, freezes its lines and totals and stores its PDF and XML with
their SHA-256 (R-0.4). From then on only the payment fields and the status change: a correction is a credit
note (381) that references the invoice it corrects (R-1.7).
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .plans import ActivityReport, BillingPlan, LegalSeller, amount_field, document_number_validator

QUANTITY_DECIMAL_PLACES = 4  # BR-FR-DEC-02
UNIT_PRICE_DECIMAL_PLACES = 6  # BR-FR-DEC-03


class InvoiceImmutable(ValidationError):
    """An issued invoice, its lines or its files were about to change."""


class BillingMandate(models.Model):
    """A member's express, written, prior mandate for another seller (the lead's business or the entity) to
    issue their invoices "au nom et pour le compte de" them (INVOICING_FR.md section 6, model B, R-6.2)."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    # The member's seller, in whose name and on whose behalf the invoices are issued.
    seller = models.ForeignKey(
        LegalSeller, verbose_name=_("member"), on_delete=models.PROTECT, related_name="mandates_given"
    )
    # Who issues them: another member's business or the collective's entity.
    issuer = models.ForeignKey(
        LegalSeller, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="mandates_held"
    )
    signed_on = models.DateField(_("signed on"))
    scope = models.CharField(_("scope"), max_length=300)
    contest_days = models.PositiveSmallIntegerField(
        _("days to contest an invoice"),
        default=15,
        help_text=_("How long the member has to contest an invoice issued in their name."),
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    document = models.FileField(
        _("signed mandate"), upload_to="billing/mandates/", max_length=200, null=True, blank=True
    )
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("billing mandate")
        verbose_name_plural = _("billing mandates")
        ordering = ["-signed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(seller=models.F("issuer")), name="billing_mandate_issuer_is_another_seller"
            ),
        ]
        indexes = [models.Index(fields=["collective", "seller", "issuer"])]

    def __str__(self):
        return f"{self.issuer} → {self.seller}"

    def is_active_on(self, day) -> bool:
        return (
            self.archived_at is None
            and self.signed_on <= day
            and (self.valid_until is None or day <= self.valid_until)
        )


class InvoiceBatch(models.Model):
    """The invoices of one mission and one milestone or period, sent to the client together: one email with
    every PDF, one portal page with each seller's amount due and IBAN."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="invoice_batches")
    plan = models.ForeignKey(BillingPlan, on_delete=models.PROTECT, related_name="invoice_batches")
    deliverable = models.ForeignKey(
        "missions.Deliverable", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activity_report = models.ForeignKey(
        ActivityReport, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("to"), null=True, blank=True)
    label = models.CharField(_("what is invoiced"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The outbox's idempotency key of the email that carried the batch.
    email_key = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("invoice batch")
        verbose_name_plural = _("invoice batches")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["collective", "mission"])]

    def __str__(self):
        return self.label


# A credit note is never cancelled: only drafts and issued ones need their own wording.
CREDIT_NOTE_STATUS_LABELS = {
    "draft": pgettext_lazy("credit note status", "Draft"),
    "issued": pgettext_lazy("credit note status", "Issued"),
}


class Invoice(models.Model):
    """An invoice (380) or credit note (381) with one legal seller.

    The buyer is the mission's client, or, in the lead-re-invoices and entity modes, the seller (lead or
    entity) a member invoices for their share. Under a billing mandate `issuer` and `mandate` say who issued
    it in the seller's name; the number still comes from the seller's series (R-6.2).
    """

    class DocumentType(models.TextChoices):
        INVOICE = "380", _("Invoice")
        CREDIT_NOTE = "381", _("Credit note")

    # With a context: in French, an invoice (facture) agrees in the feminine.
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("invoice status", "Draft")
        ISSUED = "issued", pgettext_lazy("invoice status", "Issued")
        CANCELLED = "cancelled", pgettext_lazy("invoice status", "Cancelled by a credit note")

    class PaymentStatus(models.TextChoices):
        OPEN = "open", pgettext_lazy("invoice payment", "Not paid")
        PARTLY_PAID = "partly_paid", pgettext_lazy("invoice payment", "Partly paid")
        PAID = "paid", pgettext_lazy("invoice payment", "Paid")
        OVERPAID = "overpaid", pgettext_lazy("invoice payment", "Overpaid")

    # What the invoice is for. A deposit invoice (facture d'acompte) is a prepayment invoice, BT-3 386 in
    # its XML; the later invoices of its seller to the same buyer deduct it (BT-113).
    class Kind(models.TextChoices):
        SERVICES = "services", _("Services: a milestone or a period")
        DEPOSIT = "deposit", _("Deposit invoice")
        BONUS = "bonus", _("Performance bonus")

    # the "BAR" note of the CII (BR-FR-20).
    class Flow(models.TextChoices):
        B2B = "B2B", _("Business in France (e-invoice)")
        B2BINT = "B2BINT", _("Business abroad (e-reporting)")
        B2C = "B2C", _("Consumer in France (e-reporting)")
        B2CINT = "B2CINT", _("Consumer abroad (e-reporting)")
        OUTOFSCOPE = "OUTOFSCOPE", _("Out of scope")
        ARCHIVEONLY = "ARCHIVEONLY", _("Archive only")

    # the first letter of BT-23.
    class OperationNature(models.TextChoices):
        SERVICES = "S", _("Services")
        GOODS = "B", _("Goods")
        MIXED = "M", _("Goods and services")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    mission = models.ForeignKey("missions.Mission", on_delete=models.PROTECT, related_name="invoices")
    plan = models.ForeignKey(BillingPlan, on_delete=models.PROTECT, related_name="invoices")
    batch = models.ForeignKey(
        InvoiceBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    # The approved revenue split the invoice was drafted from: it can no longer change once invoiced.
    split = models.ForeignKey(
        "billing.RevenueSplit", on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    # What is invoiced: a milestone, or the period of an activity report.
    deliverable = models.ForeignKey(
        "missions.Deliverable", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activity_report = models.ForeignKey(
        ActivityReport, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    seller = models.ForeignKey(
        LegalSeller, verbose_name=_("seller"), on_delete=models.PROTECT, related_name="invoices"
    )
    issuer = models.ForeignKey(
        LegalSeller,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices_issued_for_others",
    )
    mandate = models.ForeignKey(
        BillingMandate, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    buyer_seller = models.ForeignKey(
        LegalSeller, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices_received"
    )
    document_type = models.CharField(
        _("document"), max_length=3, choices=DocumentType, default=DocumentType.INVOICE
    )
    kind = models.CharField(
        pgettext_lazy("invoice", "kind"), max_length=10, choices=Kind, default=Kind.SERVICES
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    number = models.CharField(_("number"), max_length=35, blank=True, validators=[document_number_validator])
    issued_on = models.DateField(_("issue date"), null=True, blank=True)
    # Date of supply (R-1.1 row 4) and the period invoiced, when not the issue date.
    supplied_on = models.DateField(_("date of supply"), null=True, blank=True)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    seller_snapshot = models.JSONField(_("seller at issue"), default=dict, blank=True)
    buyer_snapshot = models.JSONField(_("buyer at issue"), default=dict, blank=True)
    issuer_snapshot = models.JSONField(_("issuer at issue"), default=dict, blank=True)
    flow = models.CharField(_("flow"), max_length=12, choices=Flow, default=Flow.B2B)
    operation_nature = models.CharField(
        _("nature of the operation"), max_length=1, choices=OperationNature, default=OperationNature.SERVICES
    )
    # BT-23, "cadre de facturation" (S1 normal services invoice, S2 already paid, S4 final, …).
    invoicing_frame = models.CharField(_("invoicing frame"), max_length=3, default="S1")
    vat_on_debits = models.BooleanField(_("VAT on debits"), default=False)
    purchase_order = models.CharField(_("purchase order"), max_length=50, blank=True)
    language = models.CharField(_("language"), max_length=8, default="fr")
    note = models.CharField(_("note"), max_length=500, blank=True)
    total_excl_tax = amount_field(_("total excl. VAT"), default=Decimal("0.00"))
    total_tax = amount_field(_("VAT"), default=Decimal("0.00"))
    total_incl_tax = amount_field(_("total incl. VAT"), default=Decimal("0.00"))
    # Per VAT category and rate: [{"category", "rate", "base", "tax", "exemption_reason", "exemption_code"}].
    tax_breakdown = models.JSONField(_("VAT per rate"), default=list, blank=True)
    # The deposit invoice this invoice deducts (BT-25) and how much of it (incl. VAT, BT-113): the amount
    # due is the total less it (BT-115).
    deposit_invoice = models.ForeignKey(
        "self",
        verbose_name=_("deposit deducted"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deducted_by",
    )
    prepaid_amount = amount_field(_("deposit deducted (incl. VAT)"), default=Decimal("0.00"))
    # What credit notes took off this invoice (incl. VAT); a full credit note cancels it.
    amount_credited = amount_field(_("credited"), default=Decimal("0.00"))
    # Payments (kept up to date by the payments area).
    amount_paid = amount_field(_("paid"), default=Decimal("0.00"))
    payment_status = models.CharField(
        _("payment"), max_length=12, choices=PaymentStatus, default=PaymentStatus.OPEN
    )
    disputed = models.BooleanField(_("disputed"), default=False)
    reminders_paused = models.BooleanField(_("reminders paused"), default=False)
    # The issued files, as quotes keep their PDF: Factur-X PDF/A-3 and its CII XML.
    pdf = models.BinaryField(_("PDF"), null=True, blank=True, editable=False)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    xml = models.BinaryField(_("XML"), null=True, blank=True, editable=False)
    xml_sha256 = models.CharField(_("SHA-256 of the XML"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    # What may still change once issued: the status, the credits and payments, and when it was sent.
    CHANGEABLE_AFTER_ISSUE = frozenset(
        {
            "status",
            "cancelled_at",
            "amount_credited",
            "amount_paid",
            "payment_status",
            "disputed",
            "reminders_paused",
            "sent_at",
            "batch",
        }
    )

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["seller", "number"], condition=~Q(number=""), name="billing_invoice_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(client__isnull=False, buyer_seller__isnull=True)
                | Q(client__isnull=True, buyer_seller__isnull=False),
                name="billing_invoice_one_buyer",
            ),
            models.CheckConstraint(
                condition=Q(document_type="380", corrects__isnull=True)
                | Q(document_type="381", corrects__isnull=False),
                name="billing_invoice_credit_note_corrects",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", number="") | (~Q(status="draft") & ~Q(number="")),
                name="billing_invoice_numbered_when_issued",
            ),
            models.CheckConstraint(
                condition=Q(mandate__isnull=True) | Q(issuer__isnull=False),
                name="billing_invoice_mandate_has_issuer",
            ),
            # One live invoice per seller and buyer for a milestone or a period (R: never invoiced twice).
            models.UniqueConstraint(
                fields=["seller", "deliverable"],
                condition=Q(document_type="380", deliverable__isnull=False, buyer_seller__isnull=True)
                & ~Q(status="cancelled"),
                name="billing_invoice_once_per_milestone",
            ),
            models.UniqueConstraint(
                fields=["seller", "deliverable", "buyer_seller"],
                condition=Q(document_type="380", deliverable__isnull=False, buyer_seller__isnull=False)
                & ~Q(status="cancelled"),
                name="billing_invoice_once_per_milestone_to_seller",
            ),
            models.UniqueConstraint(
                fields=["seller", "activity_report"],
                condition=Q(document_type="380", activity_report__isnull=False, buyer_seller__isnull=True)
                & ~Q(status="cancelled"),
                name="billing_invoice_once_per_period",
            ),
            models.UniqueConstraint(
                fields=["seller", "activity_report", "buyer_seller"],
                condition=Q(document_type="380", activity_report__isnull=False, buyer_seller__isnull=False)
                & ~Q(status="cancelled"),
                name="billing_invoice_once_per_period_to_seller",
            ),
            # The deposit and the bonus of a plan: once per seller and buyer too.
            models.UniqueConstraint(
                fields=["seller", "plan", "kind"],
                condition=Q(document_type="380", kind__in=["deposit", "bonus"], buyer_seller__isnull=True)
                & ~Q(status="cancelled"),
                name="billing_invoice_once_per_plan_amount",
            ),
            models.UniqueConstraint(
                fields=["seller", "plan", "kind", "buyer_seller"],
                condition=Q(document_type="380", kind__in=["deposit", "bonus"], buyer_seller__isnull=False)
                & ~Q(status="cancelled"),
                name="billing_invoice_once_per_plan_amount_to_seller",
            ),
            models.CheckConstraint(
                condition=Q(prepaid_amount__gte=0)
                & (Q(deposit_invoice__isnull=False) | Q(prepaid_amount=0))
                & ~Q(kind="deposit", deposit_invoice__isnull=False),
                name="billing_invoice_prepaid_from_a_deposit",
            ),
        ]
        indexes = [
            models.Index(fields=["collective", "mission", "status"]),
            models.Index(fields=["collective", "seller", "status"]),
        ]

    def __str__(self):
        if self.number:
            return self.number
        if self.is_credit_note:
            return str(_("Draft credit note"))
        return str(_("Draft invoice"))

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_status_loaded", None)
        if loaded and loaded != self.Status.DRAFT:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= self.CHANGEABLE_AFTER_ISSUE:
                raise InvoiceImmutable(_("An issued invoice never changes: correct it with a credit note."))
        super().save(*args, **kwargs)
        self._status_loaded = self.status

    def delete(self, *args, **kwargs):
        if self.number:
            raise InvoiceImmutable(_("An issued invoice is never deleted: cancel it with a credit note."))
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._status_loaded = instance.__dict__.get("status")
        return instance

    @property
    def is_credit_note(self) -> bool:
        return self.document_type == self.DocumentType.CREDIT_NOTE

    @property
    def payment_due_on(self) -> date | None:
        """The date the buyer pays by. A credit note is not paid: it has none to show (its stored due date, which
        the Factur-X data carries, is its issue date)."""
        return None if self.is_credit_note else self.due_on

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def status_label(self) -> str:
        """The status as shown: in French a credit note ("avoir") agrees in the masculine."""
        if self.is_credit_note and self.status in CREDIT_NOTE_STATUS_LABELS:
            return str(CREDIT_NOTE_STATUS_LABELS[self.status])
        return str(self.get_status_display())

    @property
    def is_to_client(self) -> bool:
        return self.client_id is not None

    @property
    def is_deposit(self) -> bool:
        return self.kind == self.Kind.DEPOSIT

    @property
    def amount_due(self) -> Decimal:
        """The total less the deposit it deducts (BT-115): what the buyer pays for it."""
        return self.total_incl_tax - self.prepaid_amount

    @property
    def balance_due(self) -> Decimal:
        """What the buyer still owes: the amount due, less credit notes and payments."""
        return self.amount_due - self.amount_credited - self.amount_paid


class InvoiceLine(models.Model):
    """One line of an invoice (R-1.1 row 9): frozen with its invoice when issued."""

    # EN 16931 VAT category codes (UNTDID 5305) a member's services can carry.
    class VatCategory(models.TextChoices):
        STANDARD = "S", _("Standard rate")
        ZERO = "Z", _("Zero rate")
        EXEMPT = "E", _("Exempt (e.g. VAT franchise)")
        REVERSE_CHARGE = "AE", _("Reverse charge")
        INTRA_EU = "K", _("Intra-EU supply")
        EXPORT = "G", _("Export outside the EU")
        OUT_OF_SCOPE = "O", _("Out of scope of VAT")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=QUANTITY_DECIMAL_PLACES)
    # UN/ECE recommendation 20 unit code: C62 (one), DAY, HUR.
    unit_code = models.CharField(_("unit"), max_length=3, default="C62")
    unit_price = models.DecimalField(
        _("unit price (excl. VAT)"), max_digits=18, decimal_places=UNIT_PRICE_DECIMAL_PLACES
    )
    vat_category = models.CharField(_("VAT category"), max_length=2, choices=VatCategory)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("0"))
    exemption_reason = models.CharField(_("exemption reason"), max_length=200, blank=True)
    exemption_code = models.CharField(_("exemption code"), max_length=40, blank=True)
    net_amount = amount_field(_("net amount (excl. VAT)"))
    # The member whose share this line is, in a client invoice that carries several.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="billing_invoice_line_position")
        ]

    def __str__(self):
        return self.description

    def save(self, *args, **kwargs):
        if Invoice.objects.filter(pk=self.invoice_id).exclude(status=Invoice.Status.DRAFT).exists():
            raise InvoiceImmutable(_("An issued invoice never changes: correct it with a credit note."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Invoice.objects.filter(pk=self.invoice_id).exclude(status=Invoice.Status.DRAFT).exists():
            raise InvoiceImmutable(_("An issued invoice never changes: correct it with a credit note."))
        return super().delete(*args, **kwargs)
