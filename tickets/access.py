"""Who may see which ticket: the only place that decides it (S3, ARCHITECTURE rule 1).

Every list, count, detail page, association change and later search, attachment
and notification starts from these functions. A ticket outside them is a 404,
exactly like a ticket that does not exist.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User, member_of
from helpdesk import memo

from .models import Ticket, TicketQuerySet


def visible_tickets(user: User) -> TicketQuerySet:
    """The tickets `user` may see, count and open, as one SQL filter."""
    return _in_scope(user, Ticket.objects.alive())


def deleted_tickets(user: User) -> TicketQuerySet:
    """Recently deleted tickets `user` would see were they not deleted (S11):
    the same scope, for the Recently deleted list and restoring. Only agents
    with a seat delete and restore (collaborators view, edit, reply and
    comment, S2)."""
    if not user.is_authenticated or not user.has_seat:
        return Ticket.objects.none()
    return _in_scope(user, Ticket.objects.filter(deleted_at__isnull=False))


def may_delete(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_seat


def _in_scope(user: User, tickets: TicketQuerySet) -> TicketQuerySet:
    return tickets.filter(visibility_scope(user))


def visibility_scope(user: User) -> Q:
    """The rule of visible_tickets() as a condition on `team_id` and
    `owner_id`, for tables that carry both for each ticket (the reports'
    facts and rollups) and so may be narrowed without joining the tickets.
    Deleted tickets are the caller's to leave out."""
    # Signed-out and deactivated users see nothing.
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    # Super admins see every ticket, whatever scope they were given.
    if user.is_super_admin:
        return Q()
    # "All tickets" scope.
    if user.visibility == User.Visibility.ALL:
        return Q()
    # "Team tickets only": tickets of their main or additional teams, and any
    # ticket they own (an owner is never locked out of their own work).
    if user.visibility == User.Visibility.TEAMS:
        return Q(team_id__in=user.team_ids) | Q(owner_id=user.pk)
    # "Owned tickets only".
    return Q(owner_id=user.pk)


def get_ticket_for_user(user: User, pk: int | str, *, for_update: bool = False) -> Ticket:
    """The ticket `pk` if `user` may see it, else Http404.

    Everyone who can see a ticket may also work it (S2: collaborators view, edit,
    reply and comment), so there is no separate write check yet.
    """
    tickets = (
        visible_tickets(user)
        .select_related("pipeline", "stage", "owner", "team")
        # The settings' version, for the pane to keep them (helpdesk.memo)
        # without a round trip of its own.
        .annotate(config_version=memo.version_subquery())
    )
    try:
        if for_update:
            return tickets.locked(pk).get()
        return tickets.get(pk=pk)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def users_who_see(ticket: Ticket) -> QuerySet[User]:
    """The active users who may see `ticket`, as one SQL filter: the same rules as
    visible_tickets() read from the other side (mention autocomplete, notifying).
    A test holds the two to the same answers."""
    if ticket.deleted_at is not None:
        return User.objects.none()
    scope = (
        Q(role=User.Role.SUPER_ADMIN)
        | Q(visibility=User.Visibility.ALL)
        | Q(pk=ticket.owner_id)
        | (Q(visibility=User.Visibility.TEAMS) & member_of(ticket.team_id))
    )
    return User.objects.filter(scope, is_active=True)
