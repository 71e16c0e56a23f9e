from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("channels_inbound.urls")),
    path("", include("conversations.urls")),
    path("", include("reports.urls")),
    path("", include("workflows.urls")),
    path("routing/", include("routing.urls")),
    path("", include("tickets.urls")),
]
