"""Routing listens to the ticket's activity (ARCHITECTURE: signals flow up):
a ticket that waits for an owner in a routed team is routed after its change
commits (the language it is matched on came with the first customer message:
conversations.languages)."""

from django.dispatch import receiver

from accounts.models import Team
from helpdesk.memo import remembered
from tickets.models import Ticket
from tickets.services import import_mode
from tickets.signals import ticket_activity

from . import services


def routed_teams() -> frozenset[int]:
    """The ids of the teams whose tickets are routed (kept between inbound
    messages: helpdesk.memo)."""
    return remembered(
        "routing.teams",
        lambda: frozenset(
            Team.objects.filter(routing__in=services.ROUTED).values_list("pk", flat=True)
        ),
    )


@receiver(ticket_activity, dispatch_uid="routing.on_ticket_activity")
def on_ticket_activity(sender, ticket: Ticket, kind: str, **details):
    # "created": a ticket made without an owner (by an agent, a form), once that kind is sent.
    moved_team = kind == "properties" and "team" in details.get("previous", {})
    if kind not in ("customer_message", "created") and not moved_team:
        return
    if import_mode() is not None:
        return  # imported history keeps its owners; nobody is handed the past
    if (
        ticket.owner_id is None
        and ticket.team_id is not None
        and ticket.is_open
        and ticket.team_id in routed_teams()
    ):
        services.route_soon(ticket.pk)
