from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Data import")

    def ready(self):
        from . import tasks  # noqa: F401 (registers the task in the web process too)
