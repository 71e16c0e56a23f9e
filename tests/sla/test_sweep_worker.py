"""A real Celery worker with beat on Redis watches a ticket go due soon and
overdue at the right times (issue 7), and two sweeps at once announce each
threshold once (RELIABILITY 19)."""

import datetime
import threading
import time

import pytest
from django.db import connection

from conversations.models import Notification
from sla import clocks
from tests.celery_worker import flush_redis, require_worker_setup, start_worker, stop_worker
from tests.factories import TicketFactory
from tests.sla.test_clocks import customer_writes
from tickets.models import Ticket

SECOND = datetime.timedelta(seconds=1)


def wait_for(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    return None


@pytest.mark.django_db(transaction=True)
def test_beat_and_a_worker_announce_due_soon_then_overdue_on_time(goals, agent, pipeline, tmp_path):
    require_worker_setup()
    flush_redis()
    ticket = TicketFactory(pipeline=pipeline, owner=agent, team=agent.main_team)
    customer_writes(ticket)
    # A ticket the first sweep clears tells when beat and the worker are up: on
    # a loaded machine a worker takes longer to start than the thresholds below.
    herald = TicketFactory(pipeline=pipeline)
    Ticket.objects.filter(pk=herald.pk).update(sla_next_check_at=clocks.database_now())
    worker = start_worker(beat_schedule=str(tmp_path / "beat"), SLA_SWEEP_SECONDS="1")
    try:
        assert wait_for(
            lambda: not Ticket.objects.filter(pk=herald.pk, sla_next_check_at__isnull=False), 180
        ), "beat and the worker never swept"
        now = clocks.database_now()
        # Due in 12 s, so already inside its one minute of "due soon": the sweep
        # says so when the ticket's next check comes (in 3 s), then overdue at 12 s.
        check, due = now + 3 * SECOND, now + 12 * SECOND
        Ticket.objects.filter(pk=ticket.pk).update(
            sla_first_response_due=due,
            sla_due_soon_minutes=1,
            sla_next_check_at=check,
            sla_notified=0,
        )
        soon = wait_for(
            lambda: Notification.objects.filter(kind="sla_due_soon", user=agent).first(), 30
        )
        over = wait_for(
            lambda: Notification.objects.filter(kind="sla_overdue", user=agent).first(), 30
        )
    finally:
        stop_worker(worker)
    assert soon is not None and over is not None
    # Within a few sweeps (one a second) of each threshold, not at some later round.
    assert check <= soon.created_at <= check + 6 * SECOND < due
    assert due <= over.created_at <= due + 6 * SECOND
    # Each once (the owner, who follows the ticket, was also told of the message).
    sla = Notification.objects.filter(ticket=ticket, kind__in=["sla_due_soon", "sla_overdue"])
    assert sla.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_announce_each_threshold_once(goals, agent, pipeline):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    tickets = [TicketFactory(pipeline=pipeline, owner=agent) for _n in range(40)]
    for ticket in tickets:
        customer_writes(ticket)
    past = clocks.database_now() - SECOND
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        sla_first_response_due=past, sla_next_check_at=past, sla_notified=0
    )
    results = []

    def sweep():
        from django.db import connections

        try:
            results.append(clocks.sweep())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(results) == 40
    assert Notification.objects.filter(kind="sla_overdue").count() == 40
