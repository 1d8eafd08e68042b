from django.contrib import admin

from cordee.communication.models import (
    CollectiveEvent,
    DeliveryCall,
    EventFeedToken,
    EventResponse,
    Recap,
    Ritual,
    RitualVideo,
)


@admin.register(Recap)
class RecapAdmin(admin.ModelAdmin):
    list_display = ["subject", "mission", "state", "slot_date", "sent_at", "sent_automatically"]
    list_filter = ["state", "sent_automatically"]
    search_fields = ["subject", "body", "mission__title", "collective__name"]
    raw_id_fields = ["collective", "mission", "sent_by"]
    date_hierarchy = "created_at"


@admin.register(Ritual)
class RitualAdmin(admin.ModelAdmin):
    list_display = ["mission", "weekday", "start_time", "duration_minutes", "is_active", "sequence"]
    list_filter = ["is_active", "weekday"]
    search_fields = ["mission__title", "collective__name", "calendar_uid"]
    raw_id_fields = ["collective", "mission"]


@admin.register(RitualVideo)
class RitualVideoAdmin(admin.ModelAdmin):
    list_display = ["mission", "week_start", "posted_by", "posted_at"]
    search_fields = ["mission__title", "summary", "collective__name"]
    raw_id_fields = ["collective", "mission", "posted_by"]


@admin.register(DeliveryCall)
class DeliveryCallAdmin(admin.ModelAdmin):
    list_display = ["deliverable", "mission", "starts_at", "duration_minutes", "sequence", "cancelled_at"]
    list_filter = ["cancelled_at"]
    search_fields = ["deliverable__title", "mission__title", "collective__name", "calendar_uid"]
    raw_id_fields = [
        "collective",
        "mission",
        "deliverable",
        "organizer",
        "attendee_users",
        "attendee_contacts",
    ]


class EventResponseInline(admin.TabularInline):
    model = EventResponse
    raw_id_fields = ["user"]
    exclude = ["collective"]
    extra = 0


@admin.register(CollectiveEvent)
class CollectiveEventAdmin(admin.ModelAdmin):
    list_display = ["title", "collective", "starts_at", "recurrence", "cancelled_at"]
    list_filter = ["recurrence"]
    search_fields = ["title", "description", "location", "collective__name"]
    raw_id_fields = ["collective", "created_by"]
    inlines = [EventResponseInline]


@admin.register(EventResponse)
class EventResponseAdmin(admin.ModelAdmin):
    list_display = ["event", "user", "answer", "answered_at"]
    list_filter = ["answer"]
    search_fields = ["event__title", "user__email"]
    raw_id_fields = ["collective", "event", "user"]


@admin.register(EventFeedToken)
class EventFeedTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "collective", "created_at"]
    search_fields = ["user__email", "collective__name"]
    raw_id_fields = ["user", "collective"]
    exclude = ["token_hash"]
