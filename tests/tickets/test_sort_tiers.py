"""The table reads each sort tier by tier, each tier in an index's order
(issue 22). Whatever the data, the pages of the tiers list the tickets in
exactly the order of one plain sort, which the API pages through too."""

import datetime
import itertools
import random

import pytest
from django.utils import timezone

from accounts.models import User
from helpdesk import memo
from tests.factories import PipelineFactory, TeamFactory, TicketFactory, UserFactory
from tickets import filters, queries
from tickets.filters import Condition
from tickets.models import Priority, Stage, Ticket


@pytest.fixture
def mixed_tickets(db, agent):
    """Thirty tickets with every sort column varied, ties included: two teams
    and two owners of one first name, two pipelines whose statuses share
    positions, empty contacts, priorities and SLA clocks, a closed ticket with
    a deadline left over, and a deleted ticket."""
    rng = random.Random(22)
    teams = [TeamFactory(name=name) for name in ("Billing", "apps", "Ärende")] + [None]
    owners = [
        UserFactory(username=f"o{i}", first_name=first, last_name=last)
        for i, (first, last) in enumerate([("Ann", "B"), ("Ann", "A"), ("bo", ""), ("", "Z")])
    ] + [None]
    pipelines = [PipelineFactory(), PipelineFactory()]
    stages = list(Stage.objects.filter(pipeline__in=pipelines))
    now = timezone.now()
    tickets = [TicketFactory(pipeline=rng.choice(pipelines)) for _ in range(30)]
    for ticket in tickets:
        stage = rng.choice([s for s in stages if s.pipeline_id == ticket.pipeline_id])
        due = now + datetime.timedelta(hours=rng.randint(-5, 5))
        Ticket.objects.filter(pk=ticket.pk).update(
            name=rng.choice(["Refund", "refund", "Login", "Ödeme", "환불"]),
            contact_name=rng.choice(["", "Zed", "anna", "Anna", "민준"]),
            team=rng.choice(teams),
            owner=rng.choice(owners),
            stage=stage,
            is_open=not stage.is_closed,
            priority=rng.choice(["", *Priority.values]),
            sla_first_response_due=rng.choice([None, due]),
            sla_close_due=rng.choice([None, due + datetime.timedelta(hours=1)]),
            sla_paused_at=rng.choice([None, None, now]),
            created_at=now - datetime.timedelta(minutes=rng.randint(0, 3)),
            last_activity_at=now - datetime.timedelta(minutes=rng.randint(0, 3)),
        )
    Ticket.objects.filter(pk=tickets[0].pk).update(deleted_at=now)
    return User.objects.get(pk=agent.pk)


# Filters that leave out some of a sort's tiers: the tiers they exclude are
# skipped, and the pages must not notice.
NARROWING = [
    [],
    [Condition("priority", "any_of", "high")],
    [Condition("priority", "is_not", "high,low")],
    [Condition("owner", "any_of", filters.NOBODY)],
]


def _table(agent, slug: str, conditions: list):
    view = queries.get_view_for_user(agent, slug)
    return queries._table_tickets(agent, view, filters.ListState(conditions))[0]


def test_tiers_page_through_the_plain_sort(mixed_tickets):
    """Every sort, both ways, in a view of open tickets and in All tickets,
    under filters that leave tiers out (one test: the thirty tickets are
    made once)."""
    agent = mixed_tickets
    for slug, conditions in itertools.product(("all", "all-open"), NARROWING):
        tickets = _table(agent, slug, conditions)
        for key in [*filters.SORTS, *(f"-{key}" for key in filters.SORTS)]:
            expected = list(filters.sort(tickets, key).values_list("pk", flat=True))
            assert len(expected) > (10 if not conditions else 1), (slug, conditions)
            tiers = filters.sort_tiers(tickets, key)
            for size in (7, 50):
                pages = [
                    [row.pk for row in queries._paged(tiers, start, size, lambda qs: qs)]
                    for start in range(0, len(expected) + size, size)
                ]
                assert [pk for page in pages for pk in page] == expected, (slug, key, size)


@pytest.mark.parametrize(
    ("conditions", "tiers"),
    [
        ([], ["", *Priority.values]),
        ([Condition("priority", "any_of", "high")], ["high"]),
        ([Condition("priority", "any_of", "urgent"), Condition("team", "any_of", "1")], ["urgent"]),
        ([Condition("priority", "is_not", "high,low")], ["", "medium", "urgent"]),
        # "Known" is "NOT (empty OR null)": not read, so no tier is left out.
        ([Condition("priority", "known")], ["", *Priority.values]),
    ],
)
def test_the_priority_tiers_a_filter_excludes_are_not_read(mixed_tickets, conditions, tiers):
    """PostgreSQL costs a tier its filter excludes as a scan of every ticket:
    38 ms a tier at a million tickets, with parallel workers and JIT."""
    tickets = _table(mixed_tickets, "all", conditions)
    read = [
        tier._condition.children[0][1] for tier, _order in filters.sort_tiers(tickets, "priority")
    ]
    assert read == tiers


def test_an_unassigned_list_sorted_by_owner_is_its_own_last_tier(mixed_tickets):
    """Saying "owner IS NULL" twice made PostgreSQL expect a fiftieth of the
    unassigned tickets and sort them all (0.1 s at a million)."""
    tickets = _table(mixed_tickets, "all", [Condition("owner", "any_of", filters.NOBODY)])
    ((tier, _order),) = filters.sort_tiers(tickets, "-owner")
    assert tier is tickets


def test_a_narrow_list_with_many_tiers_is_sorted_at_once(
    mixed_tickets, django_assert_max_num_queries
):
    """A list of a few tickets is sorted in one query (plus its count), not
    one query per owner."""
    agent = mixed_tickets
    view = queries.get_view_for_user(agent, "all")
    state = filters.ListState([], "", "owner")
    # As the table's view runs it: its settings kept under the version read.
    with memo.checked(memo.read()):
        queries.tickets_for_table(agent, view, state)
        with django_assert_max_num_queries(6):
            page = queries.tickets_for_table(agent, view, state)
    assert len(page.tickets) == 29
