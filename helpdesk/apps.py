from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class HelpdeskConfig(AppConfig):
    default = True  # this module also holds the admin's config below
    name = "helpdesk"
    verbose_name = "Help desk"

    def ready(self):
        from celery.signals import before_task_publish, task_postrun, task_prerun
        from django.db.backends.signals import connection_created

        from . import database, logs

        connection_created.connect(database.fast_timestamps, dispatch_uid="database.timestamps")

        # A request's ID travels into the tasks it queues (helpdesk/logs.py).
        before_task_publish.connect(logs.add_request_id_header, dispatch_uid="logs.publish")
        task_prerun.connect(logs.task_started, dispatch_uid="logs.prerun")
        task_postrun.connect(logs.task_finished, dispatch_uid="logs.postrun")


class HelpdeskAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the settings site of helpdesk.admin_site."""

    default = False
    default_site = "helpdesk.admin_site.HelpdeskAdminSite"
