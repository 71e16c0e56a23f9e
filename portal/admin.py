from django.contrib import admin

from .models import PortalSettings, SharedCompany


@admin.register(PortalSettings)
class PortalSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "pipeline", "stage", "team"]

    def has_add_permission(self, request):
        return not PortalSettings.objects.exists()


@admin.register(SharedCompany)
class SharedCompanyAdmin(admin.ModelAdmin):
    list_display = ["company"]
    autocomplete_fields = ["company"]
