from celery import shared_task

from . import services


@shared_task
def purge_deleted_tickets() -> int:
    """Remove tickets deleted longer ago than TicketSettings.keep_deleted_days."""
    return services.tickets_purge_deleted()
