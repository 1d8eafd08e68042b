from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cordee.portal.models import MissionCalendarFeed, PortalAccess
from cordee.portal.services import portal_access_revoke_by_operator


@admin.register(PortalAccess)
class PortalAccessAdmin(admin.ModelAdmin):
    """Magic links and the sessions they opened; only hashes are stored, so nothing here signs anyone in."""

    list_display = [
        "contact",
        "collective",
        "created_at",
        "created_by",
        "expires_at",
        "used_at",
        "revoked_at",
    ]
    list_filter = ["created_at", "used_at", "revoked_at"]
    search_fields = ["contact__email", "contact__full_name", "contact__client__name", "collective__name"]
    list_select_related = ["contact", "collective", "created_by"]
    date_hierarchy = "created_at"
    exclude = ["token_hash"]
    readonly_fields = [
        "collective",
        "contact",
        "created_at",
        "created_by",
        "expires_at",
        "used_at",
        "revoked_at",
        "session_ended_at",
    ]
    actions = ["revoke_contacts"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the portal access of the selected links' contacts"))
    def revoke_contacts(self, request, queryset):
        contacts = {access.contact for access in queryset.select_related("contact")}
        for contact in contacts:
            portal_access_revoke_by_operator(contact=contact)
        self.message_user(
            request,
            ngettext(
                "The portal access of %(count)d contact was revoked.",
                "The portal access of %(count)d contacts was revoked.",
                len(contacts),
            )
            % {"count": len(contacts)},
            messages.SUCCESS,
        )


@admin.register(MissionCalendarFeed)
class MissionCalendarFeedAdmin(admin.ModelAdmin):
    """Deleting a row revokes the mission's calendar address."""

    list_display = ["mission", "collective", "created_at"]
    search_fields = ["mission__title", "collective__name"]
    list_select_related = ["mission", "collective"]
    exclude = ["token_hash"]
    readonly_fields = ["collective", "mission", "created_at"]

    def has_add_permission(self, request):
        return False
