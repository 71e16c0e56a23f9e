from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self):
        # engine connects the ticket_activity receiver that records rule events;
        # tasks registers the task names the engine queues, in the web process too.
        from . import engine, rule_actions, tasks  # noqa: F401
