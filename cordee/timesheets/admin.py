from django.contrib import admin

from cordee.timesheets.models import TimeEntry


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ["date", "user", "mission", "hours", "activity", "locked_at"]
    list_filter = ["activity", "date", "locked_at"]
    search_fields = ["user__email", "user__full_name", "mission__title", "note", "collective__name"]
    list_select_related = ["user", "mission"]
    raw_id_fields = ["mission", "user", "deliverable", "task"]
    autocomplete_fields = ["collective"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "date"
