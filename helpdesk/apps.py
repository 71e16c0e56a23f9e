from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class HelpdeskConfig(AppConfig):
    default = True  # this module also holds the admin's config below
    name = "helpdesk"
    verbose_name = "Help desk"


class HelpdeskAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the settings site of helpdesk.admin_site."""

    default = False
    default_site = "helpdesk.admin_site.HelpdeskAdminSite"
