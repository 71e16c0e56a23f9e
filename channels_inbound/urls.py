from django.urls import path

from . import webforms, webhooks

app_name = "channels_inbound"

urlpatterns = [
    path("inbound/email/<str:provider>/", webhooks.inbound_webhook, name="email_webhook"),
    path("forms/<slug:slug>/", webforms.form_page, name="form_page"),
]
