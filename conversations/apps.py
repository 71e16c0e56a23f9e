from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")

    def ready(self):
        from helpdesk import memo
        from tickets.views.workspace import register_detail_extension

        from . import (  # noqa: F401 (connect their receivers)
            attachments,
            notifications,
            tasks,
        )
        from .models import EmailAddress, Inbox
        from .moves import may_move_conversations

        # Kept in the workers' memory between messages (helpdesk.memo).
        memo.watch(EmailAddress, Inbox, EmailAddress.default_for_teams.through)
        from .queries import conversation_for

        @register_detail_extension
        def conversation_pane(user, ticket):
            conversation = conversation_for(user, ticket)
            return {
                "conversation": conversation,
                "has_threads": bool(conversation["threads"]),
                "may_move_conversations": may_move_conversations(user),
                "detail_templates": ["conversations/conversation.html"],
            }
