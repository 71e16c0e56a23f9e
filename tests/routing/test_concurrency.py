"""Routing in several processes at once (workers, the beat, an agent coming
back) never gives an agent more than the cap, nor two agents the same turn:
the team row is locked after the ticket row, the agents' rows after it."""

import threading

import pytest
from django.db import connection

from accounts.models import Team
from routing.services import route
from tests.factories import TeamFactory, TicketFactory, UserFactory
from tickets.models import OPEN_TICKETS, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def _in_threads(jobs):
    """Run each list of tickets through route() in its own thread and connection,
    all starting together; returns the errors."""
    errors = []
    start = threading.Barrier(len(jobs))

    def worker(tickets):
        try:
            start.wait()
            for ticket in tickets:
                route(Ticket(pk=ticket.pk))
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def _open_by_owner(agents):
    return [Ticket.objects.filter(OPEN_TICKETS, owner=agent).count() for agent in agents]


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")


def test_concurrent_routing_never_goes_past_the_cap(postgres, pipeline):
    team = TeamFactory(routing=Team.Routing.LEAST_OPEN, routing_cap=2)
    agents = [UserFactory(main_team=team) for _ in range(3)]
    tickets = [TicketFactory(pipeline=pipeline, team=team) for _ in range(12)]
    errors = _in_threads([tickets[n::4] for n in range(4)])
    assert not errors, errors
    assert _open_by_owner(agents) == [2, 2, 2]
    assert Ticket.objects.filter(team=team, owner__isnull=True).count() == 6


def test_concurrent_round_robin_gives_every_agent_the_same_number_of_turns(postgres, pipeline):
    team = TeamFactory(routing=Team.Routing.ROUND_ROBIN)
    agents = [UserFactory(main_team=team) for _ in range(3)]
    tickets = [TicketFactory(pipeline=pipeline, team=team) for _ in range(12)]
    errors = _in_threads([tickets[n::4] for n in range(4)])
    assert not errors, errors
    assert _open_by_owner(agents) == [4, 4, 4]


def test_an_agent_of_two_teams_routed_at_once_stays_under_the_cap(postgres, pipeline):
    first = TeamFactory(routing=Team.Routing.ROUND_ROBIN, routing_cap=1)
    second = TeamFactory(routing=Team.Routing.ROUND_ROBIN, routing_cap=1)
    shared = UserFactory(main_team=first)
    shared.teams.add(second)
    tickets = [TicketFactory(pipeline=pipeline, team=team) for team in (first, second) * 3]
    errors = _in_threads([[t] for t in tickets])
    assert not errors, errors
    assert _open_by_owner([shared]) == [1]
