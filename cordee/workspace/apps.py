from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The top of the layers: what combines several areas (the periodic jobs, the collective's dashboard,
    the demo seed). Every other app sits below it and never imports it."""

    name = "cordee.workspace"
    label = "workspace"
    verbose_name = _("Workspace")
