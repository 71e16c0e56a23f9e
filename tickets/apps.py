from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        from accounts.models import User
        from helpdesk import memo

        from . import indexing  # noqa: F401  (signal receivers)
        from .models import (
            Pipeline,
            PropertyDefinition,
            Stage,
            Tag,
            TicketSettings,
            WorkspaceLayout,
        )

        # Kept in the workers' memory between messages, and between the
        # requests of the ticket pane and the table (helpdesk.memo); the
        # active people and the tags too (User.listed(), Tag.listed()).
        memo.watch(Pipeline, Stage, PropertyDefinition, TicketSettings, WorkspaceLayout, Tag, User)
