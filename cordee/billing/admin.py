"""Billing in the operator's admin: read-only. Issued documents and numbering never change by hand (R-1.6)."""

from django.contrib import admin

from cordee.billing.models import ActivityReport, BillingPlan, LegalSeller, NumberSeries, Quote


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
