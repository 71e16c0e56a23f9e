from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sla"
    verbose_name = _("SLA")

    def ready(self):
        # clocks connects the ticket_activity receiver; tasks registers the
        # task names changes.py queues, in the web process too.
        from helpdesk import memo

        from . import clocks, tasks  # noqa: F401
        from .models import SlaSettings

        # Kept in the workers' memory between messages (helpdesk.memo).
        memo.watch(SlaSettings)
