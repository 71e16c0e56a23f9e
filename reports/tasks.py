from celery import shared_task

from . import facts


@shared_task
def refresh_reports() -> int:
    """Every minute (beat): the facts and rollups of the tickets changed since."""
    return facts.refresh()
