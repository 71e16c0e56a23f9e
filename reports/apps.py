from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # facts connects the receivers that mark changed tickets; tasks
        # registers the refresh the beat runs.
        from . import facts, tasks  # noqa: F401
