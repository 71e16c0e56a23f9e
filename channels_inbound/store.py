"""The inbound log's door: every channel writes what arrived here first, raw
(ARCHITECTURE rule 2), and finds or opens a visitor's ticket here. A leaf:
it imports no channel and not the dispatcher (channels_inbound.ingest), so
every channel may import it."""

import contextlib
import datetime
import hashlib
import os
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from conversations import services as conversation_services
from conversations.models import Thread
from helpdesk.queue import enqueue
from tickets import services as ticket_services

from .models import InboundItem, Landing
from .parsing import InboundParseError

KEY_LENGTH = InboundItem._meta.get_field("dedupe_key").max_length
PROCESS = "channels_inbound.tasks.process_inbound_item"
# Payloads larger than this are kept in a file of the default storage, the
# row pointing at it: a webhook with a 20 MiB attachment (27 MiB) stored in
# the row answered in p50 1.2-2.8 s through gunicorn with the worker busy
# (PostgreSQL compressing it into TOAST), in a file p50 0.14-0.15 s, p95
# 0.23-0.24 s (bench_ingest, side by side). Smaller ones stay in the row:
# one statement, no file to manage.
FILE_PAYLOAD_OVER = 2**20
PAYLOAD_FOLDER = "inbound"
# A payload file no row points at, this old, was left by a crash between the
# file and its row's commit, or between a delete's commit and the file's
# removal: the hourly sweep removes it. The age keeps the sweep away from a
# row still being written.
ORPHAN_AFTER = datetime.timedelta(hours=1)


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
    # the usual delivery costs one statement. A large payload is on disk
    # before the row that points at it commits: a crash in between leaves a
    # file without a row, never a row without its bytes.
    stored = _payload_file_write(payload) if len(payload) > FILE_PAYLOAD_OVER else ""
    try:
        with _alone():
            item = InboundItem.objects.create(
                source=source,
                payload=b"" if stored else payload,
                payload_file=stored,
                content_type=content_type[:200],
                event_id=event_id[:255],
                dedupe_key=key,
                channel=channel,
            )
    except IntegrityError:  # delivered before (or a concurrent redelivery won)
        if stored:
            default_storage.delete(stored)  # no row points at it
        return InboundItem.objects.get(dedupe_key=key), False
    transaction.on_commit(lambda: enqueue(PROCESS, item.pk))
    return item, True


def _alone():
    """A savepoint around a statement that may be refused, when a caller's
    transaction is open (a refused INSERT would spoil it). In autocommit the
    statement is its own transaction: BEGIN and COMMIT around it would be two
    more round trips on every webhook."""
    if transaction.get_connection().in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()


def keep_payload(item: InboundItem) -> None:
    """Take the payload a query loaded with `item` off the row, for the next
    inbound_payload(item) to hand out once (the row never holds it during
    a delivery, and save() never rewrites it)."""
    if "payload" in item.__dict__:
        item._taken_payload = item.__dict__.pop("payload")  # type: ignore[attr-defined]


def inbound_payload(item: InboundItem) -> bytes:
    """The bytes of `item` as delivered, from its row or its file. Read by
    id, not from the row object: a 27 MiB payload is not kept on it. A
    missing file raises: the row stays pending and the worker tries again."""
    taken = getattr(item, "_taken_payload", None)
    if taken is not None:
        del item._taken_payload  # type: ignore[attr-defined]
        payload, name = taken, item.payload_file.name
    else:
        payload, name = (
            InboundItem.objects.filter(pk=item.pk).values_list("payload", "payload_file").get()
        )
    if name:
        with default_storage.open(name, "rb") as stored:
            return stored.read()
    return bytes(payload)


def _payload_file_write(payload: bytes) -> str:
    """Write `payload` to a new file of the default storage, synced to disk
    with the directories that name it; returns its name."""
    name = default_storage.save(
        f"{PAYLOAD_FOLDER}/{timezone.now():%Y/%m/%d}/{uuid.uuid4().hex}.raw", ContentFile(payload)
    )
    try:
        path = default_storage.path(name)
    except NotImplementedError:
        return name  # a remote storage holds the object once save returns
    root = os.path.realpath(default_storage.path(""))
    path = os.path.realpath(path)
    while True:  # the file, then each directory up to the storage root
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if path in (root, os.path.dirname(path)):
            return name
        path = os.path.dirname(path)


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
    raw_deliveries_delete(
        InboundItem.objects.filter(
            Q(message__ticket__in=ticket_ids) | Q(message__isnull=True, ticket__in=ticket_ids)
        )
    )


def raw_deliveries_delete(items) -> int:
    """Delete the inbound rows `items` and, once that commits, their payload
    files: a rollback keeps both, a crash in between leaves a file without a
    row, never a row without its file. Returns how many rows went."""
    found = list(items.values_list("pk", "payload_file"))
    deleted = InboundItem.objects.filter(pk__in=[pk for pk, _name in found]).delete()[0]
    names = [name for _pk, name in found if name]
    if names:
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
    return deleted


def payload_files_sweep(now: datetime.datetime | None = None) -> int:
    """Delete payload files that no inbound row points at and that are older
    than ORPHAN_AFTER (what a crash leaves, see inbound_store and
    raw_deliveries_delete). One query per folder. Returns how many went."""
    cutoff = (now or timezone.now()) - ORPHAN_AFTER
    removed = 0
    folders = [PAYLOAD_FOLDER]
    while folders:
        folder = folders.pop()
        try:
            children, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        folders += [f"{folder}/{child}" for child in children]
        names = {f"{folder}/{name}" for name in files}
        kept = set(
            InboundItem.objects.filter(payload_file__in=names).values_list(
                "payload_file", flat=True
            )
        )
        for name in sorted(names - kept):
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                removed += 1
    return removed
