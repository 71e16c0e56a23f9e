"""Recording deliveries when something happens (issue 18).

`publish(event, ticket=..., data=...)` is called inside the transaction of
the change (from `receivers.py`, which hears `ticket_activity`, and from the
rules engine for "rule fired"): for each active subscription to the event it
stores a `Delivery` with the body as it is now (a snapshot: a later change is
its own event), and asks the worker to send them once the change commits. A
change that rolls back sends nothing; a broker outage leaves the rows for the
beat (`tasks.send_due_deliveries`).

The body is versioned JSON, the shape the Standard Webhooks specification
suggests: {"type", "timestamp", "version", "data"}. VERSION changes when a
field changes meaning or goes; new fields may be added within a version.
"""

import json
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone

from helpdesk.queue import enqueue

from .models import Delivery, Subscription

VERSION = 1
TEXT_LIMIT = 20_000  # a message's text in a body, at most

# The active subscriptions, read once per process and again when one changes
# here or, asked at most once a second, in another process (as the rules
# engine reads its rules).
RECHECK_SECONDS = 1.0
_loaded: dict = {"version": None, "subscriptions": [], "checked": -RECHECK_SECONDS}


def active_subscriptions() -> list[Subscription]:
    now = time.monotonic()
    if now - _loaded["checked"] < RECHECK_SECONDS:
        return _loaded["subscriptions"]
    _loaded["checked"] = now
    version = tuple(
        Subscription.objects.aggregate(
            count=Count("id"), changed=Max("updated_at"), last=Max("id")
        ).values()
    )
    if _loaded["version"] != version:
        _loaded["subscriptions"] = list(Subscription.objects.filter(is_active=True))
        _loaded["version"] = version
    return _loaded["subscriptions"]


def _subscriptions_changed(sender, **kwargs):
    _loaded["checked"] = -RECHECK_SECONDS


post_save.connect(_subscriptions_changed, sender=Subscription, dispatch_uid="webhooks.saved")
post_delete.connect(_subscriptions_changed, sender=Subscription, dispatch_uid="webhooks.deleted")


def listening(event: str) -> list[Subscription]:
    return [s for s in active_subscriptions() if event in s.events]


def body(event: str, data: dict[str, Any]) -> str:
    return json.dumps(
        {
            "type": event,
            "timestamp": timezone.now().isoformat(),
            "version": VERSION,
            "data": data,
        },
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def record(
    subscriptions: list[Subscription], event: str, data: dict, ticket_id: int | None
) -> list[Delivery]:
    """Store one delivery per subscription and queue them after commit."""
    if not subscriptions:
        return []
    payload = body(event, data)
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            subscription=subscription,
            event=event,
            ticket_id=ticket_id,
            message_id=new_message_id(),
            payload=payload,
            next_attempt_at=now,
            created_at=now,
        )
        for subscription in subscriptions
    )
    queue_after_commit([d.pk for d in deliveries])
    return deliveries


def queue_after_commit(ids: list[int]) -> None:
    def queue():
        for pk in ids:
            enqueue("webhooks.tasks.deliver", pk)

    transaction.on_commit(queue)


def publish(event: str, *, ticket=None, data: dict | None = None) -> list[Delivery]:
    """Record `event` for every active subscription that listens for it.
    Nothing is read or built when none does."""
    subscriptions = listening(event)
    if not subscriptions:
        return []
    data = dict(data or {})
    if ticket is not None:
        data = {"ticket": ticket_data(ticket), **data}
    return record(subscriptions, event, data, ticket.pk if ticket is not None else None)


# What a body says -----------------------------------------------------------------


def _named(row) -> dict | None:
    if row is None:
        return None
    name = getattr(row, "display_name", None) or getattr(row, "name", "")
    found = {"id": row.pk, "name": name}
    if getattr(row, "email", None) is not None and hasattr(row, "username"):
        found["email"] = row.email
    return found


def ticket_url(ticket_id: int) -> str:
    return settings.HELPDESK_BASE_URL.rstrip("/") + reverse("tickets:ticket_open", args=[ticket_id])


def ticket_data(ticket) -> dict:
    stage = ticket.stage
    return {
        "id": ticket.pk,
        "url": ticket_url(ticket.pk),
        "name": ticket.name,
        "pipeline": _named(ticket.pipeline),
        "status": {"id": stage.pk, "name": stage.name, "is_closed": stage.is_closed},
        "is_open": ticket.is_open,
        "priority": ticket.priority,
        "category": ticket.category,
        "source": ticket.source,
        "owner": _named(ticket.owner),
        "team": _named(ticket.team),
        "language": ticket.language,
        "properties": ticket.properties,
        "is_spam": ticket.is_spam,
        "created_at": ticket.created_at,
        "closed_at": ticket.closed_at,
        "deleted_at": ticket.deleted_at,
    }


def message_data(message) -> dict:
    return {
        "id": message.pk,
        "kind": message.kind,
        "direction": message.direction,
        "channel": message.thread.channel,
        "author": _named(message.author) if message.author_id else None,
        "from_name": message.from_name,
        "from_email": message.from_email,
        "to": message.to,
        "cc": message.cc,
        "subject": message.subject,
        "text": message.text[:TEXT_LIMIT],
        "created_at": message.created_at,
    }


def actor_data(actor) -> dict | None:
    return _named(actor) if actor is not None else None


def send_to(subscription: Subscription, event: str, *, ticket, data: dict) -> list[Delivery]:
    """One delivery to one subscription, whatever it listens for (a rule's
    "Send a webhook" action); nothing when the subscription is off."""
    if not subscription.is_active:
        return []
    data = {"ticket": ticket_data(ticket), **data}
    return record([subscription], event, data, ticket.pk)
