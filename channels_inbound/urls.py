from django.urls import path

from . import webhooks

app_name = "channels_inbound"

urlpatterns = [
    path("inbound/email/<str:provider>/", webhooks.inbound_webhook, name="email_webhook"),
]
