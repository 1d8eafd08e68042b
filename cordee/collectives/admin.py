from django.contrib import admin

from cordee.collectives.models import Collective, Membership, Reference


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "title", "day_rate", "joined_at"]
    readonly_fields = ["joined_at"]
    raw_id_fields = ["user"]


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 0
    fields = ["position", "title", "client_name", "year"]


@admin.register(Collective)
class CollectiveAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_published", "published_at", "time_zone", "created_at"]
    list_filter = ["is_published", "time_zone", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"
    inlines = [MembershipInline, ReferenceInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "collective",
        "role",
        "title",
        "day_rate",
        "joined_at",
        "archived_at",
        "archive_reason",
    ]
    list_filter = ["role", "joined_at", "archive_reason"]
    search_fields = ["user__email", "user__full_name", "collective__name", "collective__slug"]
    list_select_related = ["user", "collective"]
    autocomplete_fields = ["collective"]
    raw_id_fields = ["user"]
    readonly_fields = ["joined_at", "archived_at", "archived_by", "archive_reason"]

    def get_queryset(self, request):
        """Former members too (archived when they left or were removed)."""
        return Membership.with_archived.get_queryset()


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["title", "collective", "client_name", "year", "position"]
    list_filter = ["year"]
    search_fields = ["title", "client_name", "collective__name"]
    list_select_related = ["collective"]
    autocomplete_fields = ["collective"]
