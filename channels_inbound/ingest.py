"""From a stored inbound item to a ticket or a message: the dispatcher
(ARCHITECTURE rules 2, 3).

`store.inbound_store` runs inside the request (or the IMAP poll, or the MTA
pipe) and only writes the raw bytes: nothing can be lost to a parser bug. A
worker runs `inbound_process`, which hands the row to the deliverer of its
source in one transaction, so a crash or a retry never leaves half a ticket
behind, and running it twice for the same row stores one message. The
deliverers are registered at app start (channels_inbound/apps.py): this
module imports no channel.
"""

from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils import timezone

from helpdesk import memo
from helpdesk.prepared import Prepared
from workflows import engine as rule_engine

from .models import InboundItem
from .parsing import InboundParseError
from .store import keep_payload

# A source's deliverer stores a row (a ticket, a message, or the reason it is
# ignored) and raises InboundParseError for a payload it cannot read. Filled
# by ChannelsInboundConfig.ready().
DELIVERERS: dict[str, Callable[[InboundItem], None]] = {}

# What processing writes back to a row.
RESULT_FIELDS = [
    "status",
    "disposition",
    "error",
    "attempts",
    "processed_at",
    "message_hash",
    "channel",
    "message",
    "ticket",
    "warning",
    "delivered_to",
]


def _row(pk: int):
    """The inbound row, locked. The version of the settings workers keep in
    memory is read with it: no round trip of its own (helpdesk.memo)."""
    rows = InboundItem.objects.select_for_update().annotate(config_version=memo.version_subquery())
    if connection.vendor == "postgresql":
        # The raw row is already durable: losing this commit in a database
        # crash leaves the row pending, and the sweep does it all again. Not
        # waiting for the disk is most of the speed. Set by the row's own
        # query, for this transaction.
        rows = rows.annotate(no_sync=RawSQL("set_config('synchronous_commit', 'off', true)", ()))
    return rows.filter(pk=pk)


# Run for every message: compiled once (helpdesk.prepared).
ROW = Prepared(_row, int)


def inbound_process(item_id: int) -> str:
    """Parse and deliver one pending row, all in one transaction: a row
    another worker finished is left alone, an unreadable payload fails with
    its reason, any other error leaves the row pending with the error's type
    (never its text: it can hold the message) for a retry, and nothing of the
    delivery is kept. Returns the row's status afterwards."""
    try:
        with transaction.atomic():
            item = ROW.first(item_id)
            if item is None or item.status != InboundItem.Status.PENDING:
                return item.status if item else ""
            if item.config_version is None:
                memo.restore()
            # The payload came with the row (one query, not two) but is not
            # kept on it for the whole delivery (a 40 MB message, held
            # twice): the deliverer takes it (store.inbound_payload).
            keep_payload(item)
            # The rules on what is stored run in this transaction (one
            # commit, not two); a failing rule leaves its events to the task
            # queued after commit and never fails the delivery.
            with (
                memo.checked(item.config_version),
                rule_engine.delivering(lambda: item.ticket_id),
            ):
                DELIVERERS[item.source](item)
            item.attempts += 1
            item.error = ""
            item.processed_at = timezone.now()
            item.save(update_fields=RESULT_FIELDS)  # never rewrites the payload
    except InboundParseError as error:
        InboundItem.objects.filter(pk=item_id, status=InboundItem.Status.PENDING).update(
            status=InboundItem.Status.FAILED,
            error=str(error)[:500],
            attempts=F("attempts") + 1,
            processed_at=timezone.now(),
        )
        return InboundItem.Status.FAILED
    except Exception as error:
        InboundItem.objects.filter(pk=item_id).update(
            attempts=F("attempts") + 1, error=type(error).__name__
        )
        raise
    return item.status
