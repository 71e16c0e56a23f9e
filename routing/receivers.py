"""Routing listens to the ticket's activity (ARCHITECTURE: signals flow up):
the first customer message gives the ticket its language, and a ticket that
waits for an owner in a routed team is routed after its change commits."""

from django.dispatch import receiver

from accounts.models import Team
from helpdesk.memo import remembered
from tickets.models import Ticket
from tickets.services import import_mode, ticket_set_language
from tickets.signals import ticket_activity

from . import services
from .languages import detect


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
    if kind == "customer_message":
        message = details.get("message")
        if not ticket.language and message is not None:
            ticket_set_language(
                ticket=ticket, language=detect(f"{message.subject}\n{message.text}")
            )
    elif kind == "created":
        pass  # a ticket made without an owner (by an agent, a form), once that kind is sent
    elif not (kind == "properties" and "team" in details.get("previous", {})):
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
