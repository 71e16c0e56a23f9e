"""Routing: who of a ticket's team gets a ticket nobody owns (issue 17).

A team routes by hand (the default), in turn (round-robin), or to the agent
with the fewest open tickets. Either way only agents who can take it now are
candidates:

- active agents with a seat, members of the team (main or additional team);
- Available (each agent sets it in the account menu);
- within the team's working hours: its SLA calendar, else the help desk's
  default calendar, else always;
- under the team's cap of open tickets per agent (0: no cap);
- speaking the ticket's language, when someone in the team declares it (a
  language nobody in the team speaks goes to anyone rather than waiting for
  ever); the same for the skill a ticket property names.

When nobody can take it, the ticket waits unassigned. `route_waiting` hands
out the waiting tickets of a team, oldest first: when an agent becomes
available, and every minute from the beat (for working hours that start).

Locks, always in this order: the ticket row, the team row, the team's agent
rows (by id). The team row serialises routing within a team, so round-robin
turns and caps are read after the previous assignment committed; the agent
rows serialise teams that share an agent, and an agent setting themselves
Away.
"""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.models import Team, User, member_of
from accounts.services import user_set_availability
from conversations.languages import primary
from helpdesk.queue import enqueue
from sla.clocks import team_schedule
from tickets.models import OPEN_TICKETS, Ticket, TicketEvent
from tickets.services import acting_as, ticket_update

log = logging.getLogger(__name__)

ROUTED = (Team.Routing.ROUND_ROBIN, Team.Routing.LEAST_OPEN)
SEATS = (User.Role.AGENT, User.Role.SUPER_ADMIN)
# How many waiting tickets of one team a single pass looks at; the next pass
# (the beat, a minute later) goes on from the oldest still waiting.
WAITING_BATCH = 200


# Working hours ---------------------------------------------------------------


def is_working(team: Team, moment: datetime.datetime) -> bool:
    """Whether `moment` is in the team's working hours (sla.clocks.team_schedule)."""
    return team_schedule(team.pk).is_working(moment)


# Choosing --------------------------------------------------------------------


def open_counts(user_ids: Iterable[int], within: QuerySet[Ticket] | None = None) -> dict[int, int]:
    """Open tickets each user owns, in every team (the partial index
    ticket_open_owner answers it); `within`: only among these tickets (what a
    viewer may see, for the availability page)."""
    tickets = Ticket.objects.all() if within is None else within
    rows = (
        tickets.filter(OPEN_TICKETS, owner_id__in=list(user_ids))
        .values("owner_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["owner_id"]: row["n"] for row in rows}


def team_agents(team: Team, *, lock: bool = False):
    agents = User.objects.filter(member_of(team.pk), is_active=True, role__in=SEATS).order_by("pk")
    return agents.select_for_update(of=("self",)) if lock else agents


def _matching(agents: list[User], wanted: str, declared) -> list[User]:
    """The agents who have `wanted`, when anyone in the team does; else all."""
    if not wanted:
        return agents
    speakers = [agent for agent in agents if wanted in declared(agent)]
    return speakers or agents


@dataclass
class Choice:
    agent: User | None
    # Nobody at all could take a ticket of this team now (Away, off hours, at
    # their cap): a pass over the waiting tickets can stop.
    nobody: bool = False


def choose(team: Team, ticket: Ticket, agents: list[User], now: datetime.datetime) -> Choice:
    """The agent `team`'s method picks for `ticket` among `agents` (its
    members, in id order)."""
    if team.routing not in ROUTED or not is_working(team, now):
        return Choice(None, nobody=True)
    # Counting is the costly read (an index range per agent): only the cap
    # and least-open need it, plain round-robin does not.
    counted = team.routing_cap or team.routing == Team.Routing.LEAST_OPEN
    counts = open_counts(agent.pk for agent in agents) if counted else {}
    free = [
        agent
        for agent in agents
        if agent.availability == User.Availability.AVAILABLE
        and (not team.routing_cap or counts.get(agent.pk, 0) < team.routing_cap)
    ]
    if not free:
        return Choice(None, nobody=True)
    language = primary(ticket.language) if ticket.language else ""
    skill = ""
    if team.routing_skill_property:
        skill = str(ticket.properties.get(team.routing_skill_property, "")).strip().lower()
    # Who in the whole team (Away or not) has the language and skill decides
    # whether the ticket must wait for them.
    fit = _matching(agents, language, lambda a: {primary(code) for code in a.languages or ()})
    fit = _matching(fit, skill, lambda a: set(a.skills or ()))
    fit_ids = {agent.pk for agent in fit}
    candidates = [agent for agent in free if agent.pk in fit_ids]
    if not candidates:
        return Choice(None)
    if team.routing == Team.Routing.LEAST_OPEN:
        return Choice(min(candidates, key=lambda a: (counts.get(a.pk, 0), a.pk)))
    # Round-robin: the next agent after the one who had the last turn, by id,
    # wrapping around; an agent skipped now (Away, at the cap) is not owed a turn.
    last = team.routing_last_agent_id or 0
    after = [agent for agent in candidates if agent.pk > last]
    return Choice((after or candidates)[0])


# Assigning -------------------------------------------------------------------


def _route(ticket: Ticket, now: datetime.datetime | None = None) -> Choice:
    with transaction.atomic():
        locked = Ticket.objects.locked(ticket.pk).first()
        if (
            locked is None
            or locked.owner_id is not None
            or locked.team_id is None
            or not locked.is_open
            or locked.is_spam
            or locked.deleted_at is not None
        ):
            return Choice(None)
        team = Team.objects.select_for_update().get(pk=locked.team_id)
        if team.routing not in ROUTED:
            return Choice(None, nobody=True)
        agents = list(team_agents(team, lock=True))
        choice = choose(team, locked, agents, now or timezone.now())
        if choice.agent is None:
            return choice
        with acting_as(TicketEvent.Via.ROUTING, team.routing):
            ticket_update(actor=None, ticket=locked, owner=choice.agent)
        team.routing_last_agent = choice.agent
        team.save(update_fields=["routing_last_agent"])
        ticket.owner = choice.agent
        return choice


def route(ticket: Ticket, *, now: datetime.datetime | None = None) -> User | None:
    """Give `ticket` to the agent its team's routing picks, and return them;
    None when the ticket has an owner already, its team routes by hand, or
    nobody can take it now (it waits). Also the rules engine's "assign by
    routing" action. Safe to call inside a transaction that holds the
    ticket's lock; never call it holding a team's lock without the ticket's."""
    return _route(ticket, now).agent


def route_waiting(
    team_ids: Iterable[int] | None = None,
    *,
    now: datetime.datetime | None = None,
    batch: int = WAITING_BATCH,
) -> int:
    """Route the unassigned open tickets of routed teams, oldest first, until
    nobody can take more. Each ticket in its own transaction, so a pass never
    holds a team's lock for long. Returns how many were assigned."""
    teams = Team.objects.filter(routing__in=ROUTED).order_by("pk")
    if team_ids is not None:
        teams = teams.filter(pk__in=list(team_ids))
    assigned = 0
    for team_id in teams.values_list("pk", flat=True):
        # The partial index ticket_open_unrouted: (team, id) over open
        # unassigned tickets, so this reads only what waits.
        waiting = (
            Ticket.objects.filter(OPEN_TICKETS, owner__isnull=True, team_id=team_id)
            .order_by("id")
            .values_list("pk", flat=True)[:batch]
        )
        for pk in list(waiting):
            choice = _route(Ticket(pk=pk), now)
            if choice.agent is not None:
                assigned += 1
            elif choice.nobody:
                break
    return assigned


def route_soon(ticket_id: int) -> None:
    """Route the ticket after the transaction that made it waiting commits, in
    a transaction of its own: the change that triggered it (a message stored,
    a team moved) never rolls back because routing failed, and the caller's
    copy of the ticket is not left stale by an owner set under it. A failure
    is logged; the beat's pass picks the ticket up."""
    transaction.on_commit(lambda: route(Ticket(pk=ticket_id)), robust=True)


def agent_set_availability(*, user: User, availability: str) -> None:
    """Available or Away. Becoming available hands the agent's teams'
    waiting tickets out, oldest first, once the change is committed."""
    with transaction.atomic():
        changed = user_set_availability(user=user, availability=availability)
        if changed and availability == User.Availability.AVAILABLE:
            team_ids = sorted(user.team_ids)
            if team_ids:
                transaction.on_commit(
                    lambda: enqueue("routing.tasks.route_waiting_tickets", team_ids)
                )
