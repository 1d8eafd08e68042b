from django.contrib import admin

from cordee.missions.models import (
    CalendarFeedToken,
    ClientRequest,
    DelayNotice,
    Deliverable,
    Mission,
    MissionEvent,
    MissionMember,
    Task,
    TaskAssignment,
)


class CollectiveFromMissionInline(admin.TabularInline):
    """Rows added inline take the mission's collective (every mission table carries it)."""

    extra = 0
    exclude = ["collective"]


class MissionMemberInline(CollectiveFromMissionInline):
    model = MissionMember
    fields = ["user", "role", "day_rate", "weekly_capacity_hours"]
    raw_id_fields = ["user"]


class DeliverableInline(CollectiveFromMissionInline):
    model = Deliverable
    fields = ["title", "owner", "internal_date", "announced_date", "status", "health", "delivered_at"]
    readonly_fields = ["health"]
    raw_id_fields = ["owner"]
    show_change_link = True


@admin.register(Mission)
class MissionAdmin(admin.ModelAdmin):
    list_display = ["title", "collective", "client", "lead", "status", "start_date", "assignment_mode"]
    list_filter = ["status", "assignment_mode", "ritual_kind", "start_date"]
    search_fields = [
        "title",
        "client__name",
        "lead__email",
        "lead__full_name",
        "collective__name",
        "collective__slug",
    ]
    list_select_related = ["collective", "client", "lead"]
    autocomplete_fields = ["collective"]
    raw_id_fields = ["client", "lead", "opportunity"]
    readonly_fields = ["created_at", "activated_at"]
    date_hierarchy = "start_date"
    inlines = [MissionMemberInline, DeliverableInline]

    def save_formset(self, request, form, formset, change):
        for row in formset.save(commit=False):
            row.collective_id = form.instance.collective_id
            row.save()
        for deleted in formset.deleted_objects:
            deleted.delete()
        formset.save_m2m()


@admin.register(Deliverable)
class DeliverableAdmin(admin.ModelAdmin):
    list_display = ["title", "mission", "owner", "internal_date", "announced_date", "status", "health"]
    list_filter = ["status", "health", "announced_date"]
    search_fields = ["title", "mission__title", "mission__client__name", "collective__name"]
    list_select_related = ["mission", "owner"]
    raw_id_fields = ["mission", "owner"]
    autocomplete_fields = ["collective"]
    readonly_fields = ["health_checked_at"]


class TaskAssignmentInline(admin.TabularInline):
    model = TaskAssignment
    extra = 0
    fields = ["from_user", "to_user", "changed_by", "changed_at", "digest_sent_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "mission", "status", "assignee", "required_role", "estimate_hours", "due_date"]
    list_filter = ["status", "due_date"]
    search_fields = ["title", "required_role", "mission__title", "assignee__email", "assignee__full_name"]
    list_select_related = ["mission", "assignee"]
    raw_id_fields = ["mission", "deliverable", "request", "assignee", "created_by"]
    autocomplete_fields = ["collective"]
    readonly_fields = ["created_at", "completed_at"]
    inlines = [TaskAssignmentInline]


@admin.register(ClientRequest)
class ClientRequestAdmin(admin.ModelAdmin):
    list_display = ["title", "mission", "contact", "source", "status", "created_at"]
    list_filter = ["status", "source", "created_at"]
    search_fields = ["title", "body", "mission__title", "contact__full_name", "contact__email"]
    list_select_related = ["mission", "contact"]
    raw_id_fields = ["mission", "contact", "recorded_by", "triaged_by"]
    autocomplete_fields = ["collective"]
    readonly_fields = ["created_at", "triaged_at"]
    date_hierarchy = "created_at"


@admin.register(DelayNotice)
class DelayNoticeAdmin(admin.ModelAdmin):
    list_display = ["deliverable", "previous_date", "new_date", "business_days_notice", "is_late", "sent_at"]
    list_filter = ["is_late", "sent_at"]
    search_fields = ["deliverable__title", "deliverable__mission__title", "reason"]
    list_select_related = ["deliverable"]
    raw_id_fields = ["deliverable", "sent_by"]
    autocomplete_fields = ["collective"]
    readonly_fields = ["sent_at"]


@admin.register(MissionEvent)
class MissionEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "mission", "kind", "actor", "summary", "is_flagged"]
    list_filter = ["kind", "is_flagged", "created_at"]
    search_fields = ["summary", "mission__title", "actor__email", "collective__name"]
    list_select_related = ["mission", "actor"]
    raw_id_fields = ["mission", "actor"]
    autocomplete_fields = ["collective"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"


@admin.register(MissionMember)
class MissionMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "mission", "role", "day_rate", "weekly_capacity_hours"]
    search_fields = ["user__email", "user__full_name", "role", "mission__title", "collective__name"]
    list_select_related = ["user", "mission"]
    raw_id_fields = ["mission", "user"]
    autocomplete_fields = ["collective"]


@admin.register(TaskAssignment)
class TaskAssignmentAdmin(admin.ModelAdmin):
    """The history of task assignments: read only, it feeds the assignees' daily digest."""

    list_display = ["task", "from_user", "to_user", "changed_by", "changed_at", "digest_sent_at"]
    list_filter = ["changed_at", "digest_sent_at"]
    search_fields = ["task__title", "to_user__email", "from_user__email"]
    list_select_related = ["task", "from_user", "to_user", "changed_by"]
    readonly_fields = [
        "collective",
        "task",
        "from_user",
        "to_user",
        "changed_by",
        "changed_at",
        "digest_sent_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(admin.ModelAdmin):
    """Private calendar feeds: only the hash is stored; deleting a row revokes the member's feed URL."""

    list_display = ["user", "created_at"]
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["user"]
    readonly_fields = ["user", "token_hash", "created_at"]

    def has_add_permission(self, request):
        return False
