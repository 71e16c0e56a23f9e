from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # facts connects the receivers that mark changed tickets; tasks
        # registers the refresh the beat runs.
        # filters adds the table's filters behind the Volume report's numbers.
        from tickets.filters import register_related

        from . import facts, filters, tasks  # noqa: F401

        for prop in (filters.REOPENED_AT, filters.OPEN_AT, filters.CREATED_SLOT):
            register_related(prop)
