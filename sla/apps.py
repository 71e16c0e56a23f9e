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
        from tickets.rendering import ROW_BADGES, TABLE_CELLS

        from . import clocks, tasks  # noqa: F401
        from .models import SlaSettings
        from .templatetags.sla import sla_badge

        # Kept in the workers' memory between messages (helpdesk.memo).
        memo.watch(SlaSettings)
        # Each row of a ticket list shows the most urgent clock.
        if sla_badge not in ROW_BADGES:
            ROW_BADGES.append(sla_badge)
        # And the table's SLA column.
        TABLE_CELLS["sla"] = sla_badge
