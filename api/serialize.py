"""Rows as the API's JSON shapes (api.schemas). Reads nothing the rows did not
bring: related rows come from select_related / prefetch_related."""

import base64
import functools
import json

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from sla import clocks
from tickets.models import TicketEvent

from .conditional import representation_digest


def person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.display_name}


def named(row) -> dict | None:
    return None if row is None else {"id": row.pk, "name": row.name}


def sla_status(ticket, now=None) -> dict | None:
    return clocks.status(ticket, now or timezone.now())


def ticket(row, now=None) -> dict:
    return {
        "id": row.pk,
        "name": row.name,
        "pipeline": named(row.pipeline),
        "stage": {"id": row.stage.pk, "name": row.stage.name, "is_closed": row.stage.is_closed},
        "owner": person(row.owner),
        "team": named(row.team),
        "priority": row.priority,
        "category": row.category,
        "source": row.source,
        "properties": row.properties,
        "tags": [{"name": t.name, "colour": t.colour} for t in row.tags.all()],
        "contact_name": row.contact_name,
        "preview": row.preview,
        "is_open": row.is_open,
        "created_at": row.created_at,
        "last_activity_at": row.last_activity_at,
        "closed_at": row.closed_at,
        "sla": sla_status(row, now),
        "url": ticket_url(row.pk),
    }


def ticket_url(pk: int) -> str:
    """The ticket's API address: the route reversed once, not once a row."""
    return _ticket_prefix() + str(pk)


@functools.cache
def _ticket_prefix() -> str:
    return reverse("api-v1:ticket_get", args=[0]).removesuffix("0")


def last_event() -> Subquery:
    """The id of the ticket's latest timeline line, read through the timeline
    index: the ticket's version for ETag and If-Match."""
    events = TicketEvent.objects.filter(ticket=OuterRef("pk")).order_by("-created_at", "-id")
    return Subquery(events.values("id")[:1])


def etag(row, body: dict) -> str:
    """The ticket's version (its latest timeline line, which If-Match reads)
    and a digest of the rest of what `body` shows: names of its owner, tags,
    contacts and the SLA state change without a timeline line, and If-None-Match
    must not call such a body unchanged."""
    shown = {key: value for key, value in body.items() if key != "etag"}
    return f'"{row.pk}.{row.last_event_id or 0}.{representation_digest(shown)}"'


def ticket_detail(row) -> dict:
    body = {
        **ticket(row),
        "description": row.description,
        "is_spam": row.is_spam,
        "language": row.language,
        "merged_into": row.merged_into_id,
        "contacts": [
            {"id": c.pk, "name": c.display_name, "email": c.email} for c in row.contacts.all()
        ],
        "companies": [
            {"id": c.pk, "name": c.name, "domain": c.domain} for c in row.companies.all()
        ],
    }
    body["etag"] = etag(row, body)
    return body


def change(event) -> dict:
    return {
        "field": event.field,
        "kind": event.kind,
        "by": person(event.actor),
        "at": event.created_at,
        "old": event.old_value,
        "new": event.new_value,
    }


def event(row) -> dict:
    return {**change(row), "id": row.pk, "via": row.via, "via_name": row.via_name}


def attachment(row) -> dict:
    return {
        "id": row.pk,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "url": reverse("api-v1:attachment_content", args=[row.pk]),
    }


def message(row) -> dict:
    return {
        "id": row.pk,
        "kind": row.kind,
        "direction": row.direction,
        "channel": row.thread.channel,
        "author": person(row.author),
        "contact": row.contact_id,
        "from_name": row.from_name,
        "from_email": row.from_email,
        "to": row.to,
        "cc": row.cc,
        "subject": row.subject,
        "html": row.html,
        "text": row.text,
        "created_at": row.created_at,
        "attachments": [attachment(a) for a in row.attachments.all()],
    }


def contact(row) -> dict:
    return {
        "id": row.pk,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "name": row.display_name,
        "email": row.email,
        "phone": row.phone,
        "mobile": row.mobile,
        "company": named(row.company),
        "created_at": row.created_at,
    }


def company(row) -> dict:
    return {"id": row.pk, "name": row.name, "domain": row.domain, "created_at": row.created_at}


# Cursors ----------------------------------------------------------------------


def encode_cursor(values: list) -> str:
    """An opaque cursor for keyset pagination (JSON in URL-safe base64)."""
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return values if isinstance(values, list) else None


def next_link(request, cursor: str | None) -> str | None:
    """The request's URL with `cursor` in place of its own."""
    if cursor is None:
        return None
    params = [(k, v) for k, values in request.GET.lists() for v in values if k != "cursor"]
    params.append(("cursor", cursor))
    return request.build_absolute_uri(f"{request.path}?{urlencode(params)}")
