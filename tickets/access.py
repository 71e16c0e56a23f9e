"""Who may see which ticket: the only place that decides it (S3, ARCHITECTURE rule 1).

Every list, count, detail page, association change and later search, attachment
and notification starts from these functions. A ticket outside them is a 404,
exactly like a ticket that does not exist.
"""

import functools

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User, member_of
from helpdesk import memo
from helpdesk.prepared import Prepared

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


def sees_every_ticket(user: User) -> bool:
    """Whether `user`'s scope leaves no ticket out (super admins, "All
    tickets"): what their views count does not depend on how a team's or an
    owner's tickets are spread through the table."""
    return _scope(user)[0] == EVERY


def _in_scope(user: User, tickets: TicketQuerySet) -> TicketQuerySet:
    return tickets.filter(visibility_scope(user))


def visibility_scope(user: User) -> Q:
    """The rule of visible_tickets() as a condition on `team_id` and
    `owner_id`, for tables that carry both for each ticket (the reports'
    facts and rollups) and so may be narrowed without joining the tickets.
    Deleted tickets are the caller's to leave out."""
    rule, values = _scope(user)
    return _scope_condition(rule, *values)


# The rules of visibility_scope(): each a shape of condition, filled with a
# user's values.
NOTHING, EVERY, TEAMS, OWNED = "nothing", "every", "teams", "owned"


def _scope(user: User) -> tuple[str, tuple[int, ...]]:
    """Which rule applies to `user`, and its values."""
    # Signed-out and deactivated users see nothing.
    if not user.is_authenticated or not user.is_active:
        return NOTHING, ()
    # Super admins see every ticket, whatever scope they were given; and the
    # "All tickets" scope.
    if user.is_super_admin or user.visibility == User.Visibility.ALL:
        return EVERY, ()
    # "Team tickets only": tickets of their main or additional teams, and any
    # ticket they own (an owner is never locked out of their own work).
    if user.visibility == User.Visibility.TEAMS:
        return TEAMS, (user.pk, *sorted(user.team_ids))
    # "Owned tickets only".
    return OWNED, (user.pk,)


def _scope_condition(rule: str, *values: int) -> Q:
    if rule == NOTHING:
        return Q(pk__in=[])
    if rule == EVERY:
        return Q()
    if rule == TEAMS:
        owner, *teams = values
        return Q(team_id__in=teams) | Q(owner_id=owner)
    return Q(owner_id=values[0])


def get_ticket_for_user(user: User, pk: int | str, *, for_update: bool = False) -> Ticket:
    """The ticket `pk` if `user` may see it, else Http404.

    Everyone who can see a ticket may also work it (S2: collaborators view, edit,
    reply and comment), so there is no separate write check yet.
    """
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        raise Http404 from None
    rule, values = _scope(user)
    if rule == NOTHING:
        raise Http404
    if for_update:
        try:
            return _with_header(visible_tickets(user)).locked(pk).get()
        except Ticket.DoesNotExist:
            raise Http404 from None
    ticket: Ticket | None = _visible_ticket(rule, len(values)).first(pk, *values)
    if ticket is None:
        raise Http404
    return ticket


def _with_header(tickets: TicketQuerySet) -> TicketQuerySet:
    return (
        tickets.select_related("pipeline", "stage", "owner", "team")
        # The settings' version, for the pane to keep them (helpdesk.memo)
        # without a round trip of its own.
        .annotate(config_version=memo.version_subquery())
    )


@functools.cache
def _visible_ticket(rule: str, count: int) -> Prepared:
    """Ticket `pk` if a user under `rule`, with `count` values, may see it:
    read for every ticket opened, compiled once (helpdesk.prepared)."""

    def build(pk: int, *values: int) -> TicketQuerySet:
        return _with_header(Ticket.objects.alive().filter(_scope_condition(rule, *values), pk=pk))

    return Prepared(build, int, *[int] * count)


def users_who_see(ticket: Ticket) -> QuerySet[User]:
    """The active users who may see `ticket`, as one SQL filter: the same rules as
    visible_tickets() read from the other side (mention autocomplete, notifying).
    A test holds the two to the same answers."""
    if ticket.deleted_at is not None:
        return User.objects.none()
    return User.objects.filter(_seeing(ticket.owner_id, ticket.team_id), is_active=True)


def _seeing(owner_id: int | None, team_id: int | None) -> Q:
    return (
        Q(role=User.Role.SUPER_ADMIN)
        | Q(visibility=User.Visibility.ALL)
        | Q(pk=owner_id)
        | (Q(visibility=User.Visibility.TEAMS) & member_of(team_id))
    )


def followers_who_see(ticket: Ticket, leave_out: tuple[int, ...] = ()) -> list[tuple[int, str]]:
    """(id, language) of the ticket's followers who may see it (users_who_see),
    but for the users `leave_out`: asked on every customer message, status and
    owner change (conversations.notifications), compiled once per shape."""
    if ticket.deleted_at is not None:
        return []
    owner, team = ticket.owner_id, ticket.team_id
    shape = _followers_who_see(owner is not None, team is not None, len(leave_out))
    values = [v for v in (owner, team) if v is not None]
    return shape.rows(ticket.pk, *values, *leave_out)


@functools.cache
def _followers_who_see(owner: bool, team: bool, left_out: int) -> Prepared:
    """A null owner or team is part of the SQL (IS NULL), not a value."""

    def build(ticket: int, *values: int) -> QuerySet[User, tuple[int, str]]:
        rest = list(values)
        owner_id = rest.pop(0) if owner else None
        team_id = rest.pop(0) if team else None
        users = User.objects.filter(
            _seeing(owner_id, team_id), is_active=True, follows__ticket=ticket
        )
        if rest:
            users = users.exclude(pk__in=rest)
        return users.values_list("pk", "language")

    return Prepared(build, int, *[int] * (owner + team + left_out))
