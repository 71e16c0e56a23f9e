from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        # receivers connects the ticket_activity receiver that records
        # deliveries; tasks registers the task names events.py queues, in the
        # web process too.
        from . import receivers, tasks  # noqa: F401
