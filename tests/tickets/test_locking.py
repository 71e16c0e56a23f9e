"""Ticket rows are always locked in id order (Ticket.objects.locked), so two
transactions that lock the same tickets queue behind each other instead of
deadlocking."""

import re
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from conversations import services
from conversations.models import Message
from tests.factories import TicketFactory, inbound_message
from tickets.models import Tag, Ticket, TicketTag, locked_ticket


def test_locked_orders_the_lock_by_id_whatever_order_the_ids_come_in(db, pipeline):
    first, second = TicketFactory(pipeline=pipeline), TicketFactory(pipeline=pipeline)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        rows = list(Ticket.objects.locked(second.pk, first.pk, second.pk))
    assert [t.pk for t in rows] == [first.pk, second.pk]
    (sql,) = (q["sql"] for q in captured.captured_queries)
    if connection.features.has_select_for_update:
        assert "FOR NO KEY UPDATE" in sql
        assert sql.index("ORDER BY") < sql.index("FOR NO KEY UPDATE")


def test_one_ticket_is_locked_by_a_query_compiled_once(db, pipeline):
    """locked_ticket(pk): the same lock and row as locked(pk).get(), from a
    query compiled once per process (a customer's reply takes it first)."""
    ticket = TicketFactory(pipeline=pipeline)
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        found = locked_ticket(ticket.pk)
        again = locked_ticket(ticket.pk)
    assert found == again == ticket and found.name == ticket.name
    assert captured.captured_queries[0]["sql"] == captured.captured_queries[1]["sql"]
    if connection.features.has_select_for_update:
        assert "FOR NO KEY UPDATE" in captured.captured_queries[0]["sql"]
    with pytest.raises(Ticket.DoesNotExist):
        locked_ticket(ticket.pk + 1000)


def test_every_service_that_locks_two_tickets_orders_its_locks(db, agent, pipeline):
    """The message move used to lock with pk__in and no ORDER BY."""
    source, target = TicketFactory(pipeline=pipeline), TicketFactory(pipeline=pipeline)
    inbound_message(source, text="keep me")
    moving = inbound_message(source, text="move me")
    with CaptureQueriesContext(connection) as captured:
        services.message_move(actor=agent, message=moving, to_ticket=target)
    locks = [q["sql"] for q in captured.captured_queries if "KEY UPDATE" in q["sql"]]
    if not connection.features.has_select_for_update:
        pytest.skip("SQLite takes no row locks")
    several = [sql for sql in locks if not re.search(r'"id" IN \(\d+\)', sql)]
    assert several
    assert all("ORDER BY" in sql for sql in several), several


@pytest.mark.django_db(transaction=True)
def test_moves_in_opposite_directions_between_two_tickets_never_deadlock(agent, pipeline):
    """Two agents move messages between the same two tickets in opposite
    directions while a third locks both as merge and split do; PostgreSQL
    reports a deadlock as an error, so any ordering slip fails the test."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    one, two = TicketFactory(pipeline=pipeline), TicketFactory(pipeline=pipeline)
    for ticket in (one, two):
        for n in range(12):
            inbound_message(ticket, text=f"mail {n}")
    # Rewrite the lower id so its row lies after the other on disk: an
    # unordered lock now takes the higher id first.
    Ticket.objects.filter(pk=one.pk).update(name="Moved on disk")
    rounds, errors = 30, []
    start = threading.Barrier(3)

    def mover(source, target):
        try:
            start.wait()
            for _ in range(rounds):
                message = (
                    Message.objects.filter(ticket_id=source.pk, kind=Message.Kind.MESSAGE)
                    .order_by("-id")
                    .first()
                )
                services.message_move(actor=agent, message=message, to_ticket=target)
                source, target = target, source
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    def locker():
        try:
            start.wait()
            for _ in range(rounds * 2):
                with transaction.atomic():
                    list(Ticket.objects.locked(two.pk, one.pk))
                    Ticket.objects.filter(pk__in=[one.pk, two.pk]).update(description="seen")
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    workers = [
        threading.Thread(target=mover, args=(one, two)),
        threading.Thread(target=mover, args=(two, one)),
        threading.Thread(target=locker),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    assert Message.objects.filter(ticket__in=[one, two]).count() == 24


@pytest.mark.django_db(transaction=True)
def test_a_locked_ticket_does_not_hold_back_a_commit_that_only_refers_to_it(pipeline):
    """`make loadtest` met a deadlock: a status change held its ticket FOR
    UPDATE and waited for another transaction's report mark of that ticket,
    whose commit waited for the lock to check a foreign key to the ticket.
    The lock is FOR NO KEY UPDATE: such a commit goes through at once."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    ticket = TicketFactory(pipeline=pipeline)
    tag = Tag.objects.create(name="vip")
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                list(Ticket.objects.locked(ticket.pk))
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            TicketTag.objects.create(ticket_id=ticket.pk, tag=tag)
        assert TicketTag.objects.filter(ticket_id=ticket.pk).exists()
    finally:
        release.set()
        holder.join()
