from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsInboundConfig(AppConfig):
    name = "channels_inbound"
    verbose_name = _("Inbound channels")

    def ready(self):
        # Messenger replies need the Send API: register it with conversations.
        from . import messenger  # noqa: F401
