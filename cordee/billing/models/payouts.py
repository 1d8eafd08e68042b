"""Payouts to members and the exports of accountants (INVOICING_FR.md sections 4 and 5).

Cordée never holds client money: a payout batch is a list of transfers from the account of the seller
that was paid (the lead who re-invoices, or the collective's entity: R-6.3), approved by that seller's
admin, exported as a SEPA file the seller uploads to its bank, then marked paid. Each payout cites the
invoices and split shares it settles, so what a member is still owed is known. Long exports (journals,
receipts books) run in the worker as `ExportJob`s whose progress a page shows.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .plans import LegalSeller, amount_field


class PayoutBatch(models.Model):
    """Transfers from one seller's account to members, exported together as one SEPA file."""

    # With a context: in French, a batch's status agrees in the masculine ("lot").
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("payout batch status", "Draft")
        APPROVED = "approved", pgettext_lazy("payout batch status", "Approved")
        EXPORTED = "exported", pgettext_lazy("payout batch status", "Transfer file exported")
        PAID = "paid", pgettext_lazy("payout batch status", "Paid")
        CANCELLED = "cancelled", pgettext_lazy("payout batch status", "Cancelled")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    seller = models.ForeignKey(
        LegalSeller, verbose_name=_("paying seller"), on_delete=models.PROTECT, related_name="payout_batches"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    execution_date = models.DateField(_("transfer date"))
    total = amount_field(_("total"), default=0)
    # The paying account as it was when the file was written (holder, IBAN, BIC, address).
    debtor_snapshot = models.JSONField(_("paying account at export"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    file = models.BinaryField(_("SEPA file"), null=True, blank=True, editable=False)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(_("marked paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout batch")
        verbose_name_plural = _("payout batches")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["collective", "seller", "status"])]

    def __str__(self):
        return f"{self.seller} · {self.execution_date}"

    @property
    def file_name(self) -> str:
        return f"virements-{self.pk}-{self.execution_date:%Y%m%d}.xml"


class Payout(models.Model):
    """One transfer of a batch to one member, with the shares of paid invoices it settles."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(PayoutBatch, on_delete=models.CASCADE, related_name="payouts")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = amount_field(_("amount"))
    # The member's bank details as given in their profile (exact holder's name: ).
    account_holder = models.CharField(_("account holder"), max_length=150)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    # What it settles: [{"invoice_id", "invoice_number", "share_id", "amount"}], amounts as strings.
    references = models.JSONField(_("invoices and shares settled"), default=list)
    remittance = models.CharField(_("transfer label"), max_length=140)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["batch", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "member"], name="billing_payout_one_per_member"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_payout_positive"),
        ]
        indexes = [models.Index(fields=["collective", "member"])]

    def __str__(self):
        return f"{self.account_holder} · {self.amount}"

    @property
    def end_to_end_id(self) -> str:
        """The reference the member's bank statement shows (EndToEndId, 35 characters at most: R-4.7)."""
        return f"CORDEE-PAYOUT-{self.pk}"


class ExportJob(models.Model):
    """A long export run by the worker; its page polls the progress and then offers the file."""

    class Kind(models.TextChoices):
        JOURNAL = "journal", _("Sales and bank journal (FEC layout)")
        RECEIPTS_CSV = "receipts_csv", _("Receipts book (CSV)")
        RECEIPTS_PDF = "receipts_pdf", _("Receipts book (PDF)")
        INVOICES_CSV = "invoices_csv", _("Invoices (CSV)")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("export status", "Waiting")
        RUNNING = "running", pgettext_lazy("export status", "In progress")
        DONE = "done", pgettext_lazy("export status", "Ready")
        FAILED = "failed", pgettext_lazy("export status", "Failed")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("export"), max_length=14, choices=Kind)
    seller = models.ForeignKey(
        LegalSeller,
        verbose_name=_("seller"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    file = models.BinaryField(null=True, blank=True, editable=False)
    file_name = models.CharField(max_length=120, blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["collective", "requested_by", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.year}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
