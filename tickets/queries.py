"""Reads for the workspace screens. Each starts from access.visible_tickets()."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from crm.models import Contact

from .access import visible_tickets
from .models import Ticket, TicketEvent, TicketQuerySet


def _related(name: str):
    """A model that points at Ticket, found through its reverse relation, so these
    views need not import the apps that own them (dependencies point one way)."""
    return Ticket._meta.get_field(name).related_model


def _sent_by(user: User):
    """Tickets the user replied to by email (S26 "Sent")."""
    messages = _related("messages").objects
    return messages.filter(author=user, direction="outbound", kind="message").values("ticket_id")


def _drafted_by(user: User):
    """Tickets where the user has an unsent draft (S19): only their own."""
    return _related("drafts").objects.filter(user=user).values("ticket_id")


@dataclass(frozen=True)
class DefaultView:
    """A built-in view of S26: a name, an icon and a filter over visible tickets."""

    slug: str
    label: Promise
    icon: str
    filter: Callable[[TicketQuerySet, User], TicketQuerySet]
    empty: Promise
    # Collaborators get only the views that are not seat-only (S2).
    seat_only: bool = True


DEFAULT_VIEWS = [
    DefaultView(
        "unassigned",
        _("Unassigned tickets"),
        "inbox",
        lambda tickets, user: tickets.open().filter(owner__isnull=True),
        _("Every open ticket has an owner. New tickets without one will appear here."),
    ),
    DefaultView(
        "mine",
        _("Assigned to me"),
        "user",
        lambda tickets, user: tickets.open().filter(owner=user),
        _("No open tickets are assigned to you. Pick one from Unassigned tickets."),
        seat_only=False,
    ),
    DefaultView(
        "my-teams",
        _("Open in my team"),
        "users",
        lambda tickets, user: tickets.open().filter(team_id__in=user.team_ids),
        _("Your teams have no open tickets."),
    ),
    DefaultView(
        "all-open",
        _("All open"),
        "layers",
        lambda tickets, user: tickets.open(),
        _("No open tickets. Nice work."),
    ),
    DefaultView(
        "sent",
        _("Sent"),
        "send",
        lambda tickets, user: tickets.filter(id__in=_sent_by(user)),
        _("Tickets you reply to appear here."),
    ),
    DefaultView(
        "drafts",
        _("Drafts"),
        "file-pen-line",
        lambda tickets, user: tickets.filter(id__in=_drafted_by(user)),
        _("Replies and comments you start and do not send are kept here."),
        seat_only=False,
    ),
    DefaultView(
        "spam",
        _("Spam"),
        "shield-alert",
        lambda tickets, user: tickets.spam(),
        _("No ticket is marked as spam."),
    ),
]


def views_for_user(user: User) -> list[DefaultView]:
    return [v for v in DEFAULT_VIEWS if user.has_seat or not v.seat_only]


def get_view_for_user(user: User, slug: str) -> DefaultView | None:
    return next((v for v in views_for_user(user) if v.slug == slug), None)


def view_counts_for_sidebar(user: User) -> dict[str, int]:
    """One COUNT per view, each served by the view's partial index."""
    tickets = visible_tickets(user)
    return {v.slug: v.filter(tickets, user).count() for v in views_for_user(user)}


# What a list row shows (ARCHITECTURE rule 5): the denormalised columns, the
# status and the owner's name. Descriptions and custom properties stay behind.
ROW_FIELDS = (
    "id",
    "name",
    "priority",
    "contact_name",
    "preview",
    "last_activity_at",
    "stage__name",
    "stage__is_closed",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    # The SLA badge, derived from the deadlines (rule 4).
    "is_open",
    "sla_first_response_due",
    "sla_first_response_at",
    "sla_next_response_due",
    "sla_close_due",
    "sla_paused_at",
    "sla_due_soon_minutes",
)


@dataclass
class TicketPage:
    tickets: list
    next_cursor: str | None


def encode_cursor(last_activity_at: datetime.datetime, pk: int) -> str:
    return f"{last_activity_at.isoformat()}~{pk}"


def decode_cursor(cursor: str | None) -> tuple[datetime.datetime, int] | None:
    """The (last activity, id) position encoded in `cursor`, or None when malformed."""
    if not cursor or "~" not in cursor:
        return None
    moment, _sep, pk = cursor.rpartition("~")
    try:
        parsed = parse_datetime(moment.replace(" ", "+"))
        return (parsed, int(pk)) if parsed else None
    except ValueError:
        return None


NEWER_SHOWN = 99


def count_newer(user: User, view: DefaultView, since: datetime.datetime) -> int:
    """How many tickets of the view had activity after `since`, counting no
    further than NEWER_SHOWN (the cost stays bounded on a busy desk)."""
    tickets = view.filter(visible_tickets(user), user).filter(last_activity_at__gt=since)
    return tickets.values("pk")[:NEWER_SHOWN].count()


def view_contains(view: DefaultView, user: User, pk: int) -> bool:
    return view.filter(visible_tickets(user), user).filter(pk=pk).exists()


def tickets_for_view(user: User, view: DefaultView, cursor: str | None = None) -> TicketPage:
    """One page of a view, newest activity first, with keyset pagination.

    The page after `cursor` starts strictly below (last activity, id); the
    redundant `last_activity_at <=` bound lets the database seek straight to it.
    """
    tickets = view.filter(visible_tickets(user), user)
    position = decode_cursor(cursor)
    if position:
        moment, pk = position
        tickets = tickets.filter(last_activity_at__lte=moment).filter(
            Q(last_activity_at__lt=moment) | Q(id__lt=pk)
        )
    size = settings.HELPDESK_LIST_PAGE_SIZE
    rows = list(
        tickets.select_related("owner", "stage")
        .only(*ROW_FIELDS)
        .order_by("-last_activity_at", "-id")[: size + 1]
    )
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = encode_cursor(rows[-1].last_activity_at, rows[-1].pk)
    return TicketPage(rows, next_cursor)


def events_for_timeline(ticket, limit: int = 100) -> list[TicketEvent]:
    return list(ticket.events.select_related("actor")[:limit])


def past_tickets_for_contacts(user: User, ticket, contacts, limit: int = 5) -> list:
    """The contacts' other tickets this user may see, latest activity first (S15)."""
    if not contacts:
        return []
    return list(
        visible_tickets(user)
        .filter(contacts__in=contacts)
        .exclude(pk=ticket.pk)
        .select_related("stage")
        .only("id", "name", "last_activity_at", "stage__name", "stage__is_closed")
        .order_by("-last_activity_at", "-id")
        .distinct()[:limit]
    )


def linked_tickets(user: User, ticket) -> list:
    """Tickets linked to this one (follow-ups, split parts) that the user may see."""
    return list(
        visible_tickets(user)
        .filter(linked_tickets=ticket)
        .select_related("stage")
        .only("id", "name", "last_activity_at", "stage__name", "stage__is_closed")
        .order_by("-last_activity_at", "-id")[:10]
    )


RECORD_TICKETS = 50


def tickets_of_record(user: User, record, limit: int = RECORD_TICKETS) -> list:
    """A contact's or company's tickets this user may see, latest activity first."""
    relation = "contacts" if isinstance(record, Contact) else "companies"
    return list(
        visible_tickets(user)
        .filter(**{relation: record})
        .select_related("stage", "owner")
        .only(
            "id",
            "name",
            "priority",
            "last_activity_at",
            "preview",
            "stage__name",
            "stage__is_closed",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )
        .order_by("-last_activity_at", "-id")[:limit]
    )
