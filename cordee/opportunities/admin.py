from django.contrib import admin

from cordee.opportunities.models import Opportunity, OpportunityChange, OpportunityStageChange


class OpportunityStageChangeInline(admin.TabularInline):
    model = OpportunityStageChange
    extra = 0
    fields = ["from_stage", "to_stage", "changed_by", "changed_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OpportunityChangeInline(admin.TabularInline):
    model = OpportunityChange
    extra = 0
    fields = ["fields", "changed_by", "changed_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ["contact_name", "company", "collective", "stage", "budget", "source", "created_at"]
    list_filter = ["stage", "source", "budget", "created_at"]
    search_fields = ["contact_name", "contact_email", "company", "need", "collective__name"]
    list_select_related = ["collective"]
    autocomplete_fields = ["collective"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [OpportunityStageChangeInline, OpportunityChangeInline]
