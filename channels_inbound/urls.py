from django.urls import path

from . import chat, messenger, spam, webforms, webhooks

app_name = "channels_inbound"

urlpatterns = [
    path("inbound/email/<str:provider>/", webhooks.inbound_webhook, name="email_webhook"),
    path("inbound/messenger/", messenger.messenger_webhook, name="messenger_webhook"),
    path("forms/<slug:slug>/", webforms.form_page, name="form_page"),
    path("tickets/<int:pk>/spam/", spam.ticket_spam_view, name="ticket_spam"),
    path("chat/<str:key>/widget.js", chat.widget_script, name="chat_widget"),
    path("chat/<str:key>/", chat.chat_page, name="chat_page"),
    path("chat/<str:key>/messages/", chat.chat_messages, name="chat_messages"),
]
