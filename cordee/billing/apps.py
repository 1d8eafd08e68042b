from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "cordee.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self):
        # The previews read billing's models: Django allows that only once the apps are loaded, hence here.
        from cordee.billing.services import payment_previews, previews
        from cordee.communication.services.previews import preview_register

        preview_register(previews.email_previews())
        preview_register(payment_previews.email_previews())
