from django.contrib import admin

from cordee.core.models import OutboundEmail, PeriodicLock


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["to_email", "subject", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state", "language", "created_at"]
    search_fields = ["to_email", "subject", "idempotency_key"]
    list_select_related = ["collective"]
    date_hierarchy = "created_at"
    # Only the delivery state can be changed by hand (e.g. put a failed email back to pending).
    fields = [
        "collective",
        "idempotency_key",
        "to_email",
        "from_email",
        "reply_to",
        "subject",
        "body_text",
        "body_html",
        "attachments",
        "language",
        "state",
        "next_attempt_at",
        "claimed_at",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    readonly_fields = [name for name in fields if name not in ("state", "next_attempt_at")]

    def has_add_permission(self, request):
        return False


@admin.register(PeriodicLock)
class PeriodicLockAdmin(admin.ModelAdmin):
    """Who runs each periodic job, and until when: read only (an expired lease frees itself)."""

    list_display = ["name", "holder", "acquired_at", "expires_at", "released_at"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
