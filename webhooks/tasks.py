from celery import shared_task

from . import delivery


@shared_task(acks_late=True)
def deliver(delivery_id: int) -> str:
    """One try of a webhook delivery (queued after the change commits, by the
    delivery before it of the same ticket, and by the beat for retries)."""
    return delivery.deliver(delivery_id)


@shared_task
def send_due_deliveries() -> int:
    """Every 30 seconds (beat): queue the retries that are due and the
    deliveries whose task was lost."""
    return delivery.send_due()


@shared_task(acks_late=True)
def tell_admins_disabled(subscription_id: int) -> int:
    return delivery.tell_admins_disabled(subscription_id)


@shared_task
def purge_old_deliveries() -> int:
    """Daily (beat): the log keeps HELPDESK_WEBHOOK_LOG_DAYS days."""
    return delivery.purge_old()
