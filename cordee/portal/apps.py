from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "cordee.portal"
    label = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from cordee.clients.signals import contact_archived
        from cordee.portal import receivers

        contact_archived.connect(
            receivers.revoke_access_of_archived_contact, dispatch_uid="portal_contact_archived"
        )
