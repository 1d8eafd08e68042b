"""Getting paid: payments recorded against invoices, bank statements matched to them, and the reminder
ladder (INVOICING_FR.md R-1.9 to R-1.12, R-1.18).

Cordée never holds client money: a payment records what reached the seller's own account. A payment is
never deleted (a mistaken one is reversed, which keeps it with the reason); a statement line is imported
once whatever the overlaps between statements; a reminder level is sent once per mission batch.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .plans import LegalSeller, amount_field


class BankStatement(models.Model):
    """One imported file of a seller's bank account; the same file twice for a seller adds nothing."""

    class Format(models.TextChoices):
        CAMT053 = "camt053", _("CAMT.053 (XML)")
        CSV = "csv", _("CSV")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("statement import", "Waiting")
        RUNNING = "running", pgettext_lazy("statement import", "Importing")
        DONE = "done", pgettext_lazy("statement import", "Imported")
        FAILED = "failed", pgettext_lazy("statement import", "Failed")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    seller = models.ForeignKey(
        LegalSeller, verbose_name=_("account of"), on_delete=models.PROTECT, related_name="statements"
    )
    format = models.CharField(_("format"), max_length=8, choices=Format)
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    content = models.BinaryField(_("file"), editable=False)
    # The CSV column mapping ({"date": …, "amount": …, …}); empty for CAMT.053.
    column_mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.CharField(_("error"), max_length=600, blank=True)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    new_line_count = models.PositiveIntegerField(_("new lines"), default=0)
    skipped_count = models.PositiveIntegerField(_("debits and pending entries left out"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("import claimed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["seller", "sha256"], name="billing_statement_once_per_seller")
        ]
        indexes = [models.Index(fields=["collective", "-uploaded_at"], name="billing_statement_recent")]

    def __str__(self):
        return self.filename


class StatementLine(models.Model):
    """Money received on the seller's account, suggested for an invoice, then confirmed, split or ignored."""

    class Status(models.TextChoices):
        UNMATCHED = "unmatched", pgettext_lazy("statement line", "To review")
        SUGGESTED = "suggested", pgettext_lazy("statement line", "Suggested")
        CONFIRMED = "confirmed", pgettext_lazy("statement line", "Confirmed")
        SPLIT = "split", pgettext_lazy("statement line", "Split")
        IGNORED = "ignored", pgettext_lazy("statement line", "Ignored")

    OPEN_STATUSES = (Status.UNMATCHED, Status.SUGGESTED)

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    seller = models.ForeignKey(LegalSeller, on_delete=models.PROTECT, related_name="+")
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    line_key = models.CharField(_("line key"), max_length=64)
    booking_date = models.DateField(_("booking date"))
    amount = amount_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    reference = models.CharField(_("reference"), max_length=300, blank=True)
    counterparty = models.CharField(_("from"), max_length=300, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.UNMATCHED)
    suggested_invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["booking_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["seller", "line_key"], name="billing_statement_line_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_statement_line_credit"),
        ]
        indexes = [models.Index(fields=["collective", "status", "booking_date"], name="billing_line_review")]

    def __str__(self):
        return f"{self.booking_date} {self.amount} {self.reference}"


class Payment(models.Model):
    """Money the client paid for an invoice, into the seller's account. Never deleted: a mistake is
    reversed (`reversed_at`, with the reason), and a reversed payment no longer counts."""

    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        CHEQUE = "cheque", _("Cheque")
        CARD = "card", _("Card")
        DIRECT_DEBIT = "direct_debit", _("Direct debit")
        OTHER = "other", _("Other")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("date"))
    amount = amount_field(_("amount"))
    method = models.CharField(_("method"), max_length=12, choices=Method, default=Method.TRANSFER)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    statement_line = models.ForeignKey(
        StatementLine, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reversal_reason = models.CharField(_("reason for the reversal"), max_length=300, blank=True)
    # For a member's invoice to the seller that collected (lead or entity): the payout that paid it.
    payout = models.ForeignKey(
        "billing.Payout", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_payment_positive"),
            models.UniqueConstraint(
                fields=["payout", "invoice"],
                condition=Q(payout__isnull=False),
                name="billing_payment_once_per_payout_invoice",
            ),
        ]
        indexes = [models.Index(fields=["collective", "paid_on"], name="billing_payment_by_date")]

    def __str__(self):
        return f"{self.paid_on} {self.amount}"


class ClientCredit(models.Model):
    """What a client paid beyond an invoice's balance: kept as a credit for the client, never lost."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    seller = models.ForeignKey(LegalSeller, on_delete=models.PROTECT, related_name="+")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="credit")
    amount = amount_field(_("amount"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    settled_note = models.CharField(_("how it was settled"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("client credit")
        verbose_name_plural = _("client credits")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="billing_credit_positive")]

    def __str__(self):
        return str(self.amount)


class CreditAllocation(models.Model):
    """A use of a client's credit: applied to another open invoice of the same seller and client, or
    refunded to the client. The payment that made the credit is never edited; the invoice the credit is
    applied to counts it as paid."""

    class Kind(models.TextChoices):
        APPLIED = "applied", pgettext_lazy("client credit", "Applied to an invoice")
        REFUNDED = "refunded", pgettext_lazy("client credit", "Refunded")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    credit = models.ForeignKey(ClientCredit, on_delete=models.PROTECT, related_name="allocations")
    kind = models.CharField(_("use"), max_length=8, choices=Kind)
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_allocations"
    )
    made_on = models.DateField(_("date"))
    amount = amount_field(_("amount"))
    method = models.CharField(_("method"), max_length=12, choices=Payment.Method, blank=True)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("use of a client credit")
        verbose_name_plural = _("uses of client credits")
        ordering = ["made_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_credit_allocation_positive"),
            models.CheckConstraint(
                condition=Q(kind="applied", invoice__isnull=False) | Q(kind="refunded", invoice__isnull=True),
                name="billing_credit_allocation_target",
            ),
        ]

    def __str__(self):
        return f"{self.made_on} {self.amount}"


class ReminderLadder(models.Model):
    """A collective's reminder ladder: when unpaid invoices are reminded, and with which words."""

    collective = models.OneToOneField(
        "collectives.Collective", on_delete=models.CASCADE, related_name="reminder_ladder"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder ladder")
        verbose_name_plural = _("reminder ladders")

    def __str__(self):
        return str(self.collective)


class ReminderLevel(models.Model):
    """One step of a ladder: days from the due date (negative: before it) and its text in French and English.

    The text is the opening of the email; the invoices, amounts, days late, penalties and (B2B only) the
    recovery indemnity are always added by Cordée, so no edit can drop a legal mention.
    """

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    ladder = models.ForeignKey(ReminderLadder, on_delete=models.CASCADE, related_name="levels")
    offset_days = models.SmallIntegerField(_("days from the due date"))
    text_fr = models.TextField(_("text in French"), max_length=2000)
    text_en = models.TextField(_("text in English"), max_length=2000)
    enabled = models.BooleanField(_("enabled"), default=True)
    # Archived, never deleted: the reminders sent at this level keep their history.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("reminder level")
        verbose_name_plural = _("reminder levels")
        ordering = ["offset_days", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ladder", "offset_days"],
                condition=Q(archived_at__isnull=True),
                name="billing_reminder_level_once",
            ),
            models.CheckConstraint(
                condition=Q(offset_days__gte=-30, offset_days__lte=365), name="billing_reminder_offset_range"
            ),
        ]

    def __str__(self):
        return f"{self.offset_days:+d}"

    def text(self, language: str) -> str:
        return self.text_fr if (language or "").startswith("fr") else self.text_en


class InvoiceReminder(models.Model):
    """A reminder sent for a mission's batch of invoices at one level: one row per batch and level, ever."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey("billing.InvoiceBatch", on_delete=models.PROTECT, related_name="reminders")
    offset_days = models.SmallIntegerField(_("level (days from the due date)"))
    key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    invoices = models.ManyToManyField("billing.Invoice", related_name="reminders", blank=True)
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("invoice reminder")
        verbose_name_plural = _("invoice reminders")
        ordering = ["sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "offset_days"], name="billing_reminder_once_per_level")
        ]

    def __str__(self):
        return self.key
