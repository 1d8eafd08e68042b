"""Billing in the operator's admin: read-only. Issued documents and numbering never change by hand (R-1.6)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cordee.billing.models import (
    ActivityReport,
    BillingMandate,
    BillingPlan,
    Invoice,
    InvoiceBatch,
    LegalSeller,
    NumberSeries,
    Quote,
)
from cordee.billing.services.invoices import series_gap_report


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NumberSeriesInline(admin.TabularInline):
    model = NumberSeries
    extra = 0
    fields = ["document_type", "prefix", "last_number", "last_issued_on"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LegalSeller)
class LegalSellerAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "collective", "payment_terms", "payment_days", "archived_at"]
    list_filter = ["kind"]
    list_select_related = ["collective", "user"]
    search_fields = ["name", "siren", "user__email", "user__business_name", "collective__slug"]
    inlines = [NumberSeriesInline]


@admin.register(BillingPlan)
class BillingPlanAdmin(ReadOnlyAdmin):
    list_display = ["mission", "version", "model", "status", "invoicing_mode", "created_at"]
    list_filter = ["model", "status", "invoicing_mode"]
    list_select_related = ["mission"]
    search_fields = ["mission__title", "collective__slug"]


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "mission",
        "status",
        "total_excl_vat",
        "issued_on",
        "valid_until",
        "accepted_at",
    ]
    list_filter = ["status", "is_amendment"]
    list_select_related = ["mission"]
    search_fields = ["number", "mission__title", "accepted_name"]
    exclude = ["pdf"]


@admin.register(ActivityReport)
class ActivityReportAdmin(ReadOnlyAdmin):
    list_display = ["mission", "period_start", "period_end", "status", "total_days", "total_amount"]
    list_filter = ["status"]
    list_select_related = ["mission"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "document_type",
        "seller",
        "mission",
        "status",
        "payment_status",
        "total_incl_tax",
        "issued_on",
    ]
    list_filter = ["document_type", "status", "payment_status", "flow"]
    list_select_related = ["seller__user", "mission"]
    search_fields = ["number", "mission__title", "seller__name", "seller__user__business_name"]
    exclude = ["pdf", "xml"]


@admin.register(InvoiceBatch)
class InvoiceBatchAdmin(ReadOnlyAdmin):
    list_display = ["label", "mission", "created_at", "sent_at"]
    list_select_related = ["mission"]
    search_fields = ["label", "mission__title"]


@admin.register(BillingMandate)
class BillingMandateAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "signed_on", "valid_until", "contest_days", "archived_at"]
    list_select_related = ["seller__user", "issuer__user"]


@admin.register(NumberSeries)
class NumberSeriesAdmin(ReadOnlyAdmin):
    """Every series with its gap report (R-1.6): numbers missing, repeated or dated out of order."""

    list_display = ["__str__", "seller", "document_type", "last_number", "last_issued_on", "gaps"]
    list_filter = ["document_type"]
    list_select_related = ["seller__user"]
    search_fields = ["prefix", "seller__name", "seller__user__business_name"]
    readonly_fields = ["gaps"]

    @admin.display(description=_("gap report"))
    def gaps(self, series):
        report = series_gap_report(series)
        if report.is_clean:
            return _("No gap (%(count)s issued)") % {"count": report.issued}
        parts = []
        if report.missing:
            parts.append(_("missing: %(numbers)s") % {"numbers": ", ".join(map(str, report.missing))})
        if report.duplicates:
            parts.append(_("repeated: %(numbers)s") % {"numbers": ", ".join(map(str, report.duplicates))})
        if report.out_of_order:
            parts.append(_("dated out of order: %(numbers)s") % {"numbers": ", ".join(report.out_of_order)})
        return "; ".join(parts)
