"""Webhooks listen to the ticket's activity (ARCHITECTURE: signals flow up)
and record a delivery for each subscription to the event it stands for."""

from django.dispatch import receiver

from tickets.models import Ticket
from tickets.signals import ticket_activity

from .events import actor_data, listening, message_data, publish
from .models import EventType

RECORD_FIELDS = {"owner", "team", "pipeline"}  # `previous` holds their ids


def _changes(ticket: Ticket, previous: dict) -> dict:
    """{field: {"old", "new"}} of a "properties" change; records by id."""
    found = {}
    for key, old in previous.items():
        if key in RECORD_FIELDS:
            new = getattr(ticket, f"{key}_id")
        elif hasattr(Ticket, key) and key != "properties":
            new = getattr(ticket, key)
        else:
            new = ticket.properties.get(key, "")
        found[key] = {"old": old, "new": new}
    return found


def _stage(stage) -> dict | None:
    if stage is None:
        return None
    return {"id": stage.pk, "name": stage.name, "is_closed": stage.is_closed}


@receiver(ticket_activity, dispatch_uid="webhooks.on_ticket_activity")
def on_ticket_activity(sender, ticket: Ticket, kind: str, **details):
    actor = {"actor": actor_data(details.get("actor"))}
    message = details.get("message")
    if kind == "created":
        publish(EventType.TICKET_CREATED, ticket=ticket, data=actor)
    elif kind == "properties":
        changes = _changes(ticket, details.get("previous", {}))
        publish(EventType.TICKET_UPDATED, ticket=ticket, data={"changes": changes, **actor})
    elif kind == "tags":
        tags = {"added": details.get("added", []), "removed": details.get("removed", [])}
        publish(EventType.TICKET_UPDATED, ticket=ticket, data={"changes": {"tags": tags}, **actor})
    elif kind == "stage":
        old, new = details.get("old_stage"), details.get("new_stage")
        change = {"status": {"old": _stage(old), "new": _stage(new)}}
        publish(EventType.TICKET_UPDATED, ticket=ticket, data={"changes": change, **actor})
        if new is not None and new.is_closed and not (old is not None and old.is_closed):
            publish(EventType.TICKET_CLOSED, ticket=ticket, data=actor)
    elif kind == "deleted":
        publish(EventType.TICKET_DELETED, ticket=ticket, data=actor)
    elif kind in ("customer_message", "agent_reply", "comment"):
        event = {
            "customer_message": EventType.MESSAGE_RECEIVED,
            "agent_reply": EventType.MESSAGE_SENT,
            "comment": EventType.COMMENT_ADDED,
        }[kind]
        if listening(event):
            data = {"message": message_data(message) if message is not None else None}
            if kind != "customer_message":
                data.update(actor)
            publish(event, ticket=ticket, data=data)
    elif kind == "sla":
        event = (
            EventType.SLA_OVERDUE if details.get("state") == "overdue" else EventType.SLA_DUE_SOON
        )
        publish(event, ticket=ticket, data={"clock": details.get("clock", "")})
