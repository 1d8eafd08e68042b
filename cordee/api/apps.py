from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "cordee.api"
    label = "api"
    verbose_name = _("API")

    def ready(self):
        from cordee.api import receivers  # noqa: F401 - connects the webhook receivers
