from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sla"
    verbose_name = _("SLA")

    def ready(self):
        from . import clocks  # noqa: F401 (connects the ticket_activity receiver)
