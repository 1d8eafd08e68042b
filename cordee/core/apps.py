from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from cordee.core import checks  # noqa: F401 - importing the module registers Cordée's deploy checks


class CoreConfig(AppConfig):
    name = "cordee.core"
    label = "core"
    verbose_name = _("Core")
