from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Help desk settings")
admin.site.site_title = _("Help desk settings")
admin.site.index_title = _("Settings")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("channels_inbound.urls")),
    path("", include("conversations.urls")),
    path("", include("sla.urls")),
    path("", include("tickets.urls")),
]
