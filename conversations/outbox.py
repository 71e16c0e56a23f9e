"""Sending the outbox (RELIABILITY L; docs/architecture.md, "Background work").

A send claims its row with a conditional UPDATE, so two workers (or a retried
task) never send the same reply twice. A worker that dies after claiming leaves
the row "sending"; after CLAIM_TIMEOUT the sweep hands it out again, and that
resend carries the same Message-ID, so mail clients show it once.
"""

import datetime
import logging

from anymail.exceptions import AnymailUnsupportedFeature
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from helpdesk.queue import enqueue

from .emails import build_reply
from .models import Notification, OutboundEmail, OutboxRow

log = logging.getLogger(__name__)
CLAIM_TIMEOUT = datetime.timedelta(minutes=5)
# With the task's back-off (30 s doubling to an hour) twelve tries span about
# seven hours: an ESP outage of an afternoon delays replies, it does not lose them.
MAX_ATTEMPTS = 12


class SendFailed(Exception):
    """The backend refused or failed; the task retries with back-off."""


def claim(model, pk: int) -> bool:
    """Take outbox row `pk` of `model` (any outbox with pending/sending status,
    claimed_at and attempts) for sending: pending, or claimed by a worker that
    died more than CLAIM_TIMEOUT ago. One conditional UPDATE, so two workers
    never both win."""
    now = timezone.now()
    claimable = Q(status="pending") | Q(status="sending", claimed_at__lt=now - CLAIM_TIMEOUT)
    return bool(
        model.objects.filter(claimable, pk=pk).update(
            status="sending", claimed_at=now, attempts=F("attempts") + 1
        )
    )


def outbound_send(outbound_id: int) -> bool:
    """Send one outbox row if it is ours to send. Returns whether it was sent now."""
    if not claim(OutboundEmail, outbound_id):
        return False
    outbound = OutboundEmail.objects.select_related("message").get(pk=outbound_id)
    try:
        try:
            build_reply(outbound.message).send()
        except AnymailUnsupportedFeature:
            # This ESP sets no return path of ours (anymail refuses before any
            # request): the reply goes without, bounces are found by Message-ID.
            build_reply(outbound.message, verp=False).send()
    except Exception as error:
        # Only the error's type is kept: its arguments can hold addresses, bodies
        # or credentials (RELIABILITY rule 12).
        given_up = outbound.attempts >= MAX_ATTEMPTS
        OutboundEmail.objects.filter(pk=outbound_id).update(
            status=OutboundEmail.Status.FAILED if given_up else OutboundEmail.Status.PENDING,
            last_error=type(error).__name__,
        )
        log.warning(
            "outbound %s failed (attempt %s): %s",
            outbound_id,
            outbound.attempts,
            type(error).__name__,
        )
        if given_up:
            tell_author(outbound.message)
            return False
        raise SendFailed(type(error).__name__) from None
    OutboundEmail.objects.filter(pk=outbound_id).update(
        status=OutboundEmail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def tell_author(message) -> None:
    """The agent who wrote a reply that could not be sent hears about it in the
    app (not by email: email is what failed)."""
    if message.author_id:
        Notification.objects.create(
            user_id=message.author_id,
            ticket_id=message.ticket_id,
            message=message,
            kind=Notification.Kind.SEND_FAILED,
        )


def outbox_retry(row: OutboxRow) -> bool:
    """Send a failed reply again (the agent asked), by email or Messenger: a
    fresh round of tries (an email keeps its Message-ID). Returns whether it
    was failed and is now queued."""
    model = type(row)
    queued = model.objects.filter(pk=row.pk, status=OutboxRow.Status.FAILED).update(
        status=OutboxRow.Status.PENDING, attempts=0, last_error="", claimed_at=None
    )
    if queued:
        transaction.on_commit(lambda: enqueue(model.send_task, row.pk))
    return bool(queued)


def outbound_requeue_stuck() -> int:
    """Queue rows left pending (broker was down) or claimed by a dead worker."""
    now = timezone.now()
    stuck = OutboundEmail.objects.filter(
        Q(status=OutboundEmail.Status.PENDING, message__created_at__lt=now - CLAIM_TIMEOUT)
        | Q(status=OutboundEmail.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    ).values_list("pk", flat=True)[:500]
    ids = list(stuck)
    for pk in ids:
        enqueue(OutboundEmail.send_task, pk)
    return len(ids)
