"""The hourly rollups equal a direct computation from the tickets and their
timeline, whatever happened to the tickets and in whatever order the
refreshes ran (hypothesis)."""

import datetime
from collections import Counter

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports import facts
from reports.models import Rollup, TicketFact
from tests.factories import TeamFactory, TicketFactory
from tickets import services
from tickets.models import Ticket, TicketEvent

START = datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC)

step = st.tuples(
    st.sampled_from(["create", "close", "reopen", "team", "priority", "delete", "spam", "refresh"]),
    st.integers(0, 7),  # which ticket
    st.integers(1, 600),  # minutes later
)


def direct(pipeline) -> Counter:
    """Rollup cells computed straight from tickets and their timeline."""
    found: Counter = Counter()
    closed = {s.name for s in pipeline.stages.filter(is_closed=True)}
    counted = Ticket.objects.filter(
        deleted_at__isnull=True, is_spam=False, merged_into__isnull=True
    )
    for t in counted:
        dims = (t.team_id, t.owner_id, t.pipeline_id, t.source, t.priority)

        def hour(at):
            return at.replace(minute=0, second=0, microsecond=0)

        found[(hour(t.created_at), *dims), "created"] += 1
        if not t.is_open:
            found[(hour(t.closed_at), *dims), "solved"] += 1
            found[(hour(t.closed_at), *dims), "one_touch"] += 0
        for event in TicketEvent.objects.filter(ticket=t, field="stage").order_by(
            "created_at", "id"
        ):
            if event.new_value in closed and event.old_value not in closed:
                found[(hour(event.created_at), *dims), "closes"] += 1
            elif event.old_value in closed and event.new_value not in closed:
                found[(hour(event.created_at), *dims), "reopens"] += 1
    return +found


def stored() -> Counter:
    found: Counter = Counter()
    for r in Rollup.objects.all():
        cell = (r.hour, r.team_id, r.owner_id, r.pipeline_id, r.source, r.priority)
        for measure in ("created", "solved", "closes", "reopens", "one_touch"):
            found[cell, measure] += getattr(r, measure)
    return +found


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_rollups_equal_a_direct_computation(steps, pipeline, super_admin):
    Ticket.objects.all().delete()
    TicketFact.objects.all().delete()
    Rollup.objects.all().delete()
    teams = [None, TeamFactory(), TeamFactory()]
    new = pipeline.stages.get(name="New")
    closed = pipeline.stages.get(name="Closed")
    tickets: list[Ticket] = []
    now = START
    for action, which, minutes in steps:
        now += datetime.timedelta(minutes=minutes)
        with time_machine.travel(now, tick=False):
            if action == "create" or not tickets:
                tickets.append(
                    TicketFactory(
                        pipeline=pipeline, stage=new, team=teams[which % 3], priority="low"
                    )
                )
                continue
            ticket = Ticket.objects.get(pk=tickets[which % len(tickets)].pk)
            if ticket.deleted_at or ticket.is_spam:
                continue
            if action == "close" and ticket.is_open:
                services.ticket_set_stage(
                    actor=None, ticket=ticket, stage=closed, category="billing_issue"
                )
            elif action == "reopen" and not ticket.is_open:
                services.ticket_set_stage(actor=None, ticket=ticket, stage=new)
            elif action == "team":
                services.ticket_update(actor=None, ticket=ticket, team=teams[(which + 1) % 3])
            elif action == "priority":
                services.ticket_update(actor=None, ticket=ticket, priority="high")
            elif action == "delete":
                services.ticket_delete(actor=super_admin, ticket=ticket)
            elif action == "spam":
                services.ticket_mark_spam(actor=super_admin, ticket=ticket)
            elif action == "refresh":
                facts.refresh()
    facts.refresh()
    assert stored() == direct(pipeline)
