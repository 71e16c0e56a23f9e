"""Time-based rules (issue 17): the sweep fires on the tickets whose moment
crossed the threshold since its last run, once per moment, in calendar or
business hours of the ticket's team calendar."""

import datetime

import pytest
import time_machine

from sla.models import Calendar, WorkingPeriod
from tests.factories import TicketFactory
from tickets import services
from tickets.models import TicketEvent
from workflows import sweep
from workflows.models import Moment, Rule, RuleFiring

UTC = datetime.UTC
# A Friday afternoon.
FRIDAY = datetime.datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def run_sweep(now):
    """The beat's run, then the worker's: returns how many rules fired."""
    recorded = sweep.sweep(now=now)
    fired = sum(sweep.apply_pending(rule.pk) for rule in Rule.objects.all())
    assert fired <= recorded
    return fired


@pytest.fixture
def waiting(pipeline):
    return pipeline.stages.get(name="Waiting on contact")


def stale_rule(waiting, hours=120, business=False, **fields):
    return Rule.objects.create(
        name="Close stale tickets",
        trigger=Rule.Trigger.TIME,
        moment=Moment.STATUS,
        hours=hours,
        business_hours=business,
        conditions_all=[["stage", "any_of", str(waiting.pk)]],
        actions=[
            {"type": "comment", "html": "<p>Closed after five days without an answer.</p>"},
            {"type": "set_priority", "value": "low"},
        ],
        **fields,
    )


def ticket_waiting_since(pipeline, waiting, at, team=None):
    with time_machine.travel(at, tick=False):
        ticket = TicketFactory(pipeline=pipeline, team=team)
        services.ticket_set_stage(actor=None, ticket=ticket, stage=waiting)
    return ticket


def test_the_sweep_fires_once_when_the_hours_have_passed(pipeline, waiting):
    rule = stale_rule(waiting)
    ticket = ticket_waiting_since(pipeline, waiting, FRIDAY)
    fresh = ticket_waiting_since(pipeline, waiting, FRIDAY + datetime.timedelta(days=3))
    assert run_sweep(FRIDAY + datetime.timedelta(days=4)) == 0
    assert run_sweep(FRIDAY + datetime.timedelta(days=5, minutes=1)) == 1
    assert run_sweep(FRIDAY + datetime.timedelta(days=5, minutes=2)) == 0
    assert not RuleFiring.objects.filter(applied_at__isnull=True).exists()
    ticket.refresh_from_db()
    assert ticket.priority == "low"
    assert ticket.events.filter(via=TicketEvent.Via.RULE, via_name=rule.name).exists()
    fresh.refresh_from_db()
    assert fresh.priority == ""


def test_a_run_reads_only_the_tickets_that_crossed_since_the_last(pipeline, waiting):
    rule = stale_rule(waiting, hours=1)
    ticket_waiting_since(pipeline, waiting, FRIDAY)
    run_sweep(FRIDAY + datetime.timedelta(hours=2))
    rule.refresh_from_db()
    assert rule.swept_until == FRIDAY + datetime.timedelta(hours=2)
    # The next run's window starts after the last cut-off: nothing to read.
    later = FRIDAY + datetime.timedelta(hours=3)
    assert list(sweep.candidates(rule, later)) == []


def test_a_ticket_that_waits_again_fires_again(pipeline, waiting):
    stale_rule(waiting, hours=1)
    ticket = ticket_waiting_since(pipeline, waiting, FRIDAY)
    run_sweep(FRIDAY + datetime.timedelta(hours=2))
    new = pipeline.stages.get(name="New")
    with time_machine.travel(FRIDAY + datetime.timedelta(hours=3), tick=False):
        services.ticket_set_stage(actor=None, ticket=ticket, stage=new)
        services.ticket_set_stage(actor=None, ticket=ticket, stage=waiting)
    run_sweep(FRIDAY + datetime.timedelta(hours=5))
    assert RuleFiring.objects.filter(ticket=ticket).count() == 2


def test_business_hours_count_only_the_teams_working_time(pipeline, waiting, team_a):
    calendar = Calendar.objects.create(name="Helsinki office", time_zone="UTC")
    calendar.teams.add(team_a)
    for weekday in range(5):
        WorkingPeriod.objects.create(
            calendar=calendar, weekday=weekday, start=datetime.time(9), end=datetime.time(17)
        )
    stale_rule(waiting, hours=4, business=True)
    ticket = ticket_waiting_since(pipeline, waiting, FRIDAY, team=team_a)  # 15:00
    other = ticket_waiting_since(pipeline, waiting, FRIDAY)  # no team: around the clock
    saturday = FRIDAY + datetime.timedelta(hours=20)
    run_sweep(saturday)
    assert not RuleFiring.objects.filter(ticket=ticket).exists()
    assert RuleFiring.objects.filter(ticket=other).exists()
    # Friday 15-17 and Monday 9-11 make four working hours.
    monday = datetime.datetime(2026, 11, 30, 11, 1, tzinfo=UTC)
    run_sweep(monday)
    assert RuleFiring.objects.filter(ticket=ticket).exists()


def test_a_closed_ticket_is_left_alone(pipeline, waiting):
    stale_rule(waiting, hours=1)
    ticket = ticket_waiting_since(pipeline, waiting, FRIDAY)
    services.ticket_update(actor=None, ticket=ticket, category="general_inquiry")
    services.ticket_set_stage(actor=None, ticket=ticket, stage=pipeline.stages.get(name="Closed"))
    assert run_sweep(FRIDAY + datetime.timedelta(hours=2)) == 0


def test_finding_the_candidates_takes_the_same_queries_for_5_or_50_tickets(
    pipeline, waiting, django_assert_num_queries
):
    rule = stale_rule(waiting, hours=1)
    calendars = sweep._calendars()
    for count in (5, 50):
        for hour in range(count):
            ticket_waiting_since(pipeline, waiting, FRIDAY + datetime.timedelta(minutes=hour))
        # The property definitions, then one query for the tickets.
        with django_assert_num_queries(2):
            found = list(sweep.candidates(rule, FRIDAY + datetime.timedelta(hours=10), calendars))
        assert len(found) >= count


def test_a_ticket_answered_between_the_sweep_and_the_worker_is_left_alone(pipeline, waiting):
    rule = stale_rule(waiting, hours=1)
    ticket = ticket_waiting_since(pipeline, waiting, FRIDAY)
    assert sweep.sweep(now=FRIDAY + datetime.timedelta(hours=2)) == 1
    services.ticket_set_stage(actor=None, ticket=ticket, stage=pipeline.stages.get(name="New"))
    assert sweep.apply_pending(rule.pk) == 0
    ticket.refresh_from_db()
    assert ticket.priority == ""
    assert not RuleFiring.objects.filter(applied_at__isnull=True).exists()


def test_a_lost_apply_task_is_queued_again_by_the_beat(pipeline, waiting, monkeypatch):
    rule = stale_rule(waiting, hours=1)
    ticket_waiting_since(pipeline, waiting, FRIDAY)
    sweep.sweep(now=FRIDAY + datetime.timedelta(hours=2))
    RuleFiring.objects.update(created_at=FRIDAY)
    queued = []
    monkeypatch.setattr(sweep.engine, "enqueue", lambda task, *args: queued.append((task, args)))
    assert sweep.pending_rules() == 1
    assert queued == [(sweep.APPLY_TASK, (rule.pk,))]
