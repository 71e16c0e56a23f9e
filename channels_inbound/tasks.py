import datetime
import logging

from celery import shared_task
from django.utils import timezone

from . import ingest
from .chatbot import purge_sessions
from .imap import imap_poll
from .messenger import messenger_send
from .models import EmailChannel, InboundItem
from .store import payload_files_sweep

log = logging.getLogger(__name__)

# A row this long in "pending" lost its task (the broker was down, a worker
# died): the sweep queues it again (RELIABILITY rule 9).
STUCK_AFTER = datetime.timedelta(minutes=2)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=8,
    soft_time_limit=120,
)
def process_inbound_item(item_id: int) -> None:
    ingest.inbound_process(item_id)


# Rows waiting longer than this mean the workers are down or behind: say so
# loudly (RELIABILITY 5), once a minute while it lasts.
BACKLOG_ALERT = datetime.timedelta(minutes=5)


@shared_task
def sweep_pending_inbound() -> int:
    oldest = (
        InboundItem.objects.filter(status=InboundItem.Status.PENDING)
        .order_by("received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    if oldest and timezone.now() - oldest > BACKLOG_ALERT:
        log.error(
            "Inbound backlog: the oldest waiting message arrived %s ago",
            timezone.now() - oldest,
        )
    stuck = InboundItem.objects.filter(
        status=InboundItem.Status.PENDING, received_at__lt=timezone.now() - STUCK_AFTER
    ).values_list("pk", flat=True)[:1000]
    ids = list(stuck)
    for pk in ids:
        process_inbound_item.delay(pk)
    return len(ids)


@shared_task
def sweep_payload_files() -> int:
    return payload_files_sweep()


@shared_task
def purge_chatbot_sessions() -> int:
    return purge_sessions()


@shared_task
def poll_imap_mailboxes() -> int:
    """Poll every active channel that has IMAP settings."""
    stored = 0
    for channel in EmailChannel.objects.filter(is_active=True).exclude(imap_host=""):
        try:
            stored += imap_poll(channel)
        except Exception as error:  # one broken mailbox must not stop the others
            log.warning("IMAP poll of channel %s failed: %s", channel.pk, type(error).__name__)
    return stored


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def send_messenger_reply(outbound_id: int) -> None:
    messenger_send(outbound_id)
