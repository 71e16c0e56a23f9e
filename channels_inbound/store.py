"""The inbound log's door: every channel writes what arrived here first, raw
(ARCHITECTURE rule 2), and finds or opens a visitor's ticket here. A leaf:
it imports no channel and not the dispatcher (channels_inbound.ingest), so
every channel may import it."""

import hashlib

from django.db import IntegrityError, transaction
from django.db.models import Q

from conversations import services as conversation_services
from conversations.models import Thread
from helpdesk.queue import enqueue
from tickets import services as ticket_services

from .models import InboundItem, Landing
from .parsing import InboundParseError

KEY_LENGTH = InboundItem._meta.get_field("dedupe_key").max_length
PROCESS = "channels_inbound.tasks.process_inbound_item"


def inbound_store(
    *, source: str, payload: bytes, content_type: str = "", event_id: str = "", channel=None
) -> tuple[InboundItem, bool]:
    """Write one delivery to the inbound log and queue it. Returns the row and
    whether it is new: a redelivery (same provider event id, or the same bytes)
    returns the first row and queues nothing (RELIABILITY 7, 10)."""
    key = f"{source}:{event_id}"
    if not event_id or len(key) > KEY_LENGTH:
        key = f"{source}:sha256:{hashlib.sha256(event_id.encode() or payload).hexdigest()}"
    # Insert first: a redelivery (rare) is told apart by the unique key, so
    # the usual delivery costs one statement.
    try:
        with transaction.atomic():
            item = InboundItem.objects.create(
                source=source,
                payload=payload,
                content_type=content_type[:200],
                event_id=event_id[:255],
                dedupe_key=key,
                channel=channel,
            )
    except IntegrityError:  # delivered before (or a concurrent redelivery won)
        return InboundItem.objects.get(dedupe_key=key), False
    transaction.on_commit(lambda: enqueue(PROCESS, item.pk))
    return item, True


class NoLanding(InboundParseError):
    """No pipeline has an open status: nowhere to put a new ticket. The row
    fails with this reason and can be processed again once one exists."""


def land(item: InboundItem, channel) -> Landing:
    """Where a new ticket from `channel` goes (NewTickets.landing). When that
    is not the configured place, the row says what was wrong and where the
    ticket went, for the admins (Inbound messages, the channel's page)."""
    landing = channel.landing()
    if landing.stage is None:
        raise NoLanding("No pipeline has an open status without required properties.")
    if landing.problem:
        item.warning = landing.problem
        item.delivered_to = landing.place[:210]
    return landing


def visitor_thread(
    key: str, *, channel: str, source: str, name: str, target, item: InboundItem
) -> tuple:
    """The thread of a chat visitor or Messenger user (`key`) on their open
    ticket, else a new ticket where `target` (a chat widget or Messenger page)
    lands its tickets (`land`), in its team, with a thread for them. Returns
    (thread, whether the ticket is new)."""
    thread = (
        Thread.objects.filter(visitor_key=key, ticket__is_open=True)
        .select_related("ticket")
        .order_by("-id")
        .first()
    )
    if thread is not None:
        return thread, False
    landing = land(item, target)
    ticket = ticket_services.ticket_create(
        actor=None,
        name=name[:80],
        pipeline=landing.pipeline,
        stage=landing.stage,
        team=target.team,
        source=source,
    )
    thread = Thread.objects.create(
        ticket=ticket,
        inbox=conversation_services.help_desk_inbox(),
        channel=channel,
        visitor_key=key,
    )
    return thread, True


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut between words where one ends
    in the second half, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def delete_raw_deliveries(sender, ticket_ids, **kwargs) -> None:
    """A purged ticket's raw deliveries go with it: they hold its mail and files.
    Found by the message each became, which follows a merge or split to the
    ticket it now belongs to; a delivery that made no message, by the ticket
    it was filed under."""
    InboundItem.objects.filter(
        Q(message__ticket__in=ticket_ids) | Q(message__isnull=True, ticket__in=ticket_ids)
    ).delete()
