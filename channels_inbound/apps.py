from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsInboundConfig(AppConfig):
    name = "channels_inbound"
    verbose_name = _("Inbound channels")

    def ready(self):
        from tickets.signals import tickets_purging

        # Messenger replies need the Send API: register it with conversations.
        from . import messenger  # noqa: F401
        from .ingest import delete_raw_deliveries

        # A purged ticket's raw deliveries go with it.
        tickets_purging.connect(delete_raw_deliveries, dispatch_uid="channels_inbound.purge")
