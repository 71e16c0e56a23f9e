"""A storm of inbound events with many active rules (issue 17): workers that
take the same tickets at once (a retried task, two beats) fire each rule at
most once per customer message, and never deadlock."""

import threading

import pytest
from django.db import close_old_connections, connection

from sla.notify import announce_all
from tests.factories import ContactFactory, TicketFactory, inbound_message
from tickets import services
from tickets.models import Ticket, TicketEvent
from workflows import engine
from workflows.models import Event, Rule, RuleEvent, RuleFiring

MESSAGES = 120


@pytest.mark.django_db(transaction=True)
def test_many_events_and_rules_fire_each_rule_once_per_event_without_deadlock(pipeline):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    # 50 rules: 5 hold on every message (each adds a follower-free change),
    # 45 ask what these tickets never have.
    for n in range(50):
        Rule.objects.create(
            name=f"Storm {n}",
            events=[Event.CUSTOMER_MESSAGE],
            position=n,
            conditions_all=[] if n < 5 else [["priority", "any_of", "urgent"]],
            actions=[{"type": "add_tags", "tags": [f"storm-{n}"]}],
        )
    tickets = [TicketFactory(pipeline=pipeline, contacts=[ContactFactory()]) for _ in range(12)]
    for n in range(MESSAGES):
        ticket = tickets[n % len(tickets)]
        message = inbound_message(ticket, text=f"message {n}")
        services.ticket_activity.send(
            Ticket, ticket=ticket, kind="customer_message", at=message.created_at, message=message
        )
    errors = []
    start = threading.Barrier(4)

    def worker(order):
        try:
            start.wait()
            for ticket in order:
                engine.run_ticket_events(ticket.pk)
        except Exception as error:  # a deadlock is reported as an error
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    orders = [tickets, tickets[::-1], tickets[3:] + tickets[:3], tickets[::2] + tickets[1::2]]
    threads = [threading.Thread(target=worker, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not RuleEvent.objects.filter(processed_at__isnull=True).exists()
    # Each matching rule fired exactly once for each message (the daily cap
    # of 10 per ticket and rule stops the rest: 10 messages per ticket here).
    per_ticket = MESSAGES // len(tickets)
    assert RuleFiring.objects.count() == 5 * len(tickets) * min(per_ticket, 10)
    assert (
        RuleFiring.objects.values("rule", "event").distinct().count() == RuleFiring.objects.count()
    )


def test_sla_alerts_set_off_rules(db, pipeline, agent):
    Rule.objects.create(
        name="Escalate overdue",
        events=[Event.SLA_OVERDUE],
        conditions_all=[["priority", "any_of", "low,medium"]],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    Rule.objects.create(
        name="Soon",
        events=[Event.SLA_DUE_SOON],
        actions=[{"type": "add_tags", "tags": ["due-soon"]}],
    )
    late = TicketFactory(pipeline=pipeline, priority="low", owner=agent)
    soon = TicketFactory(pipeline=pipeline, priority="low", owner=agent)
    announce_all([(late, "first_response", "overdue"), (soon, "close", "due_soon")])
    for ticket in (late, soon):
        engine.run_ticket_events(ticket.pk)
        ticket.refresh_from_db()
    assert (late.priority, soon.priority) == ("high", "low")
    assert list(soon.tags.values_list("name", flat=True)) == ["due-soon"]
    assert late.events.filter(via=TicketEvent.Via.RULE, via_name="Escalate overdue").exists()
