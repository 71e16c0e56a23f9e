from celery import shared_task

from . import outbox


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
