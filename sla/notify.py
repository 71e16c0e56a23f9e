"""What the sweep says when a deadline comes near or passes: a line on the
timeline, and a notification to the owner, or to the team when nobody owns
the ticket, only for people who can see it (S3)."""

from django.db.models import Q

from accounts.models import User
from conversations.models import Notification
from tickets.access import users_who_see
from tickets.models import Ticket, TicketEvent

KINDS = {"due_soon": Notification.Kind.SLA_DUE_SOON, "overdue": Notification.Kind.SLA_OVERDUE}


def announce(ticket: Ticket, clock: str, state: str) -> None:
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.SLA, field=clock, new_value=state
    )
    people = users_who_see(ticket)
    if ticket.owner_id:
        people = people.filter(pk=ticket.owner_id)
    elif ticket.team_id:
        people = people.filter(
            Q(main_team_id=ticket.team_id)
            | Q(pk__in=User.teams.through.objects.filter(team_id=ticket.team_id).values("user_id"))
        )
    else:
        return
    Notification.objects.bulk_create(
        Notification(user_id=pk, ticket=ticket, kind=KINDS[state])
        for pk in people.values_list("pk", flat=True)[:50]
    )
