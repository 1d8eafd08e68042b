"""The operators' admin, where nothing with history is deleted either.

Every model registered on this site gets `HistoryKeepingAdmin` mixed in: a row that other rows refer to
(`core.history.history_of`) or a model archived instead of deleted (it has `archived_at`) has no delete
button, the bulk "delete selected" action is off, and inlines of such models delete no row. Rows without
history (a token, a lock, a reference of the public page) are deleted as before.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from cordee.core.history import KEEPING, history_of


def archived_instead(model) -> bool:
    return any(field.name == "archived_at" for field in model._meta.get_fields())


def may_carry_history(model) -> bool:
    """Whether a row of `model` can be archived or referred to by rows a delete would take along."""
    return archived_instead(model) or any(
        relation.many_to_many or relation.on_delete not in KEEPING for relation in model._meta.related_objects
    )


class HistoryKeepingAdmin:
    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        if archived_instead(self.model):
            return False
        return obj is None or not history_of(obj)

    def get_inlines(self, request, obj):
        return [_keeping_inline(inline) for inline in super().get_inlines(request, obj)]


def _keeping_inline(inline):
    if not inline.can_delete or not may_carry_history(inline.model):
        return inline
    return type(inline.__name__, (inline,), {"can_delete": False, "__module__": inline.__module__})


class HistoryKeepingAdminSite(admin.AdminSite):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.disable_action("delete_selected")

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, HistoryKeepingAdmin):
            admin_class = type(
                admin_class.__name__,
                (HistoryKeepingAdmin, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)


class HistoryKeepingAdminConfig(AdminConfig):
    """Django's admin app on that site (INSTALLED_APPS names this class instead of django.contrib.admin)."""

    default_site = "cordee.core.admin_site.HistoryKeepingAdminSite"
