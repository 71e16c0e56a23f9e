from celery import shared_task

from . import attachments, notifications, outbox


@shared_task(
    acks_late=True,
    autoretry_for=(outbox.SendFailed,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=12,
)
def send_outbound_email(outbound_id: int) -> None:
    outbox.outbound_send(outbound_id)


@shared_task
def send_stuck_outbound_email() -> None:
    outbox.outbound_requeue_stuck()


@shared_task(acks_late=True)
def send_notification_email(notification_id: int) -> None:
    notifications.notification_email_send(notification_id)


@shared_task
def purge_abandoned_uploads() -> None:
    attachments.uploads_purge_abandoned()
