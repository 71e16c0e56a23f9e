from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")

    def ready(self):
        from tickets.views import register_detail_extension

        from .queries import conversation_for

        @register_detail_extension
        def conversation_pane(user, ticket):
            return {
                "conversation": conversation_for(user, ticket),
                "detail_templates": ["conversations/conversation.html"],
            }
