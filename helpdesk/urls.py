from django.contrib import admin
from django.urls import include, path

from api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", api.urls),
    path("", include("api.urls")),
    path("", include("channels_inbound.urls")),
    path("", include("conversations.urls")),
    path("", include("reports.urls")),
    path("", include("workflows.urls")),
    path("routing/", include("routing.urls")),
    path("", include("knowledge.urls")),
    path("portal/", include("portal.urls")),
    path("", include("surveys.urls")),
    path("", include("library.urls")),
    path("", include("tickets.urls")),
]
