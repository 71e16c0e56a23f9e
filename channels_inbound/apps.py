from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsInboundConfig(AppConfig):
    name = "channels_inbound"
    verbose_name = _("Inbound channels")

    def ready(self):
        # Messenger replies need the Send API: register it with conversations.
        # A purged ticket's raw deliveries go with it (they hold its mail and files).
        from tickets.signals import tickets_purging

        from . import messenger  # noqa: F401
        from .models import InboundItem

        tickets_purging.connect(
            lambda sender, ticket_ids, **kwargs: InboundItem.objects.filter(
                ticket__in=ticket_ids
            ).delete(),
            dispatch_uid="channels_inbound.purge",
            weak=False,
        )
