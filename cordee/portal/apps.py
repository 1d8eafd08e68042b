from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "cordee.portal"
    label = "portal"
    verbose_name = _("Portal")

    def ready(self):
        # Receivers import models: Django allows that only once the apps are loaded, hence here.
        from cordee.clients.signals import contact_archived
        from cordee.communication import signals as communication
        from cordee.communication.services.previews import preview_register
        from cordee.portal import receivers
        from cordee.portal.services import email_previews

        communication.contact_portal_url.connect(
            receivers.contact_portal_url, dispatch_uid="contact_portal_url"
        )
        contact_archived.connect(
            receivers.revoke_access_of_archived_contact, dispatch_uid="portal_contact_archived"
        )
        preview_register(email_previews())
