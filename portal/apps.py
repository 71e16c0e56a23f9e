from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Customer portal")

    def ready(self):
        from . import tasks  # noqa: F401 (register the worker's tasks)
