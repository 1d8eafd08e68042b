from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cordee.invitations.models import Invitation


class InvitationStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Invitation.Status.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True)
        filters = {
            Invitation.Status.PENDING: open_ & Q(expires_at__gt=now),
            Invitation.Status.EXPIRED: open_ & Q(expires_at__lte=now),
            Invitation.Status.ACCEPTED: Q(accepted_at__isnull=False),
            Invitation.Status.REVOKED: Q(accepted_at__isnull=True, revoked_at__isnull=False),
        }
        if self.value() in filters:
            return queryset.filter(filters[self.value()])
        return queryset


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "collective",
        "status_display",
        "invited_by",
        "sent_at",
        "send_count",
        "expires_at",
    ]
    list_filter = [InvitationStatusFilter, "sent_at", "expires_at", "accepted_at", "revoked_at", "collective"]
    search_fields = ["email", "collective__name", "collective__slug", "invited_by__email"]
    list_select_related = ["collective", "invited_by"]
    date_hierarchy = "sent_at"
    ordering = ["-sent_at"]
    # The token hash is useless to read and must not be editable: a link is changed by re-sending.
    exclude = ["token_hash"]
    readonly_fields = ["created_at", "sent_at", "send_count", "accepted_at", "accepted_by"]
    raw_id_fields = ["collective", "invited_by"]

    @admin.display(description=_("status"))
    def status_display(self, invitation):
        return invitation.get_status_display()

    def has_add_permission(self, request):
        # Invitations are created from the collective's page so that the email and token go with them.
        return False
