"""What the sweep says when a deadline comes near or passes: a line on the
timeline, and a notification to the owner, or to the team when nobody owns
the ticket, only for people who can see it (S3). Written in bulk: a sweep's
cost follows what is due, in a handful of statements."""

from django.utils import timezone

from accounts.models import member_of
from conversations.models import Notification
from tickets.access import users_who_see
from tickets.models import Ticket, TicketEvent
from tickets.signals import ticket_activity

KINDS = {"due_soon": Notification.Kind.SLA_DUE_SOON, "overdue": Notification.Kind.SLA_OVERDUE}


def announce_all(announcements: list[tuple[Ticket, str, str]]) -> None:
    """Record and notify each (ticket, clock, "due_soon" | "overdue"), and tell
    the apps that act on it (rules on "SLA due soon / overdue")."""
    TicketEvent.objects.bulk_create(
        TicketEvent(ticket=ticket, kind=TicketEvent.Kind.SLA, field=clock, new_value=state)
        for ticket, clock, state in announcements
    )
    for ticket, clock, state in announcements:
        ticket_activity.send(
            Ticket, ticket=ticket, kind="sla", at=timezone.now(), clock=clock, state=state
        )
    team_people = {}  # team id -> the ids of its members, for unowned tickets
    notifications = []
    for ticket, _clock, state in announcements:
        if ticket.owner_id:
            # An owner always sees their own ticket (tickets.access).
            people = [ticket.owner_id] if ticket.owner.is_active else []
        elif ticket.team_id:
            if ticket.team_id not in team_people:
                team_people[ticket.team_id] = list(
                    users_who_see(ticket)
                    .filter(member_of(ticket.team_id))
                    .values_list("pk", flat=True)[:50]
                )
            people = team_people[ticket.team_id]
        else:
            people = []
        notifications += [
            Notification(user_id=pk, ticket=ticket, kind=KINDS[state]) for pk in people
        ]
    Notification.objects.bulk_create(notifications)
