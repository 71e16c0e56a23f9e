from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsInboundConfig(AppConfig):
    name = "channels_inbound"
    verbose_name = _("Inbound channels")

    def ready(self):
        from helpdesk import memo
        from tickets.signals import tickets_purging

        # Messenger replies need the Send API: importing messenger registers
        # it with conversations.
        from . import (
            chat,
            mail,
            messenger,
            tasks,  # noqa: F401 (register the tasks that are queued by name)
            webforms,
        )
        from .ingest import DELIVERERS
        from .models import BlockedSender, EmailChannel, InboundItem
        from .store import delete_raw_deliveries

        # Kept in the workers' memory between messages (helpdesk.memo).
        memo.watch(EmailChannel, BlockedSender)

        # Which deliverer turns a stored row of each source into a ticket.
        Source = InboundItem.Source
        DELIVERERS.update(dict.fromkeys(Source.values, mail.mail_deliver))
        DELIVERERS[Source.FORM] = webforms.form_deliver
        DELIVERERS[Source.CHAT] = chat.chat_deliver
        DELIVERERS[Source.MESSENGER] = messenger.messenger_deliver

        # A purged ticket's raw deliveries go with it.
        tickets_purging.connect(delete_raw_deliveries, dispatch_uid="channels_inbound.purge")
