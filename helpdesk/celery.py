import os

from celery import Celery
from celery.signals import (
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def keep_django_logging(loglevel=None, **kwargs):
    """Workers log as the web does (settings.LOGGING, applied by Django's
    setup: JSON lines with the request ID); Celery does not replace it, and
    only the worker's --loglevel is taken from its command line."""
    import logging

    if loglevel:
        logging.getLogger().setLevel(loglevel)


@worker_init.connect
def load_before_fork(**kwargs):
    """What every pool process needs and is slow to load, loaded once in the
    worker's parent before it forks the pool: the children share it."""
    from conversations import languages

    languages.load_model()


@worker_process_init.connect
def settle_worker(**kwargs):
    """A worker process has loaded what it runs with (helpdesk.process)."""
    from helpdesk import process

    process.loaded()


@task_prerun.connect
@task_postrun.connect
def recycle_database_connections(task=None, **kwargs):
    """Treat each task like a web request: keep the database connection while
    it is healthy and younger than CONN_MAX_AGE, drop it after an error.
    (Celery's own default closes it around every task; opening a new one cost
    more than the work of a typical ingestion task.)"""
    from django.db import close_old_connections

    if task is not None and getattr(task.request, "is_eager", False):
        return  # run inline by the caller, inside the caller's connection use
    close_old_connections()
