from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "routing"
    verbose_name = _("Routing")

    def ready(self):
        # receivers connects the ticket_activity receiver; tasks registers the
        # task name services.py queues, in the web process too.
        from accounts.models import Team
        from helpdesk import memo

        from . import receivers, tasks  # noqa: F401

        # Which teams are routed is kept between inbound messages (helpdesk.memo;
        # on PostgreSQL only a change of a team's routing changes the version).
        memo.watch(Team)
